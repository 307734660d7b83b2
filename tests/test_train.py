"""Training behaviour: resume after interruption, logs and outputs, and an overfit test."""

import json
import shutil

import numpy as np
import pytest

from asr.recipe import config_from_dict
from asr.errors import AsrError
from asr.training.trainer import Trainer, train
from tests.conftest import TINY


@pytest.mark.parametrize("copies, precision", [(None, "float32"), (0, "float32"), (2, "float32"),
                                               (None, "mixed_bfloat16")],
                         ids=["clean", "waveform-augmented", "augmented-copies", "bfloat16"])
def test_interrupted_training_resumes_where_it_stopped(tiny_data, tmp_path, copies, precision):
    values = json.loads(json.dumps(TINY))
    values["model"]["dropout"] = 0.2  # its random-generator state must come back too
    values["train"]["precision"] = precision
    if copies is not None:  # a resumed run must hear the augmented utterances the uninterrupted one heard
        values["train"]["augment"] = {"enabled": True, "copies": copies, "speed": {"probability": 0.5},
                                      "noise": {"probability": 0.5, "sources": ["pink", "babble"]},
                                      "reverb": {"probability": 0.3}}
    tiny_config = config_from_dict(values)
    straight = Trainer(tiny_config, tiny_data, tmp_path / "straight")
    straight.fit()
    resumed_dir = tmp_path / "resumed"
    first = Trainer(tiny_config, tiny_data, resumed_dir).fit(stop_after_steps=2)  # mid-epoch 1 (3 batches)
    assert (first.epoch, first.batch_in_epoch, first.global_step, first.finished) == (0, 2, 2, False)
    second = Trainer(tiny_config, tiny_data, resumed_dir)  # a fresh process would do exactly this
    assert (second.state.epoch, second.state.batch_in_epoch, second.state.global_step) == (0, 2, 2)
    second.fit(stop_after_steps=2)  # across the epoch end (dev evaluation, best model) into epoch 2
    third = Trainer(tiny_config, tiny_data, resumed_dir)
    assert (third.state.epoch, third.state.batch_in_epoch, third.state.best_epoch) == (1, 1, 0)
    final = third.fit()
    assert final.finished and final.global_step == straight.state.global_step
    assert final.best_metric == straight.state.best_metric
    assert set(straight.variables) == set(third.variables)
    for key, variable in straight.variables.items():  # weights, dropout RNG, Adam moments and step: as if
        np.testing.assert_allclose(variable.numpy(), third.variables[key].numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=key)  # never interrupted
    def log_without_minutes(run_dir):
        return [row.rsplit(",", 1)[0] for row in (run_dir / "log.csv").read_text().splitlines()]

    assert log_without_minutes(resumed_dir) == log_without_minutes(tmp_path / "straight")  # incl. train loss


def test_a_run_resumed_where_auto_means_another_precision_goes_on_and_says_so(tiny_data, tmp_path, monkeypatch,
                                                                                 caplog):
    from asr.training import trainer
    values = json.loads(json.dumps(TINY))
    values["train"]["precision"] = "auto"
    config = config_from_dict(values)
    monkeypatch.setattr(trainer, "resolve_precision", lambda name, encoder: "mixed_bfloat16")  # a bfloat16 CPU
    assert Trainer(config, tiny_data, tmp_path / "run").fit(stop_after_steps=1).precision == "mixed_bfloat16"
    monkeypatch.setattr(trainer, "resolve_precision", lambda name, encoder: "float32")  # then one without
    caplog.set_level("WARNING", logger="asr")
    resumed = Trainer(config, tiny_data, tmp_path / "run")
    assert resumed.state.global_step == 1 and resumed.model.dtype_policy.name == "float32"
    assert f"train: {tmp_path / 'run'} has trained in mixed_bfloat16; on this machine train.precision 'auto' " \
           "means float32, so it goes on in float32" in caplog.text
    assert resumed.fit(stop_after_steps=1).precision == "float32"
    caplog.clear()
    Trainer(config, tiny_data, tmp_path / "run")  # resumed again on the same machine: nothing to say
    assert "has trained in" not in caplog.text


