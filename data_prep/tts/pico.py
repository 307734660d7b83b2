"""SVOX Pico (PyPI `py-nanotts`, Apache-2.0): Android's small HMM-based synthesiser, whose wheel carries its
lingware, so nothing is downloaded. Two English voices, both women's: en-US and en-GB. A statistical parametric
engine, unlike espeak-ng's formants, flite's and festival's units and Kokoro's network. Rate is its speed (above
1 is faster), drawn as the neural engines' is; pitch a factor on the voice's own F0 (about 165 Hz), drawn over
PITCH_FACTOR so that some of its utterances have a man's pitch.
"""

import importlib.util

import numpy as np

INSTALL = "pip install py-nanotts, or asr's `voices` extra"
VOICES = ("en-US", "en-GB")  # the English lingware inside the wheel
SAMPLE_RATE = 16000
PITCH_FACTOR = (0.65, 1.3)  # about 107 to 215 Hz
VOLUME = 0.5  # at its default of 1.0, en-US clips about 1 % of its samples


def installed():
    return importlib.util.find_spec("py_nanotts") is not None


def prosody(rng, config):
    return {"speed": round(float(rng.uniform(*config.neural_speed)), 3),
            "pitch": round(float(rng.uniform(*PITCH_FACTOR)), 3)}


def speak_many(jobs, tmp_dir):
    """(job, (samples, sample rate) or an error message) for each job, in this process (it speaks at ~100 x
    real time)."""
    from py_nanotts import NanoTTS
    tts = NanoTTS()
    return [(job, _speak(tts, job)) for job in jobs]


def _speak(tts, job):
    if job["voice"] not in VOICES:
        return f"pico: voice {job['voice']!r} is not in its wheel (only {', '.join(VOICES)})"
    pcm = tts.speak(job["text"], voice=job["voice"], speed=job["speed"], pitch=job["pitch"], volume=VOLUME)
    if not pcm:
        return "pico: no audio"
    return np.frombuffer(pcm, np.int16).astype(np.float32) / 32768, SAMPLE_RATE
