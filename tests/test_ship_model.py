"""tools/ship_model.py: a trained run copied into the package as its general model, with its model card."""

import shutil
import subprocess
import sys
from pathlib import Path

from asr.inference.transcriber import Transcriber
from tests.conftest import asr, first_spoken

TOOL = Path(__file__).resolve().parents[1] / "tools" / "ship_model.py"


def ship(run, data, to, tmp_path):
    limits = tmp_path / "limits.md"
    limits.write_text("It heard synthetic voices only.\n")
    return subprocess.run([sys.executable, str(TOOL), str(run), "--data-dir", str(data), "--limits", str(limits),
                           "--command", "./run.sh --config conf/tiny.yaml", "--to", str(to)],
                          capture_output=True, text=True, timeout=600)


def test_a_run_ships_whole_with_a_card_that_says_what_commands_printed(tiny_run, tiny_data, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    refused = ship(run, tiny_data, tmp_path / "shipped", tmp_path)
    assert refused.returncode == 1 and "no current ONNX export" in refused.stderr
    assert not (tmp_path / "shipped").exists()
    for command in (("export", "--int8", run), ("evaluate", "--run-dir", run, "--data-dir", tiny_data,
                                                "--split", "test", "--strategy", "greedy")):
        done = asr(*command)
        assert done.returncode == 0, done.stderr
    shipped = ship(run, tiny_data, tmp_path / "shipped", tmp_path)
    assert shipped.returncode == 0, shipped.stderr
    card = (tmp_path / "shipped" / "MODEL_CARD.md").read_text()
    assert "| test | greedy |" in card and "It heard synthetic voices only." in card
    assert "./run.sh --config conf/tiny.yaml" in card and " h: espeak-ng" in card
    # the shipped copy is a model of its own: ONNX current for its weights, the same transcript
    audio = first_spoken(tiny_data, Transcriber(run / "model"))["audio"]
    original, copy = (Transcriber(path, backend="onnx-int8") for path in (run / "model", tmp_path / "shipped"))
    assert copy.transcribe_samples(copy.load(audio)) == original.transcribe_samples(original.load(audio)) != ""
    # a damaged record of the run: one line, and the model shipped before stays as it was
    shipped_files = {p.name: p.read_bytes() for p in (tmp_path / "shipped").iterdir()}
    (run / "training_done.json").write_text("{not json")
    damaged = ship(run, tiny_data, tmp_path / "shipped", tmp_path)
    assert damaged.returncode == 1 and damaged.stderr.count("\n") == 1 and "a damaged record" in damaged.stderr
    assert {p.name: p.read_bytes() for p in (tmp_path / "shipped").iterdir()} == shipped_files
    assert [p.name for p in tmp_path.iterdir() if "shipped" in p.name] == ["shipped"]  # no copy left beside it
    assert f"`asr results {run} " in card  # the run as given (dev too, when the session's tiny run has it)
