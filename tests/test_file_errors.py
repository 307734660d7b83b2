"""A disk that refuses a write (full, read-only, no permission) and a damaged model directory: one line
naming the file, exit status 1, no traceback, and nothing half-written left behind.

Read-only directories are real (chmod 0o500; as root the command runs without the capabilities that
override permission bits, tests.conftest.AS_USER); a full disk is simulated where no real one can be had.
"""

import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from asr.cli.main import main
from asr.errors import AsrError
from asr.fileio import atomic_dir, write_text
from tests.conftest import AS_USER, TINY, asr
from tests.corpus_fixtures import tone


def leftovers(root):
    """Temp files and directories of asr.fileio (hidden names) anywhere under root."""
    return sorted(str(p) for p in root.rglob(".*") if p.name != ".done.json")


def one_line(result):
    """The one stderr line of a failed command (TensorFlow's import chatter is silenced)."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def read_only(tmp_path):
    """A directory no one (but a privileged root) may write into; writable again afterwards for cleanup."""
    folder = tmp_path / "read_only"
    folder.mkdir()
    folder.chmod(0o500)
    yield folder
    folder.chmod(0o700)


def full_disk(monkeypatch, method):
    """Make pathlib.Path.<method> write half its data, then fail as a full disk does (no file name)."""
    original = getattr(Path, method)

    def half_then_enospc(self, data, *args, **kwargs):
        original(self, data[:len(data) // 2], *args, **kwargs)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(f"pathlib.Path.{method}", half_then_enospc)


def test_a_full_disk_names_the_file_and_keeps_the_old_one_whole(tmp_path, monkeypatch):
    path = tmp_path / "out" / "report.txt"
    write_text(path, "old report\n")
    full_disk(monkeypatch, "write_text")
    with pytest.raises(AsrError) as caught:
        write_text(path, "new report\n" * 100)
    assert str(caught.value) == f"no space left on device: {path}"
    assert path.read_text() == "old report\n" and not leftovers(tmp_path)


def test_a_directory_written_as_a_whole_is_replaced_whole_or_not_at_all(tmp_path):
    target = tmp_path / "saved_model"
    with atomic_dir(target) as tmp:
        (tmp / "a").write_text("first")
    with pytest.raises(AsrError, match=f"^no space left on device: {target}$"):
        with atomic_dir(target) as tmp:
            (tmp / "a").write_text("second, cut short")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert (target / "a").read_text() == "first" and not leftovers(tmp_path)
    with atomic_dir(target) as tmp:
        (tmp / "b").write_text("third")
    assert [p.name for p in target.iterdir()] == ["b"] and not leftovers(tmp_path)



def test_a_failed_swap_puts_the_old_directory_back(tmp_path, monkeypatch):
    target = tmp_path / "saved_model"
    with atomic_dir(target) as tmp:
        (tmp / "a").write_text("first")
    real_rename = Path.rename

    def rename(self, to):  # the new directory cannot take the old one's place
        if Path(to) == target and self.name.startswith(".saved_model.") and not self.name.endswith(".old.tmp"):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return real_rename(self, to)
    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(AsrError, match="cannot write"):
        with atomic_dir(target) as tmp:
            (tmp / "a").write_text("second")
    assert (target / "a").read_text() == "first" and not leftovers(tmp_path)


@pytest.mark.parametrize("maker", ["open", "mkdir"])
def test_a_stop_the_moment_the_temp_is_made_leaves_nothing_behind(tmp_path, monkeypatch, maker):
    """Ctrl-C (or a worker's SIGTERM) landing just after the temp file or directory is made: before, it was made
    inside tempfile's mkstemp, whose name had not reached the clean-up yet (a leftover seen once in the suite)."""
    made = getattr(os, maker)

    def make_then_stop(name, *args, **kwargs):
        result = made(name, *args, **kwargs)
        if Path(name).name.startswith(".out"):
            if maker == "open":
                os.close(result)
            raise KeyboardInterrupt
        return result
    monkeypatch.setattr(os, maker, make_then_stop)
    with pytest.raises(KeyboardInterrupt):
        if maker == "open":
            write_text(tmp_path / "out.txt", "x")
        else:
            with atomic_dir(tmp_path / "out"):
                pass
    monkeypatch.undo()
    assert not leftovers(tmp_path) and not list(tmp_path.iterdir())


def small_corpus(root, files=3):
    """A folder corpus (audio + sidecar transcripts) for `asr prepare --corpus folder`."""
    for i in range(files):
        tone(root / "spk" / f"u{i}.wav", seconds=1.0)
        (root / "spk" / f"u{i}.txt").write_text("a tone")
    return root


def test_prepare_into_a_read_only_directory(tmp_path, read_only):
    source = small_corpus(tmp_path / "corpus")
    line = one_line(asr("prepare", "--corpus", "folder", "--source", source, "--data-dir", read_only, prefix=AS_USER))
    assert line == f"asr prepare: {read_only}/manifests/train.jsonl: cannot write (Permission denied)"


def test_features_into_a_read_only_directory(tmp_path):
    data = tmp_path / "data"
    assert asr("prepare", "--corpus", "folder", "--source", small_corpus(tmp_path / "corpus"),
               "--data-dir", data).returncode == 0
    (data / "features").mkdir()
    (data / "features").chmod(0o500)
    line = one_line(asr("features", "--data-dir", data, "--jobs", 1, prefix=AS_USER))
    assert line == f"asr features: {data}/features/train/source.json: cannot write (Permission denied)"
    (data / "features").chmod(0o700)
    assert not leftovers(data / "features")


def test_lm_into_a_read_only_directory(tmp_path, read_only):
    data = tmp_path / "data"
    assert asr("prepare", "--corpus", "folder", "--source", small_corpus(tmp_path / "corpus"),
               "--data-dir", data).returncode == 0
    line = one_line(asr("lm", "--data-dir", data, "--out", read_only / "lm" / "2gram.arpa", "--order", 2,
                        prefix=AS_USER))
    assert line == f"asr lm: {read_only}/lm/2gram.arpa: cannot write (Permission denied)"


@pytest.fixture
def model_copy(tiny_run, tmp_path):
    """A copy of the tiny run's model directory, free to damage."""
    model_dir = tmp_path / "model"
    shutil.copytree(tiny_run / "model", model_dir)
    return model_dir


def run_main(capsys, *argv):
    """(exit status, stderr lines) of `asr ARGV` run in this process."""
    status = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return status, err.strip().splitlines()


def test_train_into_a_read_only_run_directory(tiny_data, tmp_path, read_only):
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(TINY))
    line = one_line(asr("train", "--config", config, "--data-dir", tiny_data, "--run-dir", read_only / "run",
                        "--max-steps", 1, prefix=AS_USER))
    assert line.startswith(f"asr train: {read_only}/run") and "Permission denied" in line, line


