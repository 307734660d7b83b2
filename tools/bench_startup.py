"""Start-up time of `asr transcribe` on one short file: `python tools/bench_startup.py [--model DIR] [--runs 5]`.

Without --model it makes a tiny, randomly initialised model directory and exports it to ONNX (start-up does
not depend on training). It writes a 3-second WAV, then
  1. runs `asr transcribe --model DIR FILE` in a fresh process --runs times with each backend (onnx, and tf
     as the reference) and prints the median wall time and the tf / onnx ratio;
  2. runs the same steps once more per backend in a probe process that times each: python start (spawn to
     the first line), imports (the CLI and the transcriber), model load (Transcriber: the model directory,
     decoder, onnxruntime session or Keras model), features (read the file, log-mel) and inference
     (model and decoding).

With --installed ASR (the `asr` executable of a venv asr was pip-installed into) it instead times what a user of
that install waits for: `ASR transcribe FILE` with no model named and no $ASR_MODEL, run outside any checkout, so
the model is the one the package ships (named on the line it prints to standard error).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent

# run in the child: prints "phase seconds" lines; argv: spawn time, model, wav, backend
PROBE = """
import sys, time
start = time.time()
phases = [("python start", start - float(sys.argv[1]))]
def lap(name):
    global start
    now = time.time()
    phases.append((name, now - start))
    start = now
from asr.cli.main import build_parser
from asr.inference.transcriber import Transcriber
from asr.data.features import log_mel
lap("imports")
transcriber = Transcriber(sys.argv[2], backend=sys.argv[4])
lap("model load")
features = log_mel(transcriber.load(sys.argv[3]), transcriber.info.features)
lap("features")
from asr.data.padding import pad_batch
logits, lengths = transcriber.predict(*pad_batch([features]))
transcriber.decode_chunk(logits[0][:lengths[0]], 0.0)
lap("inference")
phases.append(("tensorflow imported", "tensorflow" in sys.modules))
for name, value in phases:
    print(f"{name}\t{value}")
"""


def make_model_dir(out_dir):
    """A tiny random model saved like a trained one, exported to ONNX: out_dir/model."""
    from asr.runtime import import_tensorflow_quietly
    import_tensorflow_quietly()
    from asr.config import DecodeConfig, FeatureConfig, ModelConfig
    from asr.models.acoustic import build_model
    from asr.models.export import export_model
    from asr.models.model_dir import save_trained_model
    model_dir = Path(out_dir) / "model"
    model = build_model(ModelConfig(layers=2, units=64, dropout=0.0), 29)
    model.cmvn.set_statistics(np.zeros(80), np.ones(80))
    save_trained_model(model, model_dir, FeatureConfig(), DecodeConfig(), {"train_features": "random"})
    export_model(model_dir)
    return model_dir


def write_wav(path, seconds=3.0, rate=16000):
    """Speech-like test audio: noise whose level rises and falls like syllables."""
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * rate)) / rate
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)
    sf.write(path, (0.1 * envelope * rng.normal(size=len(t))).astype(np.float32), rate)


def child_env():
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def timed_runs(command, runs, **run_options):
    """(wall times, the last run's CompletedProcess) of `command` run `runs` times; SystemExit if it fails."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(list(map(str, command)), capture_output=True, text=True, **run_options)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(map(str, command[:3]))} failed:\n{result.stderr}")
    return times, result


def wall_times(model_dir, wav, backend, runs):
    return timed_runs([sys.executable, "-m", "asr.cli", "transcribe", "--model", model_dir, "--backend", backend,
                       wav], runs, env=child_env())[0]


def installed_times(asr_executable, wav, runs):
    """(wall times, the last run) of an installed `asr transcribe wav` choosing its own model, from wav's
    directory: no $ASR_MODEL, and no PYTHONPATH that could reach a checkout."""
    env = {name: value for name, value in os.environ.items() if name not in ("ASR_MODEL", "PYTHONPATH")}
    return timed_runs([asr_executable, "transcribe", wav], runs, cwd=Path(wav).parent, env=env)


def print_installed(asr_executable, wav, runs):
    times, last = installed_times(asr_executable, wav, runs)
    model = next((line for line in last.stderr.splitlines() if ": model " in line), "(no model line on stderr)")
    print(f"installed asr transcribe, 3 s file, no model named: median {statistics.median(times):.2f} s over "
          f"{runs} runs (min {min(times):.2f}, max {max(times):.2f})")
    print(f"     {model}")


def phase_split(model_dir, wav, backend):
    result = subprocess.run([sys.executable, "-c", PROBE, str(time.time()), str(model_dir), str(wav), backend],
                            capture_output=True, text=True, env=child_env())
    if result.returncode != 0:
        raise SystemExit(f"probe failed:\n{result.stderr}")
    phases = dict(line.split("\t") for line in result.stdout.strip().splitlines())
    tensorflow = phases.pop("tensorflow imported")
    return ", ".join(f"{name} {float(seconds):.3f} s" for name, seconds in phases.items()) + \
        f" (tensorflow imported: {tensorflow})"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="a model directory with an ONNX export (default: a tiny random one)")
    parser.add_argument("--runs", type=int, default=5, help="runs per backend (5)")
    parser.add_argument("--installed", metavar="ASR", help="time this installed asr executable, no model named")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "three_seconds.wav"
        write_wav(wav)
        if args.installed:
            return print_installed(args.installed, wav, args.runs)
        model_dir = args.model or make_model_dir(tmp)
        medians = {}
        for backend in ("onnx", "tf"):
            times = wall_times(model_dir, wav, backend, args.runs)
            medians[backend] = statistics.median(times)
            print(f"{backend:4s} asr transcribe, 3 s file: median {medians[backend]:.2f} s over {args.runs} runs "
                  f"(min {min(times):.2f}, max {max(times):.2f})")
            print(f"     split: {phase_split(model_dir, wav, backend)}")
        print(f"tf / onnx: {medians['tf'] / medians['onnx']:.1f}x")


if __name__ == "__main__":
    main()
