"""A dirty corpus (tests/bad_inputs.py: 27 kinds) through `asr prepare`, `asr features`, `asr train` and
`asr transcribe`, each as a user runs it: no traceback, every bad item named with its reason in the
summary, every good item processed, outputs complete.

Root reads files without read permission, so as root the commands run without the capabilities that
allow it (setpriv, util-linux): the unreadable file is then unreadable for them too.
"""

import json
import shutil

import pytest
import yaml

from tests.bad_inputs import KEPT, write_bad_corpus
from tests.conftest import AS_USER, TINY, asr


def run_asr(*args):
    """`asr ARGS` (as root: without the capabilities that override permission bits); no traceback."""
    result = asr(*args, prefix=AS_USER)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def workspace(tiny_data, tmp_path_factory):
    """A directory with the bad corpus (good items from the tiny corpus) and {utterance id: Kind}."""
    root = tmp_path_factory.mktemp("bad_inputs")
    rows = [json.loads(line) for line in (tiny_data / "manifests" / "train.jsonl").read_text().splitlines()]
    kinds = write_bad_corpus(root / "corpus", [(r["audio"], r["text"]) for r in rows[:16]])
    return root, kinds


def skipped_lines(stderr, prefix):
    return {line.split(": skipped ", 1)[1].split(":", 1)[0]: line for line in stderr.splitlines()
            if line.startswith(f"{prefix}: skipped ")}


@pytest.fixture(scope="module")
def prepared(workspace):
    root, kinds = workspace
    result = run_asr("prepare", "--corpus", "folder", "--source", root / "corpus", "--data-dir", root / "data")
    return result, kinds, root


@pytest.mark.slow
def test_prep_skips_each_bad_item_with_its_reason_and_keeps_the_rest(prepared):
    result, kinds, root = prepared
    assert result.returncode == 0, result.stderr[-3000:]
    kept = {row["id"]: row for row in map(json.loads, (root / "data/manifests/train.jsonl").read_text().splitlines())}
    skipped = skipped_lines(result.stderr, "folder")
    for utt_id, kind in kinds.items():
        if kind.prep == KEPT:
            assert utt_id in kept, (kind.name, skipped.get(utt_id))
        else:
            assert utt_id not in kept and kind.prep in skipped[utt_id], (kind.name, skipped.get(utt_id))
    assert "duplicate id" in skipped["good-utt00"]  # listed twice: the first is kept
    warned = {line.split(": warning ", 1)[1].split(":", 1)[0]: line for line in result.stderr.splitlines()
              if line.startswith("folder: warning ")}
    assert set(warned) == {utt_id for utt_id, kind in kinds.items() if kind.warns}, warned
    assert all(kinds[utt_id].warns in line for utt_id, line in warned.items()), warned
    bad = sum(kind.prep != KEPT for kind in kinds.values()) + 1
    assert f"folder: {bad} of {len(kinds) + 1} utterances skipped:" in result.stderr
    assert kept["kinds-unicode_text"]["text"] == kept["good-utt00"]["text"]
    assert abs(kept["kinds-stereo_48k"]["duration"] - kept["good-utt00"]["duration"]) < 0.01


@pytest.mark.slow
def test_features_and_training_report_bad_rows_and_train_on_the_rest(prepared, tiny_data):
    result, kinds, root = prepared
    data = root / "data"
    manifest = data / "manifests" / "train.jsonl"
    good_row = json.loads(manifest.read_text().splitlines()[0])
    torn_line = len(manifest.read_text().splitlines()) + 3
    with open(manifest, "a", encoding="utf-8") as f:  # a hand-edited manifest gone wrong
        f.write(json.dumps({**good_row, "id": "gone", "audio": str(root / "corpus" / "gone.wav")}) + "\n")
        f.write(json.dumps(good_row) + "\n")  # the same id twice
        f.write('{"id": "torn", "audio": \n')  # a line cut in half
        f.write(json.dumps({"id": "no-text", "audio": good_row["audio"]}) + "\n")
    shutil.copy(tiny_data / "manifests" / "dev.jsonl", data / "manifests" / "dev.jsonl")
    features = run_asr("features", "--data-dir", data, "--jobs", "2")
    assert features.returncode == 0, features.stderr[-3000:]
    skipped = skipped_lines(features.stderr, str(manifest))
    assert "audio file is missing" in skipped["gone"] and "duplicate" in skipped[good_row["id"]]
    assert "not valid JSON" in skipped[f"line {torn_line}"] and "lacks duration, text, speaker" in skipped["no-text"]
    config = root / "tiny.yaml"
    config.write_text(yaml.safe_dump({**TINY, "train": {**TINY["train"], "max_epochs": 1}}))
    train = run_asr("train", "--config", config, "--data-dir", data, "--run-dir", root / "run")
    assert train.returncode == 0, train.stderr[-3000:]
    dropped = {line.split("dropped ", 1)[1].split(":")[0]: line for line in train.stderr.splitlines()
               if line.startswith("train:   dropped ")}
    must_drop = {utt_id for utt_id, kind in kinds.items() if kind.prep == KEPT and kind.train != KEPT}
    assert must_drop and must_drop == set(dropped), train.stderr[-3000:]
    assert all("label needs" in dropped[utt_id] for utt_id in must_drop)
    kept = len(kinds) - sum(kind.prep != KEPT for kind in kinds.values()) - len(must_drop)
    assert f"train: train: {kept} utterances, {len(must_drop)} dropped" in train.stdout
    assert json.loads((root / "run" / "training_done.json").read_text())["nonfinite_batches"] == 0


@pytest.mark.slow
def test_transcription_of_every_file_reports_the_unreadable_ones(prepared, tiny_run):
    result, kinds, root = prepared
    files = sorted({line.split("\t")[0] for line in (root / "corpus" / "transcripts.tsv").read_text().splitlines()})
    paths = [root / "corpus" / f for f in files]
    out = run_asr("transcribe", "--model", tiny_run, "--backend", "tf", *paths)
    transcribed = {line.split("\t")[0] for line in out.stdout.splitlines()}
    errors = [line for line in out.stderr.splitlines() if line.startswith("asr transcribe:   ")]
    failing = [(utt_id, kind) for utt_id, kind in kinds.items() if kind.transcribe != KEPT]
    assert out.returncode == 1 and f"{len(failing)} of {len(paths)} files could not be transcribed" in out.stderr
    for utt_id, kind in kinds.items():
        path = str(root / "corpus" / (utt_id.replace("-", "/", 1) + ".wav"))
        if kind.transcribe == KEPT:
            assert path in transcribed, (kind.name, out.stderr[-2000:])
        else:
            assert any(path in line and kind.transcribe in line for line in errors), (kind.name, errors)
