"""The `asr` command as a user runs it: help texts, evaluate reports, transcribe with bad input."""

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import asr


@pytest.mark.parametrize("command", ["", "prepare", "features", "lm", "train", "evaluate", "results", "report",
                                     "export", "transcribe", "inspect"])
def test_every_command_explains_itself(command):
    result = asr(*([command] if command else []), "--help")
    assert result.returncode == 0 and "usage: asr" in result.stdout


def test_evaluate_writes_per_utterance_and_summary_reports(tiny_run, tiny_data):
    result = asr("evaluate", "--run-dir", tiny_run, "--data-dir", tiny_data, "--split", "test",
                 "--split", "test_unseen_voices")
    assert result.returncode == 0, result.stderr
    for split in ("test", "test_unseen_voices"):
        scores = json.loads((tiny_run / "decode" / split / "wer.json").read_text())
        assert {"wer", "cer", "substitutions", "deletions", "insertions", "ref_words", "n_utts"} <= set(scores)
        assert scores["n_utts"] == 8
        hyp = (tiny_run / "decode" / split / "hyp.txt").read_text().splitlines()
        assert len(hyp) == 9 and hyp[1].count("\t") == 3
    beam = asr("evaluate", "--run-dir", tiny_run, "--data-dir", tiny_data, "--split", "dev", "--strategy", "beam")
    assert beam.returncode == 0 and (tiny_run / "decode" / "dev_beam" / "wer.json").is_file()


@pytest.fixture
def audio_files(tmp_path, tiny_data):
    """Good files in several formats and rates, and the kinds of bad file users pass by mistake."""
    rows = [json.loads(line) for line in (tiny_data / "manifests" / "test.jsonl").read_text().splitlines()]
    samples, rate = sf.read(rows[0]["audio"])
    files = {"good": tmp_path / "good.wav", "stereo48k": tmp_path / "stereo48k.flac",
             "empty": tmp_path / "empty.wav", "corrupt": tmp_path / "corrupt.wav",
             "text": tmp_path / "notes.ogg", "missing": tmp_path / "missing.wav"}
    sf.write(files["good"], samples, rate)
    resampled = np.interp(np.arange(len(samples) * 3) / 3, np.arange(len(samples)), samples)
    sf.write(files["stereo48k"], np.stack([resampled, resampled], 1), 48000)
    files["empty"].write_bytes(b"")
    files["corrupt"].write_bytes(files["good"].read_bytes()[:30])
    files["text"].write_text("these are my notes, not audio")
    return files


def test_transcribe_reports_each_bad_file_in_one_line_and_goes_on(tiny_run, audio_files):
    order = ["good", "empty", "corrupt", "stereo48k", "text", "missing"]
    result = asr("transcribe", "--model", tiny_run, *[audio_files[k] for k in order])
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    errors, summary = lines[:4], lines[4:]  # as they happen, then a summary
    assert summary[0] == "asr transcribe: 4 of 6 files could not be transcribed:" and len(summary) == 5
    for name, line, summary_line in zip(["empty", "corrupt", "text", "missing"], errors, summary[1:]):
        assert str(audio_files[name]) in line and line.split(": ", 1)[1] == summary_line.split(":   ", 1)[1]
    out = result.stdout.strip().splitlines()
    assert [line.split("\t")[0] for line in out] == [str(audio_files["good"]), str(audio_files["stereo48k"])]


