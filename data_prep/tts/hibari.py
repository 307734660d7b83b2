"""hibari-tts (PyPI, Apache-2.0): a small neural voice distilled from one of Kokoro's (American English,
female, "heart"), 24 kHz. Its wheel holds that one voice; it downloads the others on first use, so no other
is ever asked for. Rate is its speed (above 1 is faster); its noise source is seeded by the utterance's id,
so an utterance sounds the same every time it is made.
"""

import importlib.util
import zlib
from functools import cache

import numpy as np

from asr.config_checks import TTS_VOICES
from data_prep.tts import kokoro
from data_prep.tts.exact_int8 import unsigned_model_bytes
from data_prep.tts.phonemes import english_phonemes

PACKAGES = ("hibari",)
INSTALL = "pip install hibari-tts, or asr's `voices` extra"
VOICES = TTS_VOICES["hibari"]  # the one voice inside the wheel
SAMPLE_RATE = 24000


def installed():
    return importlib.util.find_spec("hibari") is not None


def prosody(rng, config):
    return kokoro.prosody(rng, config)


def speak_many(jobs, tmp_dir):
    """(job, (samples, sample rate) or an error message) for each job; the model stays loaded in the process."""
    return [(job, _speak(job)) for job in jobs]


def _speak(job):
    if job["voice"] not in VOICES:
        return f"hibari: voice {job['voice']!r} is not in its wheel (only {', '.join(VOICES)})"
    model = _model(job["voice"])
    audio = model.from_phonemes(english_phonemes(job["text"]), speed=job["speed"], seed=zlib.crc32(job["id"].encode()))
    if audio.size == 0:
        return "hibari: no audio"
    return np.asarray(audio, np.float32), SAMPLE_RATE


@cache
def _model(voice):
    from hibari import Hibari
    from hibari.voices import voice_path
    # Its int8 weights moved to uint8 (exact_int8): without that, an AVX2 CPU spoke it differently than a
    # VNNI one. onnxruntime takes the model as bytes where hibari passes a path.
    exact = unsigned_model_bytes(voice_path(voice, download_missing=False))
    return Hibari(voice=voice, model=exact, threads=1)  # the corpus runs a process per core
