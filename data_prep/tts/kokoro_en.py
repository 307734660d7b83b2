"""Kokoro-82M's English speakers: the same int8 ONNX model as data_prep/tts/kokoro.py, with the 27 English voice
packs of the PyPI sdist `kokoro` 0.9.4 (hexgrad, Apache-2.0; they sit in its kokoro.js/voices/ folder; the
wheel has none). `python -m data_prep.tts.fetch_kokoro_en` takes them out of the sdist, checked against its sha256,
into the user's cache once; nothing is fetched while a corpus is made.

af_heart is left out: hibari's one voice is distilled from it, and hibari speaks test_unseen_neural.

A voice here is a numbered mixture of two of the packs, drawn from the voice's number alone (`en0042` is the
same voice in every corpus): timbre (style[:128]) and prosody (style[128:]) each a weighted sum of the two.
Two rather than all 27: a flat mixture of many packs lands every voice near their average, while two keep each
voice between two real speakers. A voice reads with its dominant timbre pack's lexicon (bf_/bm_ British).
"""

import os
from functools import cache
from pathlib import Path

import numpy as np

from asr.errors import AsrError
from data_prep.tts import kokoro

VERSION = "0.9.4"
SDIST = f"kokoro-{VERSION}.tar.gz"
SDIST_SHA256 = "fbf633262797f8cf46fdac3315cf9cade67dc8b762c0feccf334892772fb9ac4"
SDIST_VOICES = f"kokoro-{VERSION}/kokoro.js/voices"
PACKS = ("af_alloy", "af_aoede", "af_bella", "af_jessica", "af_kore", "af_nicole", "af_nova", "af_river",
         "af_sarah", "af_sky", "am_adam", "am_echo", "am_eric", "am_fenrir", "am_liam", "am_michael", "am_onyx",
         "am_puck", "am_santa", "bf_alice", "bf_emma", "bf_isabella", "bf_lily", "bm_daniel", "bm_fable",
         "bm_george", "bm_lewis")
HELD_OUT_PACK = "af_heart"  # hibari's voice is distilled from it: never a training voice
PACK_SHAPE = (510, 256)  # one style vector per input length
INSTALL = (f"{kokoro.INSTALL}; then python -m data_prep.tts.fetch_kokoro_en at the repository root (its English voice "
           f"packs, from PyPI's {SDIST})")
VOICE_PREFIX = "en"
MIXTURE_SEED = 20261207  # the voices' numbering: never change it, or every voice becomes another
MIXED_PACKS = 2
SAMPLE_RATE = kokoro.SAMPLE_RATE


def packs_dir():
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache_home / "asr" / f"kokoro-{VERSION}" / "voices"


def pack_path(name, folder=None):
    """Where a pack is (in the cache, or in `folder`: the sdist's, one being unpacked)."""
    return Path(folder or packs_dir()) / f"{name}.bin"


def packs_present():
    return all(pack_path(name).is_file() for name in PACKS)


def installed():
    return kokoro.installed() and packs_present()


def voice_names(count):
    return [f"{VOICE_PREFIX}{i:04d}" for i in range(count)]


def prosody(rng, config):
    return kokoro.prosody(rng, config)


def speak_many(jobs, tmp_dir):
    """(job, (samples, sample rate) or an error message) for each job; the model stays loaded in the process."""
    return [(job, kokoro.speak_with(*voice(job["voice"]), job)) for job in jobs]


@cache
def voice(name):
    """(style table (510, 256) float32, reads British) of a voice named enNNNN."""
    rng = kokoro.numbered_voice_rng(name, VOICE_PREFIX, MIXTURE_SEED, "kokoro-en")
    chosen = [PACKS[i] for i in rng.choice(len(PACKS), size=MIXED_PACKS, replace=False)]
    timbre, rhythm = rng.dirichlet(np.ones(MIXED_PACKS), size=2)
    style = kokoro.mixed_style(np.stack([pack(p) for p in chosen]), timbre, rhythm)
    return style, chosen[int(np.argmax(timbre))].startswith("b")


@cache
def pack(name):
    path = pack_path(name)
    if not path.is_file():
        raise AsrError(f"kokoro-en: {path} not found ({INSTALL})")
    return np.fromfile(path, "<f4").reshape(PACK_SHAPE)  # stored (510, 1, 256)
