"""Fine-tuning (`asr train --init-from`): the source's weights and CMVN, a new classifier for a new
vocabulary, refused architectures, resume from the run's own checkpoint, one-line CLI errors."""

import dataclasses
import json
import shutil

import numpy as np
import pytest
import yaml

from asr.errors import AsrError
from asr.models.model_dir import load_trained_model
from asr.training.checkpoint import structural_paths
from asr.training.trainer import Trainer
from tests.conftest import TINY, asr
from tests.test_distribution import launch, losses_of


def weights_by_path(model):
    paths = structural_paths(model, "model")
    return {paths[id(w)]: w.numpy() for w in model.weights}


def assert_same(expected, actual, keys):
    for key in keys:
        np.testing.assert_array_equal(expected[key], actual[key], err_msg=key)


def data_with_other_cmvn(tiny_data, root):
    """The tiny data, its CMVN statistics changed (so the source model's and the data's differ)."""
    (root / "features").mkdir(parents=True)
    (root / "manifests").symlink_to(tiny_data / "manifests")
    for split in ("train", "dev"):
        (root / "features" / split).symlink_to(tiny_data / "features" / split)
    cmvn = json.loads((tiny_data / "features" / "cmvn.json").read_text())
    cmvn["mean"] = [m + 1.0 for m in cmvn["mean"]]
    (root / "features" / "cmvn.json").write_text(json.dumps(cmvn))
    return root


def test_a_fine_tuned_run_starts_from_the_source_weights_and_cmvn(tiny_config, tiny_data, tiny_run, tmp_path,
                                                                  capsys):
    data = data_with_other_cmvn(tiny_data, tmp_path / "data")
    trainer = Trainer(tiny_config, data, tmp_path / "run", init_from=tiny_run)
    source, _ = load_trained_model(tiny_run)
    expected, actual = weights_by_path(source), weights_by_path(trainer.model)
    assert set(expected) == set(actual) and "model/cmvn/mean" in actual
    assert_same(expected, actual, expected)  # every weight, CMVN included: the source's, not the data's
    assert trainer.state.global_step == 0 and int(trainer.optimizer.iterations.numpy()) == 0
    out = capsys.readouterr().out
    assert "train: weights from" in out and "CMVN statistics: the source model's" in out
    assert "vocabulary differs" not in out
    trainer.fit(stop_after_steps=3)  # the first epoch: its best model is written
    record = json.loads((tmp_path / "run" / "init_from.json").read_text())
    assert record["path"] == str((tiny_run / "model").resolve()) and len(record["weights_sha256"]) == 64
    _, info = load_trained_model(tmp_path / "run")
    assert info.record["training"]["init_from"] == record


def test_a_new_vocabulary_gets_a_new_classifier_and_keeps_the_rest(tiny_config, tiny_data, tiny_run, tmp_path,
                                                                   capsys):
    rows = [json.loads(line) for split in ("train", "dev")
            for line in (tiny_data / "manifests" / f"{split}.jsonl").read_text().splitlines()]
    words = sorted({word for row in rows for word in row["text"].split()})  # a word vocabulary: other outputs
    config = dataclasses.replace(tiny_config, model=dataclasses.replace(
        tiny_config.model, vocabulary=words, dropout=0.1))  # dropout is no architecture: it may differ
    tuned = Trainer(config, tiny_data, tmp_path / "tuned", init_from=tiny_run)
    assert "the classifier starts from random weights" in capsys.readouterr().out
    fresh = weights_by_path(Trainer(config, tiny_data, tmp_path / "fresh").model)
    source, actual = weights_by_path(load_trained_model(tiny_run)[0]), weights_by_path(tuned.model)
    classifier = {key for key in actual if key.startswith("model/classifier/")}
    assert classifier and actual["model/classifier/bias"].shape == (len(words) + 1,)
    assert_same(source, actual, set(actual) - classifier)  # encoder and CMVN: copied
    assert_same(fresh, actual, classifier)  # the classifier: as a run from scratch starts it
    assert not np.array_equal(fresh["model/encoder/recurrent/0/forward_layer/cell/kernel"],
                              actual["model/encoder/recurrent/0/forward_layer/cell/kernel"])


