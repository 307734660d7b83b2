"""SVOX Pico (PyPI `py-nanotts`, Apache-2.0): Android's small HMM-based synthesiser, whose wheel carries its
lingware, so nothing is downloaded. Two English voices, both women's: en-US and en-GB. A statistical parametric
engine, unlike espeak-ng's formants, flite's and festival's units and Kokoro's network. Rate is its speed (above
1 is faster), drawn as the neural engines' is; pitch a factor on the voice's own F0 (about 165 Hz), drawn over
PITCH_FACTOR so that some of its utterances have a man's pitch.

Pico reads memory of its working pool that it never wrote: in a process whose heap had been used, the same
text came out differently 7 times in 30, and once crashed the process. So it speaks in a child process of its
own (run as `python pico.py JOBS.json OUT_DIR`, this file), told by glibc's MALLOC_MMAP_THRESHOLD_ to map every
large block afresh: each utterance's pool starts zeroed, as in a new process, and a crash or a hang fails these
jobs, not the corpus. A job the child cannot speak leaves its error in OUT_DIR/<id>.err and the child goes on.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

from asr.config_checks import TTS_VOICES
from asr.fileio import atomic_path, write_text

INSTALL = "pip install py-nanotts, or asr's `voices` extra"
VOICES = TTS_VOICES["pico"]  # the English lingware inside the wheel
SAMPLE_RATE = 16000
PITCH_FACTOR = (0.65, 1.3)  # about 107 to 215 Hz
VOLUME = 0.5  # at its default of 1.0, en-US clips about 1 % of its samples
FRESH_POOL = {"MALLOC_MMAP_THRESHOLD_": str(128 * 1024)}  # its 2.5-MB pool is mapped, zeroed, for each utterance
# Pico speaks a sentence in well under a second; a child past this has hung in Pico's C loop
TIMEOUT_SECONDS = {"start": 60, "per_job": 10}


def installed():
    return importlib.util.find_spec("py_nanotts") is not None


def prosody(rng, config):
    return {"speed": round(float(rng.uniform(*config.neural_speed)), 3),
            "pitch": round(float(rng.uniform(*PITCH_FACTOR)), 3)}


def speak_many(jobs, tmp_dir):
    """(job, (samples, sample rate) or an error message) for each job, spoken by one child process (a corpus's
    chunk holds a few Pico jobs among other engines', so the child's start, about 0.3 s, is much of their time)."""
    tmp_dir = Path(tmp_dir)
    for job in jobs:
        if job["voice"] not in VOICES:
            return [(job, f"pico: voice {job['voice']!r} is not in its wheel (only {', '.join(VOICES)})")
                    for job in jobs]
    request = tmp_dir / "pico-jobs.json"
    fields = ("id", "text", "voice", "speed", "pitch")
    request.write_text(json.dumps([{"speed": 1.0, "pitch": 1.0, **{k: job[k] for k in fields if k in job}}
                                   for job in jobs]))
    timeout = TIMEOUT_SECONDS["start"] + TIMEOUT_SECONDS["per_job"] * len(jobs)
    try:
        child = subprocess.run([sys.executable, __file__, str(request), str(tmp_dir)], capture_output=True,
                               env={**os.environ, **FRESH_POOL}, timeout=timeout)
        failed = f"pico failed (exit status {child.returncode}): {child.stderr.decode(errors='replace').strip()[-200:]}"
    except subprocess.TimeoutExpired:
        failed = f"pico: its process had not finished after {timeout} s and was stopped"
    return [(job, _outcome(tmp_dir, job["id"], failed)) for job in jobs]


def _outcome(out_dir, utterance_id, failed):
    """The child's audio for one job, its error message, or `failed` if it left neither."""
    wav, error = Path(out_dir) / f"{utterance_id}.wav", Path(out_dir) / f"{utterance_id}.err"
    if wav.is_file():
        return sf.read(str(wav), dtype="float32")
    return f"pico: {error.read_text().strip()}" if error.is_file() else failed


def _speak_jobs(request, out_dir):
    """The child: each job of the request file to out_dir/<id>.wav (whole, or not at all) or its error to <id>.err."""
    from py_nanotts import NanoTTS
    tts = NanoTTS()
    for job in json.loads(Path(request).read_text()):
        try:
            pcm = tts.speak(job["text"], voice=job["voice"], speed=job["speed"], pitch=job["pitch"], volume=VOLUME)
        except Exception as e:  # noqa: BLE001 -- whatever the engine raised is that one job's error
            pcm, error = None, f"{type(e).__name__}: {e}"
        else:
            error = "no audio"
        if not pcm:
            write_text(Path(out_dir) / f"{job['id']}.err", f"{job['id']}: {error}\n")
            continue
        with atomic_path(Path(out_dir) / f"{job['id']}.wav") as part:
            sf.write(str(part), np.frombuffer(pcm, np.int16), SAMPLE_RATE, subtype="PCM_16")


if __name__ == "__main__":
    _speak_jobs(*sys.argv[1:3])
