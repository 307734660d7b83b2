"""The command line misused: a file name that is not UTF-8, train and dev (or test) sharing utterances, a
full disk (ENOSPC) under a stage. Each is one clear line (or a warning with the count), never a traceback."""

import errno
import json
import os
import shutil

import yaml

from tests.conftest import TINY, asr
from tests.test_file_errors import run_main


def test_a_file_name_that_is_not_utf8_is_transcribed_and_printed_escaped(tiny_streaming_run, spoken_utterance,
                                                                         tmp_path):
    plain = tmp_path / "cafe.wav"
    shutil.copy(spoken_utterance["audio"], plain)
    latin1 = os.path.join(os.fsdecode(tmp_path), os.fsdecode(b"caf\xe9.wav"))  # as Linux hands it to Python
    shutil.copy(plain, latin1)
    model = tiny_streaming_run / "model"
    expected = asr("transcribe", "--model", model, plain)
    alone = asr("transcribe", "--model", model, latin1)
    assert (alone.returncode, alone.stdout, alone.stderr) == (0, expected.stdout, ""), alone.stderr
    both = asr("transcribe", "--model", model, "--json", latin1, plain)
    assert both.returncode == 0, both.stderr
    results = json.loads(both.stdout)
    assert results[0]["file"] == f"{tmp_path}/caf\\xe9.wav" and results[0]["text"] == results[1]["text"] != ""
    missing = asr("transcribe", "--model", model, os.path.join(os.fsdecode(tmp_path), os.fsdecode(b"n\xe9.wav")))
    assert missing.returncode == 1 and missing.stderr == f"asr transcribe: {tmp_path}/n\\xe9.wav: no such file\n"


def folder_source(tmp_path, utterance):
    source = tmp_path / "source"
    source.mkdir()
    for name in ("one", "two"):
        shutil.copy(utterance["audio"], source / f"{name}.wav")
        (source / f"{name}.txt").write_text(utterance["text"] + "\n")
    return source


def test_prepare_warns_when_dev_shares_utterances_with_train(tmp_path, spoken_utterance):
    source, data = folder_source(tmp_path, spoken_utterance), tmp_path / "data"
    first = asr("prepare", "--corpus", "folder", "--source", source, "--data-dir", data, "--split", "train")
    assert first.returncode == 0 and "shares" not in first.stderr, first.stderr
    second = asr("prepare", "--corpus", "folder", "--source", source, "--data-dir", data, "--split", "dev")
    assert second.returncode == 0, second.stderr
    assert f"asr prepare: {data}/manifests/dev.jsonl shares 2 of its 2 utterances with {data}/manifests/train.jsonl" \
           " (the same id or audio file)" in second.stderr


def test_train_warns_about_a_test_split_sharing_ids_or_audio(tmp_path, capsys):
    manifests = tmp_path / "data" / "manifests"
    manifests.mkdir(parents=True)
    row = {"duration": 1.0, "text": "a", "speaker": "s"}
    lines = {"train": [{"id": "u1", "audio": "a.wav"}, {"id": "u2", "audio": "b.wav"}],
             "dev": [{"id": "u3", "audio": "c.wav"}],
             "test": [{"id": "u1", "audio": "x.wav"}, {"id": "u9", "audio": "b.wav"}, {"id": "u8", "audio": "y.wav"}]}
    for split, rows in lines.items():
        (manifests / f"{split}.jsonl").write_text("".join(json.dumps({**r, **row}) + "\n" for r in rows))
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(TINY))
    status, errors = run_main(capsys, "train", "--config", config, "--data-dir", tmp_path / "data", "--run-dir",
                              tmp_path / "run")
    warning = f"asr train: {manifests}/test.jsonl shares 2 of its 3 utterances with {manifests}/train.jsonl"
    assert status == 1 and any(line.startswith(warning) for line in errors), errors
    assert not any("dev.jsonl shares" in line for line in errors)


def enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_prepare_on_a_full_disk_says_so_in_one_line(tmp_path, spoken_utterance, capsys, monkeypatch):
    source, data = folder_source(tmp_path, spoken_utterance), tmp_path / "data"
    monkeypatch.setattr("pathlib.Path.write_text", enospc)
    status, errors = run_main(capsys, "prepare", "--corpus", "folder", "--source", source, "--data-dir", data)
    assert (status, errors) == (1, [f"asr prepare: no space left on device: {data}/manifests/train.jsonl"])


def test_train_on_a_full_disk_names_it_not_tensorflows_events_writer(tiny_data, tmp_path, capsys, monkeypatch):
    """TensorFlow's own message on a full disk, whose last line ("Could not initialize events writer.") was
    all `asr train` showed."""
    import tensorflow as tf

    def full(logdir, *args, **kwargs):
        raise tf.errors.ResourceExhaustedError(None, None, f"{{{{function_node __wrapped__CreateSummaryFileWriter}}}} "
                                               f"{logdir}/events.out.tfevents.1; No space left on device\n\tFailed "
                                               "to flush 1 events\n\tCould not initialize events writer. "
                                               "[Op:CreateSummaryFileWriter] name: ")
    monkeypatch.setattr(tf.summary, "create_file_writer", full)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(TINY))
    status, errors = run_main(capsys, "train", "--config", config, "--data-dir", tiny_data, "--run-dir",
                              tmp_path / "run", "--max-steps", 1)
    assert (status, errors) == (1, [f"asr train: no space left on device: {tmp_path}/run/tensorboard"])

