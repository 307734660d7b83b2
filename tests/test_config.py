from pathlib import Path

import pytest

from asr.config import load_config
from asr.errors import AsrError

RECIPES = Path(__file__).resolve().parent.parent / "recipes"


@pytest.mark.parametrize("path", sorted(RECIPES.glob("*/conf/*.yaml")) + sorted(RECIPES.parent.glob("tools/*.yaml")),
                         ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_recipe_configs_load(path):
    config = load_config(path)
    assert config.model.units > 0 and config.train.max_epochs > 0


@pytest.mark.parametrize("text, message", [
    ("train:\n  lerning_rate: 1\n", "unknown key 'train.lerning_rate'"),
    ("modle: {}\n", "unknown key 'modle'"),
    ("model:\n  units: big\n", "'model.units' must be int"),
    ("model:\n  encoder: rnn\n", "'model.encoder' must be one of bilstm, bigru"),
    ("model:\n  cell: gru\n", "'model.cell' is now 'model.encoder (bilstm or bigru)'"),
    ("train:\n  specaugment: false\n", "'train.specaugment' is now 'train.spec_augment.enabled'"),
    ("decode:\n  strategy: viterbi\n", "'decode.strategy' must be one of greedy, beam, beam_lm"),
    ("train: 3\n", "'train' must be a mapping"),
    ("model: [\n", "not valid YAML"),
    ("splits:\n  train: train_clean_100\n", "'splits.train' must be a non-empty list of split names"),
    ("model:\n  vocabulary: sil\n", "'model.vocabulary' must be list"),
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


def test_every_recipe_dry_runs_with_parameter_counts():
    """tools/validate_configs.py: every recipe config builds, counts parameters and trains one tiny step."""
    import subprocess
    import sys
    result = subprocess.run([sys.executable, str(RECIPES.parent / "tools" / "validate_configs.py")],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    configs = sorted(RECIPES.glob("*/conf/*.yaml"))
    assert f"{len(configs)} of {len(configs)} configs valid" in result.stdout
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[1:-1]}
    assert set(lines) == {f"{p.parent.parent.name}/{p.stem}" for p in configs}
    assert "4xBiLSTM-320" in lines["librispeech/medium"] and "8.84 M params" in lines["librispeech/medium"]
    assert "5xBiLSTM-1024" in lines["librispeech/large"] and "vocab  40" in lines["timit/medium"]


def test_validate_configs_reports_a_broken_config(tmp_path):
    import subprocess
    import sys
    bad = tmp_path / "recipe" / "conf" / "bad.yaml"
    bad.parent.mkdir(parents=True)
    bad.write_text("model:\n  units: 0\n")
    result = subprocess.run([sys.executable, str(RECIPES.parent / "tools" / "validate_configs.py"), str(bad)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "0 of 1 configs valid" in result.stdout
    assert len(result.stderr.strip().splitlines()) == 1 and str(bad) in result.stderr