def test_another_architecture_or_features_are_refused_naming_the_keys(tiny_config, tiny_data, tiny_run, tmp_path):
    config = dataclasses.replace(tiny_config, model=dataclasses.replace(tiny_config.model, layers=3, units=32))
    with pytest.raises(AsrError, match=r"another architecture than the config \(model.layers 2 vs 3, "
                                       r"model.units 48 vs 32\)"):
        Trainer(config, tiny_data, tmp_path / "run", init_from=tiny_run)
    config = dataclasses.replace(tiny_config, features=dataclasses.replace(tiny_config.features, fmax=7000.0))
    with pytest.raises(AsrError, match=r"--init-from .* other feature settings than the config .*fmax 7600.0 vs 7000"):
        Trainer(config, tiny_data, tmp_path / "run", init_from=tiny_run)
    assert not (tmp_path / "run").exists()


def test_an_interrupted_fine_tuning_resumes_from_its_own_checkpoint(tiny_config, tiny_data, tiny_run, tmp_path,
                                                                    capsys):
    run = tmp_path / "run"
    first = Trainer(tiny_config, tiny_data, run, init_from=tiny_run)
    first.fit(stop_after_steps=2)
    trained = {key: v.numpy() for key, v in first.variables.items()}
    source = weights_by_path(load_trained_model(tiny_run)[0])
    assert not np.array_equal(trained["model/classifier/bias"], source["model/classifier/bias"])
    capsys.readouterr()
    second = Trainer(tiny_config, tiny_data, run, init_from=tiny_run / "model")  # the same model, named so
    assert second.state.global_step == 2 and "weights from" not in capsys.readouterr().out
    for key, variable in second.variables.items():  # the checkpoint's weights and Adam state, not the source's
        np.testing.assert_array_equal(trained[key], variable.numpy(), err_msg=key)
    with pytest.raises(AsrError, match=r"started from the weights of .*; resume it with --init-from"):
        Trainer(tiny_config, tiny_data, run)
    other = tmp_path / "other"
    shutil.copytree(tiny_run / "model", other)
    with pytest.raises(AsrError, match=r"started from the weights of .*; resume it with --init-from"):
        Trainer(tiny_config, tiny_data, run, init_from=other)
    scratch = tmp_path / "scratch"
    Trainer(tiny_config, tiny_data, scratch).fit(stop_after_steps=1)
    with pytest.raises(AsrError, match="this run started from random weights"):
        Trainer(tiny_config, tiny_data, scratch, init_from=tiny_run)


@pytest.mark.parametrize("source, message", [("missing", "no such directory"), ("data", "no trained model here")])
def test_cli_names_a_source_that_is_no_model_in_one_line(tiny_data, tmp_path, source, message):
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY))
    init_from = tiny_data if source == "data" else tmp_path / "missing"
    result = asr("train", "--config", config, "--data-dir", tiny_data, "--run-dir", tmp_path / "run",
                 "--init-from", init_from)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("asr train: --init-from") and message in lines[0], result.stderr


@pytest.mark.slow
def test_fine_tuning_under_a_mirrored_strategy_starts_from_the_source(tiny_data, tiny_run, tmp_path):
    """The first step's loss is computed on the initial weights: under two mirrored CPU devices it must be the
    single device's fine-tuning loss, and not a run from scratch's."""
    def first_losses(name, *options):
        return losses_of(launch(tiny_data, tmp_path / name, *options))["losses"]

    single = first_losses("single", "--init-from", tiny_run)
    mirrored = first_losses("mirrored", "--strategy", "mirrored", "--cpus", "2", "--init-from", tiny_run)
    scratch = first_losses("scratch")
    np.testing.assert_allclose(mirrored[0], single[0], rtol=1e-4)
    assert abs(scratch[0] - single[0]) > 0.1 * scratch[0]
