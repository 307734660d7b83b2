"""Which model transcribes when none is named: --model, $ASR_MODEL, a recipe run here, the shipped model."""

import logging

import pytest

from asr.errors import AsrError
from asr.inference import default_model
from asr.inference.default_model import choose_model


@pytest.fixture
def places(tmp_path, monkeypatch):
    """An empty world: no $ASR_MODEL, the default recipe's exp/ under tmp_path, no shipped model."""
    monkeypatch.delenv("ASR_MODEL", raising=False)
    monkeypatch.setattr(default_model, "recipe_exp_dirs", lambda: [tmp_path / "exp"])
    shipped = {"model": None}
    monkeypatch.setattr(default_model, "shipped_model", lambda: shipped["model"])
    return tmp_path, shipped


def test_the_lookup_order_is_given_environment_recipe_run_shipped(places, monkeypatch, caplog):
    tmp_path, shipped = places
    with pytest.raises(AsrError, match="no model given: pass --model RUN_DIR or set ASR_MODEL .* ships none"):
        choose_model()
    shipped["model"] = tmp_path / "shipped"
    caplog.set_level(logging.INFO, logger="asr")
    assert choose_model() == tmp_path / "shipped"
    assert f"model: {tmp_path / 'shipped'} (the general model shipped with asr)" in caplog.messages
    weights = tmp_path / "exp" / "small" / "model" / "model.weights.h5"
    weights.parent.mkdir(parents=True)
    weights.touch()
    assert choose_model() == weights.parent  # a recipe run here wins over the shipped model
    monkeypatch.setenv("ASR_MODEL", str(tmp_path / "from_env"))
    assert choose_model() == str(tmp_path / "from_env")
    caplog.clear()
    assert choose_model(tmp_path / "given") == tmp_path / "given"
    assert not caplog.messages  # a model the user named needs no announcement

