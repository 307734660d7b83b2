"""Memory and time of `asr transcribe` on a long file: `python tools/bench_long_audio.py [--minutes 60] [--model DIR]`.

Writes a speech-like file (noise in syllable-rate bursts, a pause every few seconds) of --minutes and a
1-minute reference, block by block so this script stays small too, and transcribes each in a fresh
`asr transcribe` process, printing the process's peak resident memory (its rusage, from os.wait4) and wall
time. Equal peaks for both lengths mean memory does not grow with the length of the file. Without --model
a tiny random model is made and exported to ONNX (as tools/bench_startup.py does): the figures are about
reading, resampling, chunking and batching, which do not depend on training.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from bench_startup import child_env  # tools/ is on sys.path when this runs as a script

BLOCK_SECONDS = 10


def tiny_model(out_dir):
    """bench_startup.make_model_dir run in a child process: a forked child starts out holding its parent's
    pages, so TensorFlow in this process would show in every measured peak."""
    subprocess.run([sys.executable, "-c", "import sys; from bench_startup import make_model_dir; "
                    "make_model_dir(sys.argv[1])", out_dir], check=True, cwd=Path(__file__).parent, env=child_env())
    return Path(out_dir) / "model"


def write_speechlike(path, minutes, rate):
    """Mono 16-bit audio: noise with a 4 Hz syllable envelope, 3.6 s of 'speech' then 0.4 s of silence."""
    rng = np.random.default_rng(0)
    block = BLOCK_SECONDS * rate
    t = np.arange(block) / rate  # every block starts a 4 s phrase cycle, as BLOCK_SECONDS is a multiple of 4 s
    envelope = (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)) * (t % 4 < 3.6)
    with sf.SoundFile(path, "w", samplerate=rate, channels=1, subtype="PCM_16") as out:
        for _ in range(int(minutes * 60 / BLOCK_SECONDS)):
            out.write(0.1 * envelope * rng.normal(size=block))


def transcribe(model_dir, path):
    """(peak RSS in MB, wall seconds, characters of transcript) of `asr transcribe` in a fresh process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "asr.cli", "transcribe", "--model", str(model_dir),
                                    str(path)], stdout=out, stderr=err, env=child_env())
        _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage, not the maximum over children
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        if process.returncode != 0:
            err.seek(0)
            raise SystemExit(f"asr transcribe {path} failed:\n{err.read().decode()}")
        out.seek(0)
        return usage.ru_maxrss / 1024, seconds, len(out.read().decode().strip())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60.0, help="length of the long file (60)")
    parser.add_argument("--references", type=float, nargs="*", default=[1.0, 10.0, 30.0],
                        help="shorter files to compare with (1, 10, 30 minutes: transcribe decodes chunks in "
                             "groups of GROUP_SECONDS, 10 minutes, so memory reaches its bound after a group or two)")
    parser.add_argument("--rate", type=int, default=44100, help="sample rate of the files (44100: resampled)")
    parser.add_argument("--model", help="a model directory (default: a tiny random one, exported to ONNX)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = args.model or tiny_model(tmp)
        peaks = {}
        for minutes in [*args.references, args.minutes]:
            path = Path(tmp) / f"{minutes:g}min.wav"
            write_speechlike(path, minutes, args.rate)
            peaks[minutes], seconds, characters = transcribe(model_dir, path)
            path.unlink()
            print(f"{minutes:5g} min at {args.rate} Hz: peak RSS {peaks[minutes]:6.0f} MB, wall {seconds:6.1f} s "
                  f"({minutes * 60 / seconds:.0f}x real time), {characters} characters of transcript", flush=True)
        for minutes in args.references:
            print(f"peak RSS {args.minutes:g} min / {minutes:g} min: {peaks[args.minutes] / peaks[minutes]:.2f}")


if __name__ == "__main__":
    main()
