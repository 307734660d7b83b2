"""Shared fixtures: a tiny synthetic corpus with features, and a briefly trained tiny model."""

import os
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402

from asr.cli.output import configure_logging  # noqa: E402
from asr.recipe import config_from_dict  # noqa: E402

configure_logging()  # library log lines reach stdout/stderr as under the CLI (capsys sees them)

TINY = {
    "corpus": {"train_sentences": 40, "dev_sentences": 8, "test_sentences": 8, "unseen_voice_sentences": 8,
               "unseen_voices": 3, "max_words": 6, "accents": ["en-us", "en-gb"],
               "variants": ["m1", "m3", "f2", "f4"], "unseen_engine_sentences": 4, "adapt_sentences": 2,
               # espeak-ng alone at its own level, as the default recipe; a model trained for seconds on it
               # says nothing for many utterances, so the streaming and serving tests that compare two
               # paths' transcripts take one it speaks for (fixture spoken_utterance)
               "engines": {"espeak-ng": 1.0}, "volume_db": [0.0, 0.0], "seed": 7},
    "features": {"utterances_per_shard": 16},
    "model": {"layers": 2, "units": 48, "dropout": 0.0},
    "train": {"max_epochs": 2, "batch_frames": 4000, "max_batch_utterances": 16, "warmup_steps": 2,
              "checkpoint_every_steps": 2, "peak_learning_rate": 0.003},
}


# as root, permission bits bind only a process without the capabilities that override them (setpriv, util-linux)
AS_USER = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"] if os.geteuid() == 0 else []


def asr(*args, env=None, prefix=()):
    """`asr ARGS` in a fresh process as a user runs it (`prefix`: a command to run it under, `env`: its
    environment, default ours); the CompletedProcess with text output."""
    command = [*prefix, sys.executable, "-m", "asr.cli", *map(str, args)]
    return subprocess.run(command, env={**(os.environ if env is None else env), "TF_CPP_MIN_LOG_LEVEL": "3"},
                          capture_output=True, text=True, timeout=900)


def needs_engines(*names):
    """Skips a test that needs speech engines of the corpus (`make test` installs them all) when one is missing,
    saying how to install it; no names: the Debian ones."""
    from data_prep.tts import ENGINES
    for name in names or ("espeak-ng", "flite", "festival"):
        if not ENGINES[name].installed():
            pytest.skip(f"{name} is not installed ({ENGINES[name].INSTALL})")


@pytest.fixture(scope="session")
def tiny_config():
    return config_from_dict(TINY, "tests/conftest.py")


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory, tiny_config):
    """data_dir with manifests/ and features/ of a tiny synthetic corpus."""
    needs_engines()
    from asr.data.compute_features import compute_features
    from data_prep.synth_en import prepare_synth_en
    data_dir = tmp_path_factory.mktemp("tiny_data")
    prepare_synth_en(tiny_config.corpus, data_dir, jobs_count=2)
    compute_features(data_dir, tiny_config.features, 2)
    return data_dir


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, tiny_config, tiny_data):
    """A run directory with a (barely) trained tiny model."""
    from asr.training.trainer import train
    run_dir = tmp_path_factory.mktemp("tiny_run")
    train(tiny_config, tiny_data, run_dir)
    return run_dir


@pytest.fixture(scope="session")
def tiny_streaming_run(tmp_path_factory, tiny_config, tiny_data):
    """A run directory with a (barely) trained tiny streaming model (lstm_lookahead), exported to ONNX."""
    import dataclasses

    from asr.models.export import export_model
    from asr.training.trainer import train
    config = dataclasses.replace(tiny_config, model=dataclasses.replace(
        tiny_config.model, encoder="lstm_lookahead", lookahead=2))
    run_dir = tmp_path_factory.mktemp("tiny_streaming_run")
    train(config, tiny_data, run_dir)
    export_model(run_dir / "model")
    return run_dir


@pytest.fixture(scope="session")
def streaming_transcriber(tiny_streaming_run):
    """The offline Transcriber (with word timings) of the tiny streaming model, as `asr serve` builds it."""
    from asr.inference.transcriber import Transcriber
    return Transcriber(tiny_streaming_run / "model", words=True)


@pytest.fixture(scope="session")
def streaming_recognizer(tiny_streaming_run):
    """The StreamingRecognizer of the tiny streaming model."""
    from asr.inference.streaming import StreamingRecognizer
    return StreamingRecognizer(tiny_streaming_run / "model")


@pytest.fixture(scope="session")
def spoken_utterance(tiny_data, streaming_transcriber):
    """The manifest row of the first utterance of the tiny corpus (test, then dev, then train) for which the
    tiny streaming model's offline transcript is not empty. The barely trained model says "" for many
    utterances, which ones depending on the corpus seed: tests that compare two paths' transcripts take this
    one, so that they do not compare "" with ""."""
    return first_spoken(tiny_data, streaming_transcriber)


def first_spoken(tiny_data, transcriber):
    """The manifest row of the first utterance of the tiny corpus (test, then dev, then train) for which the
    transcriber's transcript is not empty."""
    from asr.data.manifest import load_manifest
    for split in ("test", "dev", "train"):
        for row in load_manifest(tiny_data / "manifests" / f"{split}.jsonl"):
            if transcriber.transcribe_samples(transcriber.load(row["audio"])):
                return row
    pytest.fail(f"the tiny model of {transcriber.info.layout.root} says nothing for any utterance of the tiny "
                "corpus: a problem of the test fixtures (TINY in tests/conftest.py), not of the product")
