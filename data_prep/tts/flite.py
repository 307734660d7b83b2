"""flite (Debian `flite`): CMU voices kal (8 kHz), kal16, awb and rms (16 kHz).

Rate is flite's duration_stretch (above 1 is slower) and pitch its target mean F0 in Hz; rms's F0 model
ignores that target, so rms varies in rate and volume only.
"""

import shutil
import subprocess
from pathlib import Path

import soundfile as sf

PROGRAM = "flite"
INSTALL = "install the Debian package flite"


def installed():
    return shutil.which(PROGRAM) is not None


def prosody(rng, config):
    return stretch_and_f0(rng, config)


def stretch_and_f0(rng, config):
    """A duration stretch and a mean F0: the prosody controls flite and festival share."""
    return {"stretch": round(float(rng.uniform(*config.duration_stretch)), 3),
            "f0": int(rng.integers(config.f0_mean_hz[0], config.f0_mean_hz[1] + 1))}


def speak_many(jobs, tmp_dir):
    """(job, (samples, sample rate) or an error message) for each job; one flite process each (it starts
    in milliseconds)."""
    return [(job, _speak(job, Path(tmp_dir) / f"{job['id']}.wav")) for job in jobs]


def _speak(job, wav):
    command = [PROGRAM, "-voice", job["voice"], "--setf", f"duration_stretch={job['stretch']}",
               "--setf", f"int_f0_target_mean={job['f0']}", "-t", job["text"], "-o", str(wav)]
    result = subprocess.run(command, capture_output=True)
    if result.returncode != 0 or not wav.is_file() or wav.stat().st_size < 100:
        return f"flite failed: {result.stderr.decode(errors='replace').strip()[:200]}"
    return sf.read(str(wav), dtype="float32")
