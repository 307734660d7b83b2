from pathlib import Path

import pytest

from asr.config import load_config
from asr.errors import AsrError

RECIPES = Path(__file__).resolve().parent.parent / "recipes"


@pytest.mark.parametrize("path", sorted(RECIPES.glob("*/conf/*.yaml")), ids=lambda p: p.name)
def test_recipe_configs_load(path):
    config = load_config(path)
    assert config.model.units > 0 and config.train.max_epochs > 0


@pytest.mark.parametrize("text, message", [
    ("train:\n  lerning_rate: 1\n", "unknown key 'train.lerning_rate'"),
    ("modle: {}\n", "unknown key 'modle'"),
    ("model:\n  units: big\n", "'model.units' must be int"),
    ("model:\n  cell: rnn\n", "'model.cell' must be one of"),
    ("train: 3\n", "'train' must be a mapping"),
    ("model: [\n", "not valid YAML"),
])
def test_bad_config_gives_one_clear_line(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(AsrError) as error:
        load_config(path)
    assert message in str(error.value) and str(path) in str(error.value)
    assert "\n" not in str(error.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(AsrError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
