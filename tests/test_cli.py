"""The `asr` command as a user runs it: help texts, evaluate reports, transcribe with bad input."""

import json

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


@pytest.fixture(scope="module")
def installed_python(tmp_path_factory):
    """A fresh venv with asr installed non-editable (`pip install .`); its other packages are ours."""
    import shutil
    import site
    import subprocess
    import sys
    from pathlib import Path
    venv = tmp_path_factory.mktemp("installed") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    packages = next((venv / "lib").glob("python*/site-packages"))
    (packages / "our_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")  # not our .pth files
    checkout, source = Path(__file__).resolve().parents[1], venv.parent / "source"
    source.mkdir()  # a copy of what the build reads: the build writes build/ and *.egg-info beside it
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(checkout / name, source)
    for name in ("asr", "data_prep"):
        shutil.copytree(checkout / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                           "--target", str(packages), str(source)], capture_output=True, text=True, cwd=venv)
    assert done.returncode == 0, done.stderr[-2000:]
    return venv / "bin" / "python"


def test_an_installed_asr_finds_its_model_from_anywhere(installed_python, tiny_run, audio_files, tmp_path):
    """Non-editable install, run outside the checkout: --model, else $ASR_MODEL, else a clear message."""
    import os
    import subprocess
    env = {k: v for k, v in os.environ.items() if k not in ("ASR_MODEL", "PYTHONPATH")}

    def installed_asr(*args, **extra_env):
        return subprocess.run([str(installed_python), "-m", "asr.cli", *map(str, args)], cwd=tmp_path,
                              env={**env, **extra_env}, capture_output=True, text=True, timeout=600)

    where = subprocess.run([str(installed_python), "-c", "import asr; print(asr.__file__)"], cwd=tmp_path, env=env,
                           capture_output=True, text=True)
    assert str(installed_python.parents[1]) in where.stdout, where.stdout + where.stderr  # not the checkout
    missing = installed_asr("transcribe", audio_files["good"])
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert "no model given: pass --model RUN_DIR or set ASR_MODEL" in missing.stderr
    by_env = installed_asr("transcribe", audio_files["good"], ASR_MODEL=str(tiny_run))
    by_option = installed_asr("transcribe", "--model", tiny_run, audio_files["good"])
    assert by_env.returncode == 0 == by_option.returncode, by_env.stderr + by_option.stderr
    assert by_env.stdout == by_option.stdout
