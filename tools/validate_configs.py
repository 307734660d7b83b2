"""Dry-run every recipe config: load it, build the model at full size, count parameters, estimate
training memory and GPU time, and run one real training step on random data at tiny size.

    python tools/validate_configs.py [recipes/*/conf/*.yaml ...]

A config that fails to load, build or train prints one line naming the file and the problem, and the
exit status is 1. The memory and time columns are arithmetic, not measurements (nobody on the project has
run them on a GPU); their assumptions are printed with them.
"""

import argparse
import glob
import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from asr.recipe import load_config
from asr.data.features import frame_seconds
from asr.data.tokenizer import make_tokenizer
from asr.errors import AsrError
from asr.runtime import apply_thread_defaults, import_tensorflow_quietly

REPO = Path(__file__).resolve().parents[1]
# Hours of audio each recipe config trains on (published sizes; synth_en's, its train manifest's durations
# summed; AN4 and TIMIT approximated from utterance counts x typical length) to turn per-frame costs into
# epochs; Common Voice's train split grows with every release, so its line is per 100 h (scale it to yours)
TRAIN_HOURS = {"librispeech/medium": 100.6, "librispeech/large": 960.9, "ljspeech/medium": 22.1,
               "common_voice/medium": 100.0, "timit/medium": 3.1, "an4/small": 0.6, "yesno/tiny": 0.04,
               "synth_en/small": 11.94, "synth_en/tiny": 0.2, "synth_en/robust": 15.9,
               # the comparison configs train on the default run's data (--data-dir data/small)
               "synth_en/small_utt": 11.94, "synth_en/small_gru": 11.94, "synth_en/small_bf16": 11.94,
               "synth_en/general": 10.44}
# Assumed sustained cuDNN LSTM training throughput of one V100-class GPU in fp32 (about a third of its
# 15.7 TFLOP/s peak; recurrent kernels rarely reach more). An assumption, not a measurement.
ASSUMED_GPU_FLOPS = 5e12
BYTES = 4  # float32


def macs_per_frame(model):
    """Multiply-accumulates per output frame of the forward pass (the encoder's own count, then the output
    layer); None when the encoder cannot say."""
    m = model.config
    encoder_macs = type(model.encoder).macs_per_frame(m, m.stack * model.feature_dim)
    if encoder_macs is None:
        return None
    return encoder_macs + model.encoder.output_dim(m.stack * model.feature_dim) * model.vocab_size


def estimates(config, model, train_hours):
    """(GPU memory GB, GPU hours per epoch or None, epochs) for training this config: arithmetic, see header."""
    m, t = config.model, config.train
    out_frames_per_batch = t.batch_frames / m.skip
    # stored activations per output frame: per layer and direction the gates + cell + hidden, and the input
    activations = out_frames_per_batch * m.layers * 2 * m.units * 8 * BYTES
    memory_gb = (model.count_params() * BYTES * 4 + activations) / 1e9  # weights, gradients, two Adam moments
    frames_per_epoch = train_hours * 3600 / frame_seconds(config.features) / m.skip
    macs = macs_per_frame(model)
    if macs is None:
        return memory_gb, None, t.max_epochs
    flops = 3 * 2 * macs * frames_per_epoch  # forward + backward = 3x forward
    return memory_gb, flops / ASSUMED_GPU_FLOPS / 3600, t.max_epochs


def one_tiny_step(config):
    """Build the config at tiny width and run one training step on random data; returns the loss.

    Configs that differ only in what the tiny step does not read (corpus, sizes, schedule) share one step: it is
    the same computation, and tracing it is most of this tool's time."""
    tiny = replace(config.model, units=16, layers=min(config.model.layers, 2))
    key = (repr(tiny), config.features.n_mels, config.train.clipnorm)
    if key not in _TINY_LOSSES:
        _TINY_LOSSES[key] = _tiny_step_loss(tiny, config.features.n_mels, config.train.clipnorm)
    return _TINY_LOSSES[key]


_TINY_LOSSES = {}


def _tiny_step_loss(tiny, n_mels, clipnorm):
    import keras

    from asr.models.acoustic import build_model
    from asr.training.step import fixed_rate_step, repeated_batch
    keras.utils.set_random_seed(0)
    vocab = make_tokenizer(tiny.vocabulary).vocab_size
    model = build_model(tiny, vocab, n_mels)
    _, step = fixed_rate_step(model, clipnorm)
    rng = np.random.default_rng(0)
    lengths = np.array([120, 90], np.int32)
    features = rng.normal(size=(2, 120, n_mels)).astype(np.float32)
    label_lengths = np.array([5, 3], np.int32)
    labels = rng.integers(1, vocab, size=(2, 5)).astype(np.int32)
    labels[1, 3:] = 0
    loss = float(step(repeated_batch(features, lengths, labels, label_lengths))[0])
    if not math.isfinite(loss):
        raise AsrError(f"one training step gave a non-finite loss ({loss})")
    return loss


def validate(path):
    """One printed line for a recipe config; raises AsrError on any problem."""
    from asr.models.acoustic import build_model
    config = load_config(path)
    key = f"{Path(path).parent.parent.name}/{Path(path).stem}"
    vocab = make_tokenizer(config.model.vocabulary).vocab_size
    model = build_model(config.model, vocab, config.features.n_mels)
    loss = one_tiny_step(config)
    m = config.model
    encoder = type(model.encoder).__name__.removesuffix("Encoder")
    line = (f"{key:<22} {m.layers}x{encoder}-{m.units:<5} vocab {vocab:>3}  "
            f"{model.count_params() / 1e6:7.2f} M params  tiny step loss {loss:7.2f}")
    if key in TRAIN_HOURS:
        memory, hours, epochs = estimates(config, model, TRAIN_HOURS[key])
        line += f"  | est. GPU memory {memory:5.2f} GB, "
        line += (f">= {hours * 60:7.2f} min/epoch x {epochs} epochs = >= {hours * epochs:6.2f} h" if hours is not None
                 else "time: the encoder gives no cost estimate")
    return line


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="*", help="default: every recipes/*/conf/*.yaml")
    args = parser.parse_args(argv)
    apply_thread_defaults()
    import_tensorflow_quietly()  # before anything imports TensorFlow, so its start-up chatter stays silent
    import tensorflow as tf
    tf.get_logger().setLevel("ERROR")  # one traced step per config is the point here, not a retracing problem
    paths = args.configs or sorted(glob.glob(str(REPO / "recipes" / "*" / "conf" / "*.yaml")))
    print(f"estimates: arithmetic, not measurements. Time = training FLOPs / {ASSUMED_GPU_FLOPS / 1e12:.0f} TFLOP/s "
          "(a V100-class GPU kept busy; a lower bound, since recurrent kernels wait on each time step) over the "
          "corpus's published hours; memory = weights, gradients, Adam moments and the activations of one batch")
    failures = 0
    for path in paths:
        try:
            print(validate(path), flush=True)
        except (AsrError, ValueError) as e:  # ValueError: Keras rejecting a layer size
            failures += 1
            print(f"validate_configs: {path}: {e}", file=sys.stderr)
    print(f"{len(paths) - failures} of {len(paths)} configs valid")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
