"""Real-time factor of `asr transcribe`: wall time / audio duration, audio loading and features included.

Builds two workloads from a manifest's utterances (default: the default recipe's test split), written as
WAV files first so reading them is part of the time:
  long   one file of about --long-seconds (utterances joined with 0.3 s pauses), cut into chunks
  short  --short-count separate files, batched together by length
and transcribes each with the TensorFlow backend and, when `asr export` has been run for the model,
the onnxruntime backend, printing RTF and the speed-up of ONNX over TensorFlow.

    python tools/bench_transcribe.py --model recipes/synth_en/exp/small
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from asr.runtime import apply_thread_defaults, import_tensorflow_quietly

RECIPE = Path(__file__).resolve().parent.parent / "recipes" / "synth_en"


def write_workloads(manifest, out_dir, long_seconds, short_count):
    """WAV files in out_dir: (long file path, [short file paths], long seconds, short seconds)."""
    rows = [json.loads(line) for line in Path(manifest).read_text().splitlines()]
    if not rows:
        raise SystemExit(f"{manifest}: no utterances")
    pause = np.zeros(int(0.3 * 16000), dtype=np.float32)
    pieces, total, i = [], 0.0, 0
    while total < long_seconds:
        samples = sf.read(rows[i % len(rows)]["audio"], dtype="float32")[0]
        pieces += [samples, pause]
        total += (len(samples) + len(pause)) / 16000
        i += 1
    long_path = out_dir / "long.wav"
    sf.write(long_path, np.concatenate(pieces), 16000)
    shorts, short_seconds = [], 0.0
    for k, row in enumerate(rows[:short_count]):
        samples = sf.read(row["audio"], dtype="float32")[0]
        shorts.append(out_dir / f"short_{k:04d}.wav")
        sf.write(shorts[-1], samples, 16000)
        short_seconds += len(samples) / 16000
    return long_path, shorts, total, short_seconds


def real_time_factor(transcriber, paths, seconds):
    from asr.inference.transcriber import transcribe_files
    list(transcribe_files(paths[:1], transcriber))  # warm-up: tracing
    start = time.perf_counter()
    failures = sum("error" in result for result in transcribe_files(paths, transcriber))
    if failures:
        raise SystemExit(f"{failures} files failed to transcribe")
    return (time.perf_counter() - start) / seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="run or model directory (default: the default recipe's latest)")
    parser.add_argument("--manifest", default=RECIPE / "data" / "small" / "manifests" / "test.jsonl")
    parser.add_argument("--long-seconds", type=float, default=180.0)
    parser.add_argument("--short-count", type=int, default=200)
    args = parser.parse_args(argv)
    apply_thread_defaults()
    import_tensorflow_quietly()
    from asr.inference.default_model import choose_model
    from asr.inference.transcriber import Transcriber
    from asr.models.model_dir import current_onnx
    from asr.runtime import usable_cores
    model = choose_model(args.model)
    tf_transcriber = Transcriber(model, backend="tf")
    backends = {"tf": tf_transcriber}
    model_dir = tf_transcriber.info.layout.root
    if current_onnx(model_dir):
        backends["onnx"] = Transcriber(model, backend="onnx")
    else:
        print(f"no ONNX export in {model_dir} (run `asr export`): TensorFlow only")
    with tempfile.TemporaryDirectory() as tmp:
        long_path, shorts, long_s, short_s = write_workloads(args.manifest, Path(tmp), args.long_seconds,
                                                             args.short_count)
        print(f"model {model_dir}, {usable_cores()} cores; long: 1 file of {long_s:.0f} s; "
              f"short: {len(shorts)} files, {short_s:.0f} s")
        rtf = {}
        for name, transcriber in backends.items():
            rtf[name] = (real_time_factor(transcriber, [long_path], long_s),
                         real_time_factor(transcriber, shorts, short_s))
            print(f"{name:5s} RTF long {rtf[name][0]:.4f}  short {rtf[name][1]:.4f}  "
                  f"({1 / rtf[name][0]:.0f}x / {1 / rtf[name][1]:.0f}x real time)")
        if "onnx" in rtf:
            print(f"onnx speed-up over tf: long {rtf['tf'][0] / rtf['onnx'][0]:.2f}x, "
                  f"short {rtf['tf'][1] / rtf['onnx'][1]:.2f}x")


if __name__ == "__main__":
    main()
