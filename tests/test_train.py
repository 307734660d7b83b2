"""Training behaviour: resume after interruption, logs and outputs, and an overfit test."""

import json
import shutil

import numpy as np
import pytest

from asr.config import config_from_dict
from asr.train import Trainer, train
from tests.conftest import TINY


def test_interrupted_training_resumes_where_it_stopped(tiny_config, tiny_data, tmp_path):
    straight = Trainer(tiny_config, tiny_data, tmp_path / "straight").fit()
    resumed_dir = tmp_path / "resumed"
    first = Trainer(tiny_config, tiny_data, resumed_dir).fit(stop_after_steps=3)
    assert first.global_step == 3 and not first.finished
    second = Trainer(tiny_config, tiny_data, resumed_dir)  # a fresh process would do exactly this
    assert second.state.global_step == 3 and second.state.batch_in_epoch == 3
    final = second.fit()
    assert final.finished and final.global_step == straight.global_step
    a = Trainer(tiny_config, tiny_data, tmp_path / "straight").model.get_weights()
    b = second.model.get_weights()
    for wa, wb in zip(a, b):  # same batches, same augmentation, same optimizer state: same weights
        np.testing.assert_allclose(wa, wb, atol=2e-4)


def test_training_writes_logs_model_and_summary(tiny_run):
    rows = (tiny_run / "log.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,step,train_loss,dev_loss,dev_wer") and len(rows) == 3
    assert (tiny_run / "model" / "model.weights.h5").is_file()
    assert any((tiny_run / "tensorboard").iterdir())
    summary = json.loads((tiny_run / "training_done.json").read_text())
    assert summary["epochs"] == 2 and summary["parameters"] > 0


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
    values["train"].update({"max_epochs": 120, "patience": 120, "checkpoint_every_steps": 1000,
                            "peak_learning_rate": 0.003, "warmup_steps": 10, "specaugment": False})
    config = config_from_dict(values)
    trainer = Trainer(config, data, tmp_path / "run")
    trainer.fit()
    log = (tmp_path / "run" / "log.csv").read_text().splitlines()
    first, last = log[1].split(","), log[-1].split(",")
    assert float(last[2]) < 0.05 * float(first[2])  # train loss
    assert float(last[5]) <= 0.05  # greedy CER on the same utterances