def test_export_into_a_read_only_model_directory(model_copy):
    model_copy.chmod(0o500)
    try:
        line = one_line(asr("export", model_copy, prefix=AS_USER))
    finally:
        model_copy.chmod(0o700)
    assert line == f"asr export: {model_copy}/model.onnx: cannot write (Permission denied)"


def test_export_on_a_full_disk_leaves_no_temporary_saved_model(model_copy, capsys, monkeypatch):
    import tensorflow as tf

    def fill_the_disk(module, export_dir, signatures=None):
        (Path(export_dir) / "variables").mkdir()
        (Path(export_dir) / "variables" / "variables.data").write_bytes(b"\0" * 1000)
        raise tf.errors.ResourceExhaustedError(None, None, f"{export_dir}/variables; No space left on device")

    monkeypatch.setattr(tf.saved_model, "save", fill_the_disk)
    status, lines = run_main(capsys, "export", model_copy)
    assert status == 1 and len(lines) == 1, lines
    assert lines[0] == f"asr export: no space left on device: {model_copy}/saved_model"
    assert not (model_copy / "saved_model").exists() and not leftovers(model_copy)


def test_transcripts_onto_a_full_disk(tiny_run, tiny_data):
    audio = json.loads((tiny_data / "manifests" / "test.jsonl").read_text().splitlines()[0])["audio"]
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "asr.cli", "transcribe", "--model", tiny_run, audio],
                                stdout=full, stderr=subprocess.PIPE, text=True, timeout=600)
    line = one_line(result)
    assert line == "asr transcribe: no space left on device: /dev/full"


def damage_json(model_dir):
    (model_dir / "model.json").write_text('{"format": 2, "model": {')


def drop_a_key(model_dir):
    record = json.loads((model_dir / "model.json").read_text())
    del record["decode"]
    (model_dir / "model.json").write_text(json.dumps(record))


def truncate_weights(model_dir):
    weights = model_dir / "model.weights.h5"
    weights.write_bytes(weights.read_bytes()[:3000])


def garbage_onnx(model_dir):
    """A current export (export.json names these weights) whose model.onnx is garbage."""
    digest = hashlib.sha256((model_dir / "model.weights.h5").read_bytes()).hexdigest()
    (model_dir / "export.json").write_text(json.dumps({"weights_sha256": digest, "onnx_opset": 17}))
    (model_dir / "model.onnx").write_bytes(b"\x08\x07garbage, not a protobuf" * 10)


DAMAGES = [(damage_json, "model.json", "not a readable model description"),
           (drop_a_key, "model.json", "not a readable model description (KeyError: 'decode')"),
           (truncate_weights, "model.weights.h5", "does not fit the model"),
           (garbage_onnx, "model.onnx", "not a loadable ONNX model")]


@pytest.mark.parametrize("damage, file, problem, command", [
    (*damage, command) for damage in DAMAGES for command in ("transcribe", "export")
    if not (command == "export" and damage[0] is garbage_onnx)])  # export writes model.onnx, never reads it
def test_a_damaged_model_directory_is_one_line_naming_the_file(model_copy, tiny_data, capsys, damage, file,
                                                                problem, command):
    audio = json.loads((tiny_data / "manifests" / "test.jsonl").read_text().splitlines()[0])["audio"]
    damage(model_copy)
    argv = ["transcribe", "--model", model_copy, audio] if command == "transcribe" else ["export", model_copy]
    status, lines = run_main(capsys, *argv)
    assert status == 1 and len(lines) == 1, lines
    assert lines[0].startswith(f"asr {command}: {model_copy}/{file}: {problem}"), lines[0]
