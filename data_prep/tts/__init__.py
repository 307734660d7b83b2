"""Offline TTS engines the synthetic corpus speaks with, by name (data_prep/synth_en.py).

Each engine module has installed() and INSTALL (what to install when it is not), prosody(rng, config) (its rate
and pitch controls drawn from rng) and speak_many(jobs, tmp_dir) (the raw audio of each job). Here, what is common:
16 kHz mono, the volume gain, writing each WAV whole, skipping the ones already written.
"""

import tempfile
from itertools import groupby
from pathlib import Path

import numpy as np
import soundfile as sf

from asr.config_checks import FORBIDDEN_VOICE
from asr.data.audio import SAMPLE_RATE, to_mono, write_wav
from asr.errors import AsrError
from data_prep.tts import espeak_ng, festival, flite, hibari, kokoro, kokoro_en, pico

ENGINES = {"espeak-ng": espeak_ng, "flite": flite, "festival": festival, "kokoro": kokoro, "kokoro-en": kokoro_en,
           "hibari": hibari, "pico": pico}


def check_installed(names):
    """AsrError saying how to install the first engine in `names` that is not installed."""
    for name in names:
        if not ENGINES[name].installed():
            raise AsrError(f"{name} not found ({ENGINES[name].INSTALL})")


def speak_chunk(jobs):
    """(job, duration in seconds or an error message) for each job; WAVs already there are kept.

    A job has engine, voice, text, wav, the engine's prosody keys and, for a random volume, gain_db."""
    outcomes = {job["id"]: sf.info(job["wav"]).duration for job in jobs if Path(job["wav"]).is_file()}
    todo = sorted((job for job in jobs if job["id"] not in outcomes), key=lambda job: job["engine"])
    for engine, group in groupby(todo, key=lambda job: job["engine"]):
        group = list(group)
        if any(FORBIDDEN_VOICE in job["voice"] for job in group):  # the config refuses it; never speak it
            raise AsrError(f"{engine}: the {FORBIDDEN_VOICE} voices are kept out of this corpus")
        with tempfile.TemporaryDirectory(prefix="asr-tts-") as tmp_dir:
            for job, audio in ENGINES[engine].speak_many(group, tmp_dir):
                outcomes[job["id"]] = _write(job, audio)
    return [(job, outcomes[job["id"]]) for job in jobs]  # in the jobs' order, which the manifests keep


def _write(job, audio):
    """The job's WAV (16 kHz mono 16-bit) from the engine's (samples, rate); its duration, or the error."""
    if isinstance(audio, str):
        return audio
    samples = to_mono(*audio)
    if job.get("gain_db") is not None:  # absent for the espeak-ng test splits, kept as they always were
        samples = np.clip(samples * np.float32(10 ** (job["gain_db"] / 20)), -1.0, 1.0)
    write_wav(job["wav"], samples)
    return len(samples) / SAMPLE_RATE


def speak(engine, text, voice, out_wav, gain_db=None, **prosody):
    """Speak one text to out_wav (kept if already there); prosody as the engine's prosody() gives it.
    The duration in seconds."""
    job = {"id": Path(out_wav).stem, "engine": engine, "voice": voice, "text": text, "wav": str(out_wav),
           "gain_db": gain_db, **prosody}
    (_, outcome), = speak_chunk([job])
    if isinstance(outcome, str):
        raise AsrError(outcome)
    return outcome
