"""kill -9 during training, several times, then the same command again: the run finishes as if it had
never been interrupted (tools/crash_resume.py does the killing and the comparison)."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import TINY

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_training_killed_three_times_ends_like_an_uninterrupted_run(tiny_data, tmp_path):
    config = tmp_path / "tiny.yaml"
    # 24 steps, so that tracing the first step (seconds) is a small part of the training the kills are drawn over
    values = {**TINY, "model": {**TINY["model"], "dropout": 0.1},
              "train": {**TINY["train"], "max_epochs": 8, "patience": 8}}
    config.write_text(yaml.safe_dump(values))
    result = subprocess.run([sys.executable, "tools/crash_resume.py", "--config", str(config), "--data-dir",
                             str(tiny_data), "--out", str(tmp_path / "out"), "--kills", "3", "--seed", "6",
                             "--tolerance", "0"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    print(result.stdout)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert result.stdout.count("killed -9 after") >= 2  # at least two of the three runs really were killed
    assert "resumes from epoch" in result.stdout  # and at least one resumed from a mid-run checkpoint
    assert "dev WER difference: +0.00 points" in result.stdout