def test_transcribe_json_and_long_files_in_chunks(tiny_run, audio_files, tmp_path):
    samples, rate = sf.read(audio_files["good"])
    long = np.concatenate([samples, np.zeros(rate // 2)] * 30)  # ~1 minute with pauses
    sf.write(tmp_path / "long.wav", long, rate)
    result = asr("transcribe", "--model", tiny_run, "--json", "--chunk-seconds", "5", tmp_path / "long.wav",
                 audio_files["good"])
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)
    assert [i["file"] for i in items] == [str(tmp_path / "long.wav"), str(audio_files["good"])]
    assert items[0]["duration"] > 50 and isinstance(items[0]["text"], str)


def test_chunks_are_cut_in_pauses():
    from asr.inference.chunking import chunk_bounds, frame_energy
    rate = 16000
    speech = np.random.default_rng(0).normal(size=rate * 3).astype(np.float32)
    pause = np.zeros(rate // 4, np.float32)
    samples = np.concatenate([speech, pause, speech, pause, speech])
    bounds = chunk_bounds(len(samples), 4.0, frame_energy(samples))
    assert bounds[0][0] == 0 and bounds[-1][1] == len(samples)
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
    for _, cut in bounds[:-1]:
        assert np.all(samples[cut - 80:cut + 80] == 0)  # inside a pause
    assert all(b - a <= 4 * rate for a, b in bounds)


def test_streamed_chunking_cuts_where_the_whole_signal_is_cut():
    """Hop energies gathered block by block, and pieces cut from blocks, are those of the whole array."""
    from asr.inference.chunking import chunk_bounds, cut_stream, frame_energy, hop_energies, smoothed
    rng = np.random.default_rng(3)
    samples = np.concatenate([rng.normal(size=16000 * 3).astype(np.float32) * (k % 2) for k in range(7)])
    edges = np.sort(rng.choice(len(samples), 40, replace=False))
    blocks = np.split(samples, edges)  # uneven blocks, ending anywhere within a hop
    energy, length = hop_energies(blocks)
    np.testing.assert_array_equal(smoothed(energy), frame_energy(samples))
    bounds = chunk_bounds(length, 2.0, smoothed(energy))
    pieces = list(cut_stream(blocks, bounds))
    assert [start for start, _ in pieces] == [a for a, _ in bounds] and len(bounds) > 5
    for (a, b), (_, piece) in zip(bounds, pieces):
        np.testing.assert_array_equal(piece, samples[a:b])


def test_transcribe_reads_standard_input(tiny_run, audio_files):
    """`asr transcribe -` reads a WAV or FLAC stream from stdin and prints what the file gives."""
    import os
    import subprocess
    import sys
    by_file = asr("transcribe", "--model", tiny_run, audio_files["stereo48k"])
    piped = subprocess.run([sys.executable, "-m", "asr.cli", "transcribe", "--model", str(tiny_run), "-"],
                           input=audio_files["stereo48k"].read_bytes(), capture_output=True,
                           env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, timeout=900)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.decode() == by_file.stdout and by_file.returncode == 0
    garbage = subprocess.run([sys.executable, "-m", "asr.cli", "transcribe", "--model", str(tiny_run), "-"],
                             input=b"not audio", capture_output=True, timeout=900)
    assert garbage.returncode == 1 and garbage.stderr.decode().startswith("asr transcribe: -: not a readable")


def test_transcribe_without_a_model_is_one_clear_line(tmp_path):
    result = asr("transcribe", "--model", tmp_path, tmp_path / "x.wav")
    assert result.returncode == 1 and "no trained model here" in result.stderr
    assert "Traceback" not in result.stderr


def test_long_files_are_cut_at_every_pause_and_short_ones_stay_whole():
    from asr.inference.chunking import chunk_bounds, frame_energy
    rate = 16000
    rng = np.random.default_rng(1)
    pieces = [rng.normal(size=int(rate * s)).astype(np.float32) for s in (2.0, 3.0, 2.5)]
    pause = np.zeros(int(rate * 0.4), np.float32)
    samples = np.concatenate([pieces[0], pause, pieces[1], pause, pieces[2], np.zeros(300, np.float32)])
    assert chunk_bounds(len(samples), 20.0, frame_energy(samples)) == [(0, len(samples))]
    bounds = chunk_bounds(len(samples), 5.0, frame_energy(samples))
    assert len(bounds) == 3 and bounds[-1][1] == len(samples)  # the 300-sample tail joined the last piece


@pytest.mark.parametrize("length", [1, 100, 400, 511])
def test_features_of_very_short_audio_keep_the_frame_count(length):
    import warnings

    from asr.data.features import log_mel
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert log_mel(np.ones(length, np.float32)).shape == (1 + length // 160, 80)


def test_asr_run_from_its_checkout_takes_data_prep_beside_it(tmp_path):
    """An editable install puts asr alone on the path (not the checkout's root): `asr prepare` still takes the
    data_prep/ beside it. Here a folder holding only a link to the checkout's asr/ stands for that path."""
    import os
    import subprocess
    import sys

    import asr
    checkout = Path(asr.__file__).resolve().parents[1]
    (tmp_path / "path").mkdir()
    (tmp_path / "path" / "asr").symlink_to(checkout / "asr")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "path")}
    where = "from asr.cli.commands import data_prep_corpora; print(data_prep_corpora().__file__)"
    done = subprocess.run([sys.executable, "-c", where], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.stdout.strip() == str(checkout / "data_prep" / "corpora.py"), done.stdout + done.stderr


def build_sdist_and_wheel(checkout, work):
    """The sdist of a copy of the checkout's packaged files, and the wheel built from that sdist (as
    `python -m build` does: a file the sdist forgets fails here). Offline: the backend is this environment's
    setuptools (the dev extra), with no build isolation and no package index."""
    import shutil
    import subprocess
    import sys
    source, dist = work / "source", work / "dist"
    source.mkdir()  # a copy: the build writes *.egg-info beside the files it reads
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(checkout / name, source)
    shutil.copytree(checkout / "asr", source / "asr", ignore=shutil.ignore_patterns("__pycache__"))
    backend = "import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))"
    done = subprocess.run([sys.executable, "-c", backend, str(dist)], cwd=source, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    sdist = dist / done.stdout.split()[-1]
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                           "--no-index", "--wheel-dir", str(dist), str(sdist)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return sdist, next(dist.glob("*.whl"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The sdist and wheel, and a fresh venv outside the checkout, inside some other git repository, with the
    wheel installed. Its other packages are this environment's (TensorFlow is not installed twice): a .pth
    line per site-packages folder, which adds the folder but not the .pth files in it (not our editable asr)."""
    import os
    import site
    import subprocess
    import sys
    from types import SimpleNamespace
    work = tmp_path_factory.mktemp("installed")
    subprocess.run(["git", "init", "--quiet", str(work)], check=True)
    sdist, wheel = build_sdist_and_wheel(Path(__file__).resolve().parents[1], work)
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                           "--no-index", str(wheel)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    packages = next((venv / "lib").glob("python*/site-packages"))
    (packages / "our_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("ASR_MODEL", "PYTHONPATH")}  # not the checkout's asr
    return SimpleNamespace(sdist=sdist, wheel=wheel, python=python, bin=venv / "bin", env=env)


def test_the_wheel_holds_asr_alone_and_both_archives_the_licence(installed):
    import tarfile
    import zipfile
    import asr
    names = zipfile.ZipFile(installed.wheel).namelist()
    dist_info = f"asr_lstm_ctc-{asr.__version__}.dist-info"
    assert {name.split("/")[0] for name in names} == {"asr", dist_info}  # no generic top-level data_prep
    assert f"{dist_info}/licenses/LICENSE" in names and "asr/serving/static/index.html" in names
    sdist_names = tarfile.open(installed.sdist).getnames()
    assert f"asr_lstm_ctc-{asr.__version__}/LICENSE" in sdist_names


def test_an_installed_asr_runs_from_anywhere(installed, tiny_run, audio_files, tmp_path):
    """The wheel in a venv, run outside the checkout: `asr --version`, `python -m asr`, transcribe with --model,
    else $ASR_MODEL, else the general model the checkout ships (a clear message when it ships none); `asr
    prepare` says that it needs the checkout."""
    import subprocess

    import asr
    from asr.pretrained import shipped_model

    def run(*command, **extra_env):
        return subprocess.run(list(map(str, command)), cwd=tmp_path, env={**installed.env, **extra_env},
                              capture_output=True, text=True, timeout=600)

    where = run(installed.python, "-c", "import asr; print(asr.__file__)")
    assert str(installed.bin.parent) in where.stdout, where.stdout + where.stderr  # not the checkout
    version = run(installed.bin / "asr", "--version")
    assert version.returncode == 0 and version.stdout == f"asr {asr.__version__}\n", version.stderr
    usage = run(installed.python, "-m", "asr", "--help")
    assert usage.returncode == 0 and usage.stdout.startswith("usage: asr"), usage.stderr
    unnamed = run(installed.bin / "asr", "transcribe", audio_files["good"])
    assert "Traceback" not in unnamed.stderr
    if shipped_model():
        assert unnamed.returncode == 0 and unnamed.stdout.strip(), unnamed.stderr
        assert "asr transcribe: model " in unnamed.stderr and "(the general model shipped with asr)" in unnamed.stderr
        assert str(installed.bin.parent) in unnamed.stderr  # the installed copy, not the checkout's
    else:
        assert unnamed.returncode == 1
        assert "no model given: pass --model RUN_DIR or set ASR_MODEL" in unnamed.stderr
    by_env = run(installed.bin / "asr", "transcribe", audio_files["good"], ASR_MODEL=tiny_run)
    by_option = run(installed.python, "-m", "asr", "transcribe", "--model", tiny_run, audio_files["good"])
    assert by_env.returncode == 0 == by_option.returncode, by_env.stderr + by_option.stderr
    assert by_env.stdout == by_option.stdout  # transcripts only: the model chosen is named on stderr
    assert f"asr transcribe: model {tiny_run} ($ASR_MODEL)" in by_env.stderr and "model" not in by_option.stderr
    prepare = run(installed.bin / "asr", "prepare", "--data-dir", tmp_path / "data")
    assert prepare.returncode == 1 and prepare.stderr.startswith("asr prepare: corpus preparation (data_prep/) "
                                                                 "comes with the source checkout"), prepare.stderr


def test_model_json_records_the_version_and_only_our_own_commit(installed, tiny_run, tmp_path):
    """From the checkout: the version and the checkout's commit. Installed inside another git repository: the
    version alone (git run from site-packages would name that other repository's commit)."""
    import subprocess

    import asr
    from asr.provenance import code_commit
    checkout = Path(asr.__file__).resolve().parents[1]
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=checkout, capture_output=True, text=True)
    assert code_commit() == (head.stdout.strip() or None)
    record = json.loads((tiny_run / "model" / "model.json").read_text())
    assert record["version"] == asr.__version__ and record.get("commit") == code_commit()
    installed_record = subprocess.run([installed.python, "-c", "import json; from asr.provenance import "
                                       "code_provenance; print(json.dumps(code_provenance()))"], cwd=tmp_path,
                                      env=installed.env, capture_output=True, text=True)
    assert json.loads(installed_record.stdout) == {"version": asr.__version__}, installed_record.stderr