def test_training_writes_logs_model_and_summary(tiny_run):
    rows = (tiny_run / "log.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,step,train_loss,dev_loss,dev_wer") and len(rows) == 3
    assert (tiny_run / "model" / "model.weights.h5").is_file()
    assert any((tiny_run / "tensorboard").iterdir())
    summary = json.loads((tiny_run / "training_done.json").read_text())
    assert summary["epochs"] == 2 and summary["parameters"] > 0


def test_shards_of_other_feature_settings_are_refused(tiny_data, tmp_path):
    values = json.loads(json.dumps(TINY))
    values["features"]["fmax"] = 7000.0
    with pytest.raises(AsrError, match=r"other feature settings than the config \(.*fmax 7600.0 vs 7000.0"):
        Trainer(config_from_dict(values), tiny_data, tmp_path / "run")


def test_resuming_with_another_config_is_refused_naming_the_settings(tiny_config, tiny_data, tmp_path):
    Trainer(tiny_config, tiny_data, tmp_path / "run").fit(stop_after_steps=1)
    values = json.loads(json.dumps(TINY))
    values["model"]["units"] = 32
    values["train"]["peak_learning_rate"] = 0.001
    with pytest.raises(AsrError, match=r"config.json: this run was started with other settings \(model.units 48 -> "
                                       r"32; train.peak_learning_rate 0.003 -> 0.001\)"):
        Trainer(config_from_dict(values), tiny_data, tmp_path / "run")
    values = json.loads(json.dumps(TINY))
    values["train"]["max_epochs"] = 5  # a run-length setting: the run goes on
    Trainer(config_from_dict(values), tiny_data, tmp_path / "run")
    record = json.loads((tmp_path / "run" / "config.json").read_text())
    del record["train"]["augment"]["copies"]  # a run begun before asr had the setting: it had the default
    (tmp_path / "run" / "config.json").write_text(json.dumps(record))
    Trainer(config_from_dict(values), tiny_data, tmp_path / "run")
    # without the run record, the checkpoint itself names the variables that do not fit
    (tmp_path / "run" / "config.json").unlink()
    values["model"]["units"] = 32
    names = r"reshaped \d+ \(model/classifier/_kernel, model/encoder/recurrent/0/"
    with pytest.raises(AsrError, match=r"checkpoint.npz: does not fit .* " + names):
        Trainer(config_from_dict(values), tiny_data, tmp_path / "run")


def test_a_finished_run_is_not_retrained(tiny_config, tiny_data, tiny_run, capsys):
    assert train(tiny_config, tiny_data, tiny_run) is None
    assert "has finished training" in capsys.readouterr().out


@pytest.mark.slow
def test_overfit_a_handful_of_utterances(tiny_data, tmp_path):
    """Eight utterances, many epochs: training loss and greedy CER must fall to near zero."""
    data = tmp_path / "data"
    for split in ("train", "dev"):  # dev = the same utterances: we measure memorisation
        shutil.copytree(tiny_data / "features" / "train", data / "features" / split)
    (data / "manifests").mkdir(parents=True)
    rows = (tiny_data / "manifests" / "train.jsonl").read_text().splitlines()[:8]
    for split in ("train", "dev"):
        (data / "manifests" / f"{split}.jsonl").write_text("\n".join(rows) + "\n")
    shutil.copy(tiny_data / "features" / "cmvn.json", data / "features" / "cmvn.json")
    values = json.loads(json.dumps(TINY))
    values["model"] = {"layers": 2, "units": 96, "dropout": 0.0}
    # a high rate and 40 epochs (each a step plus a dev pass): the loss ends near 1/60 of its start, CER under 2 %
    values["train"].update({"max_epochs": 40, "patience": 40, "checkpoint_every_steps": 1000,
                            "peak_learning_rate": 0.01, "warmup_steps": 10, "spec_augment": {"enabled": False}})
    config = config_from_dict(values)
    trainer = Trainer(config, data, tmp_path / "run")
    trainer.fit()
    log = (tmp_path / "run" / "log.csv").read_text().splitlines()
    first, last = log[1].split(","), log[-1].split(",")
    assert float(last[2]) < 0.05 * float(first[2])  # train loss
    assert float(last[5]) <= 0.05  # greedy CER on the same utterances
