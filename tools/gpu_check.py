"""Does training on this machine's GPU use the cuDNN LSTM kernels, and what does mixed precision gain?

For users with a GPU. Prints:
  1. what TensorFlow sees: version, CUDA/cuDNN it was built with, GPUs;
  2. Keras' cuDNN decision for every recurrent layer of the recipe's model: the conditions Keras checks
     (asr.models.acoustic.cudnn_eligible) and whether a GPU is there to use them;
  3. the recurrent op names that really ran in a profile of a few training steps (CudnnRNN* on a GPU;
     on a CPU, asr.models.fast_lstm's loop ops), read from the profiler's trace;
  4. seconds per training step in float32 and in mixed precision (mixed_float16 on a GPU, with loss
     scaling; mixed_bfloat16 on a CPU), and their ratio.

    python tools/gpu_check.py [--config recipes/synth_en/conf/small.yaml] [--batch 32] [--frames 600]

Our own machines have no GPU: the GPU branch of this script has not been run by us (the CPU branch is,
by tests/test_gpu_check.py). Please report its output with your GPU model in an issue.
"""

import argparse
import glob
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_train import random_batch, seconds_per_step  # noqa: E402


def environment():
    import tensorflow as tf
    info = tf.sysconfig.get_build_info()
    gpus = tf.config.list_physical_devices("GPU")
    print(f"TensorFlow {tf.__version__}; built with CUDA {info.get('cuda_version', 'no')}, "
          f"cuDNN {info.get('cudnn_version', 'no')}")
    print(f"GPUs: {', '.join(g.name for g in gpus) if gpus else 'none (CPU only)'}")
    return bool(gpus)


def cudnn_decision(config, vocab_size, has_gpu):
    from asr.models.acoustic import build_model, cudnn_eligible
    model = build_model(config.model, vocab_size)
    eligible = cudnn_eligible(model)
    for layer in model.encoder.recurrent_layers():
        cell = layer.cell
        print(f"  {layer.name}: activation {cell.activation.__name__}, recurrent {cell.recurrent_activation.__name__}, "
              f"recurrent_dropout {cell.recurrent_dropout}, unroll {layer.unroll}, "
              f"use_bias {cell.use_bias}, use_cudnn {layer.use_cudnn!r}")
    verdict = "cuDNN kernels" if eligible and has_gpu else (
        "eligible, but no GPU: asr.models.fast_lstm on the CPU" if eligible else "NOT eligible: Keras' generic loop")
    print(f"cuDNN decision: {verdict}")
    return eligible


def profiled_op_names(profile_dir):
    """Counter of the op names (TensorFlow op types) that ran, from the profiler's XPlane trace."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2
    names = Counter()
    for path in glob.glob(os.path.join(profile_dir, "plugins", "profile", "*", "*.xplane.pb")):
        space = xplane_pb2.XSpace()
        space.ParseFromString(Path(path).read_bytes())
        for plane in space.planes:
            metadata = {k: v.name for k, v in plane.event_metadata.items()}
            for line in plane.lines:
                for event in line.events:
                    names[metadata.get(event.metadata_id, "")] += 1
    return names


def recurrent_ops(names):
    """Op types of the recurrent computation among profiled `scope/name:OpType` events: cuDNN's RNN ops,
    or the ops inside recurrent loops (Keras' and asr.models.fast_lstm's `while` loops)."""
    found = Counter()
    for name, count in names.items():
        scope, _, op = name.rpartition(":")
        if op.startswith("CudnnRNN") or "/while/" in scope:
            found[op] += count
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="recipes/synth_en/conf/small.yaml")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args(argv)
    from asr.recipe import load_config
    from asr.data.tokenizer import make_tokenizer
    from asr.runtime import apply_thread_defaults, import_tensorflow_quietly
    apply_thread_defaults()
    import_tensorflow_quietly()
    config = load_config(args.config)
    vocab_size = make_tokenizer(config.model.vocabulary).vocab_size
    has_gpu = environment()
    print(f"\nmodel of {args.config}: encoder {config.model.encoder}, {config.model.layers} layers of "
          f"{config.model.units} units")
    cudnn_decision(config, vocab_size, has_gpu)

    arrays = random_batch(args.batch, args.frames, args.frames // 10, vocab_size)
    with tempfile.TemporaryDirectory() as profile_dir:
        fp32 = seconds_per_step(config, arrays, 2, args.steps, profile_dir=profile_dir)
        ops = recurrent_ops(profiled_op_names(profile_dir))
    print(f"\nrecurrent ops in a profile of {args.steps} float32 steps: "
          + (", ".join(f"{op} x{n}" for op, n in ops.most_common(8)) or "none found"))
    cudnn_ran = any(op.startswith("CudnnRNN") for op in ops)
    print(f"cuDNN kernels ran: {'yes' if cudnn_ran else 'no'}")
    mixed = "mixed_float16" if has_gpu else "mixed_bfloat16"
    mixed_seconds = seconds_per_step(config, arrays, 2, args.steps, precision=mixed)
    frames = args.batch * args.frames
    print(f"\nstep time, batch {args.batch} x {args.frames} frames:")
    print(f"  float32        {fp32:8.3f} s/step  {frames / fp32:9.0f} frames/s")
    print(f"  {mixed:<14} {mixed_seconds:8.3f} s/step  {frames / mixed_seconds:9.0f} frames/s   "
          f"x{fp32 / mixed_seconds:.2f} vs float32")
    if has_gpu and not cudnn_ran:
        print("WARNING: a GPU is present but no CudnnRNN op ran: training uses the slow generic loop", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
