"""espeak-ng (Debian `espeak-ng`): formant voices named accent+variant, e.g. en-us+m3.

rate is in words per minute, pitch in espeak-ng's 0..99 scale. It writes 22.05 kHz; the caller resamples.
"""

import io
import shutil
import subprocess

import soundfile as sf

PROGRAM = "espeak-ng"
INSTALL = "install the Debian package espeak-ng"


def installed():
    return shutil.which(PROGRAM) is not None


def prosody(rng, config):
    """Rate and pitch drawn from rng in the order the default corpus has always drawn them."""
    return {"rate": int(rng.integers(config.rate_wpm[0], config.rate_wpm[1] + 1)),
            "pitch": int(rng.integers(config.pitch[0], config.pitch[1] + 1))}


def speak_many(jobs, tmp_dir):
    """(job, (samples, sample rate) or an error message) for each job; one espeak-ng process each."""
    return [(job, _speak(job)) for job in jobs]


def _speak(job):
    command = [PROGRAM, "-v", job["voice"], "-s", str(job["rate"]), "-p", str(job["pitch"]), "--stdout",
               job["text"]]
    result = subprocess.run(command, capture_output=True)
    if result.returncode != 0 or len(result.stdout) < 100:
        return f"espeak-ng failed: {result.stderr.decode(errors='replace').strip()[:200]}"
    return sf.read(io.BytesIO(result.stdout), dtype="float32")
