"""festival (Debian `festival`, `festvox-kallpc16k`, `festvox-kdlpc16k`): diphone voices kal_diphone and
ked_diphone, 16 kHz.

Rate is festival's Duration_Stretch (above 1 is slower) and pitch the target mean F0 (Hz) of the voices'
linear-regression intonation. One festival process speaks a whole chunk of jobs from one Scheme script:
a process per utterance would spend most of its time loading the voice.
"""

import shutil
import subprocess
from pathlib import Path

import soundfile as sf

from data_prep.tts.flite import stretch_and_f0

PROGRAM = "festival"
INSTALL = "install the Debian packages festival festvox-kallpc16k festvox-kdlpc16k"
# the voices' own int_lr_params but the target mean; the spread is the voice's own
TARGET_F0_STD = {"kal_diphone": 14, "ked_diphone": 15}


def installed():
    return shutil.which(PROGRAM) is not None


def prosody(rng, config):
    return stretch_and_f0(rng, config)


def speak_many(jobs, tmp_dir):
    """(job, (samples, sample rate) or an error message) for each job, all spoken by one festival process."""
    tmp_dir = Path(tmp_dir)
    wavs = [tmp_dir / f"{job['id']}.wav" for job in jobs]
    script = tmp_dir / "speak.scm"
    script.write_text("".join(_utterance(job, wav) for job, wav in zip(jobs, wavs)))
    result = subprocess.run([PROGRAM, "-b", str(script)], capture_output=True)
    error = f"festival failed: {result.stderr.decode(errors='replace').strip()[:200] or 'no audio'}"
    return [(job, sf.read(str(wav), dtype="float32") if wav.is_file() else error)
            for job, wav in zip(jobs, wavs)]


def _utterance(job, wav):
    """Scheme that speaks one job to `wav`; an error there leaves that file out and goes on to the next.

    The voice's setup function resets Duration_Stretch and int_lr_params, so they are set after it."""
    voice = job["voice"]
    return (f"(unwind-protect (begin (voice_{voice})\n"
            f"  (Parameter.set 'Duration_Stretch {job['stretch']})\n"
            f"  (set! int_lr_params '((target_f0_mean {job['f0']}) (target_f0_std {TARGET_F0_STD[voice]})"
            " (model_f0_mean 170) (model_f0_std 34)))\n"
            f"  (utt.save.wave (utt.synth (Utterance Text {_scheme_string(job['text'])})) {_scheme_string(wav)}"
            " 'riff)) nil)\n")


def _scheme_string(value):
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
