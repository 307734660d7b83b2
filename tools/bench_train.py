"""Training-step speed of the acoustic model on this machine.

Builds the model of a recipe config, runs the real training step (asr.training.step.make_train_step: CTC,
Adam, clipping) on one random padded batch, and prints seconds per step and frames per second for:
  reference   stock keras.layers.LSTM, TensorFlow's default threads (every core inside each op)
  keras       stock keras.layers.LSTM, asr's thread defaults (asr.runtime)
  fast        asr.models.fast_lstm (the CPU path asr trains with), asr's thread defaults
  pytorch     the identical model and step in PyTorch (tools/torch_reference.py; `bench` extra)
each in its own subprocess (TensorFlow fixes its threads at start-up), with ratios to the reference and
the ratio ours (fast) / PyTorch in frames per second. --precision float32 mixed_bfloat16 times each variant
in each precision (PyTorch's bfloat16 is torch.autocast) and prints ours against PyTorch across them.

With --pipeline DATA_DIR it also times the training input pipeline alone (asr.data.batch_dataset over
the first 10 x --steps batches of the recipe's epoch-1 plan: feature reads, padding, SpecAugment if on) in
frames per second, to compare with the model's; with the config's waveform augmentation on (train.augment),
again with it (audio reads, augmentation, log-mels), and the ratio of the two; with every utterance augmented,
on one thread (the work online augmentation adds to the cores the model trains on); then real training steps
of one model over the same batches, each feed timed ROUNDS times, alternating (every round printed: the same
feed varies by several per cent between rounds), fed: from the shards; with every utterance augmented, the
batches computed beforehand and held in memory (what the augmented batches cost the model itself); the same batches
augmented online (what the pipeline costs, against those held); and from copies prepared ahead
(train.augment.copies), whose preparation it times too (over COPY_UTTERANCES utterances at least, so
start-up costs do not swamp it); and what full augmentation's pipeline adds to a run's time either way,
with as many copies as epochs; and the pipeline's work as a share of the machine's time, which does not
depend on how steps and pipeline happen to overlap in one run.

    python tools/bench_train.py recipes/synth_en/conf/small.yaml --batch 64 --frames 250
    python tools/bench_train.py recipes/synth_en/conf/small.yaml --precision float32 mixed_bfloat16
    python tools/bench_train.py recipes/synth_en/conf/small.yaml --pipeline recipes/synth_en/data/small
"""

import argparse
import dataclasses
import itertools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from asr.data.tokenizer import CharTokenizer

VOCAB_SIZE = CharTokenizer().vocab_size
# (fast LSTM, asr threads); pytorch: None
VARIANTS = {"reference": (False, False), "keras": (False, True), "fast": (True, True), "pytorch": None}
BENCH_PRECISIONS = ("float32", "mixed_bfloat16")  # PyTorch's bfloat16: torch.autocast on the CPU


def random_batch(batch, frames, label_length, vocab_size, seed=0):
    """Features (B, T, 80) with lengths spread over [T/2, T] and random labels, as the trainer feeds."""
    rng = np.random.default_rng(seed)
    lengths = np.linspace(frames, frames // 2, batch).astype(np.int32)
    lengths[0] = frames
    features = rng.standard_normal((batch, frames, 80)).astype(np.float32)
    labels = rng.integers(1, vocab_size, (batch, label_length)).astype(np.int32)
    label_lengths = np.minimum(lengths // 10, label_length).astype(np.int32)
    return features, lengths, labels, label_lengths


def seconds_per_step(config, batch_arrays, warmup, steps, fast_cpu_lstm=None, precision="float32",
                     profile_dir=None):
    """Seconds per training step (asr's own step, Adam at a fixed rate) on one batch, after `warmup` steps.

    fast_cpu_lstm: None keeps the model's own choice; precision: a Keras dtype policy (mixed_float16 adds
    loss scaling); with profile_dir, the timed steps are recorded by TensorFlow's profiler there.
    """
    import keras
    import tensorflow as tf

    from asr.data.tokenizer import make_tokenizer
    from asr.models.acoustic import build_model
    from asr.training.step import LossScale, fixed_rate_step, repeated_batch
    keras.utils.set_random_seed(0)
    model = build_model(config.model, make_tokenizer(config.model.vocabulary).vocab_size, precision=precision)
    if fast_cpu_lstm is not None:
        model.encoder.fast_cpu_lstm = fast_cpu_lstm
    _, step = fixed_rate_step(model, config.train.clipnorm, LossScale() if precision == "mixed_float16" else None)
    batches = repeated_batch(*batch_arrays)
    for _ in range(warmup):
        float(step(batches)[0])
    if profile_dir:
        tf.profiler.experimental.start(profile_dir)
    start = time.perf_counter()
    for _ in range(steps):
        float(step(batches)[0])  # waits for the step, also on a GPU
    seconds = (time.perf_counter() - start) / steps
    if profile_dir:
        tf.profiler.experimental.stop()
    return seconds


def run_variant(args):
    """Time one variant in this process and print its seconds per step on the last line."""
    from asr.recipe import load_config
    arrays = random_batch(args.batch, args.frames, args.frames // 10, VOCAB_SIZE)
    if args.variant == "pytorch":
        import torch
        from torch_reference import seconds_per_step as torch_seconds_per_step
        seconds = torch_seconds_per_step(load_config(args.config).model, VOCAB_SIZE, arrays, args.warmup, args.steps,
                                         bfloat16=args.precision[0] == "mixed_bfloat16")
        print(f"{seconds:.4f} {torch.get_num_threads()}")
        return
    fast, asr_threads = VARIANTS[args.variant]
    if asr_threads:
        from asr.runtime import apply_thread_defaults
        apply_thread_defaults()
    seconds = seconds_per_step(load_config(args.config), arrays, args.warmup, args.steps, fast_cpu_lstm=fast,
                               precision=args.precision[0])
    intra = os.environ.get("TF_NUM_INTRAOP_THREADS", "all")  # TF reads it at start-up
    print(f"{seconds:.4f} {intra}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", help="recipe config YAML (its model section is used)")
    parser.add_argument("--batch", type=int, default=16, help="utterances per batch")
    parser.add_argument("--frames", type=int, default=400, help="padded length in 10 ms frames")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--precision", nargs="+", choices=BENCH_PRECISIONS, default=["float32"],
                        help="time every variant in each of these (default: float32)")
    parser.add_argument("--pipeline", metavar="DATA_DIR", help="also time the input pipeline on this data")
    parser.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)  # internal: one subprocess
    args = parser.parse_args(argv)
    if args.variant:
        return run_variant(args)
    frames = int(random_batch(args.batch, args.frames, 1, VOCAB_SIZE)[1].sum())
    print(f"{args.config}: batch {args.batch} x {args.frames} frames ({frames} real), "
          f"{args.warmup} warm-up + {args.steps} timed steps, {os.cpu_count()} cores")
    seconds = {(variant, precision): time_variant(argv, variant, precision)
               for precision in args.precision for variant in VARIANTS}
    for (variant, precision), timed in seconds.items():
        if isinstance(timed, str):
            print(f"{variant:10s} {precision:15s} failed: {timed}")
            continue
        reference = seconds[("reference", precision)]
        speed_up = f"{reference / timed:.2f}x" if isinstance(reference, float) else "-"
        print(f"{variant:10s} {precision:15s} intra-op threads {timed.threads:>3s}  {timed:.3f} s/step  "
              f"{frames / timed:8.0f} frames/s  speed-up {speed_up}")
    for ours, theirs in itertools.product(args.precision, repeat=2):
        if all(isinstance(seconds[key], float) for key in [("fast", ours), ("pytorch", theirs)]):
            print(f"throughput ratio ours (fast, {ours}) / PyTorch ({theirs}): "
                  f"{seconds[('pytorch', theirs)] / seconds[('fast', ours)]:.2f}")
    if args.pipeline:
        from asr.recipe import load_config
        pipeline_frames_per_second(args, load_config(args.config))


class Timed(float):
    """Seconds per step, with the intra-op threads the variant ran with."""

    def __new__(cls, seconds, threads):
        timed = super().__new__(cls, seconds)
        timed.threads = threads
        return timed


def time_variant(argv, variant, precision):
    """Seconds per step (Timed) of one variant in one precision, in its own subprocess; or why it failed."""
    args = list(argv or sys.argv[1:])
    if "--precision" in args:  # the subprocess gets this one precision only
        start = args.index("--precision")
        end = next((i for i in range(start + 1, len(args)) if args[i].startswith("--")), len(args))
        del args[start:end]
    command = [sys.executable, __file__, *args, "--precision", precision, "--variant", variant]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_NUM_")}
    result = subprocess.run(command, env={**env, "TF_CPP_MIN_LOG_LEVEL": "3"}, capture_output=True, text=True)
    if result.returncode:
        return (result.stderr.strip().splitlines() or ["?"])[-1]
    out = result.stdout.split()
    return Timed(float(out[-2]), out[-1])


def pipeline_frames_per_second(args, config):
    """Frames per second that the training input pipeline alone delivers, on the recipe's own data: from
    the shards, and (when the config turns it on) with waveform augmentation, each its own pass."""
    from asr.runtime import apply_thread_defaults, import_tensorflow_quietly
    apply_thread_defaults()
    import_tensorflow_quietly()
    from asr.augment.augmented_features import training_augmentation
    from asr.data.batching import load_utterances, plan_batches
    from asr.data.dataset import batch_dataset, input_pipeline_threads
    from asr.runtime import usable_cores
    from asr.data.manifest import load_manifest
    from asr.data.shards import FeatureStore
    from asr.data.tokenizer import CharTokenizer
    from asr.layout import DataLayout
    data_dir, t = Path(args.pipeline), config.train
    data = DataLayout(data_dir)
    store = FeatureStore(data.feature_split("train"))
    rows = load_manifest(data.manifest("train"))
    utterances, _ = load_utterances(rows, store, CharTokenizer(), config.model)
    plan = plan_batches([u.num_frames for u in utterances], t.batch_frames, t.max_batch_utterances,
                        seed=[t.seed, 0])[:args.steps * 10]
    spec = t.spec_augment if t.spec_augment.enabled else None
    print(f"input pipeline alone, {len(plan)} batches of the epoch-1 plan, specaugment {'on' if spec else 'off'}:")
    shards = timed_pipeline(store, utterances, plan, spec, t.seed, None)
    print(f"  features from the shards     {shards:8.0f} frames/s")
    if t.augment.enabled:
        waveform = training_augmentation(config, rows, store)
        augmented = timed_pipeline(store, utterances, plan, spec, t.seed, waveform)
        print(f"  with waveform augmentation   {augmented:8.0f} frames/s  ({augmented / shards:.2f}x the shards')")
    everyone = dataclasses.replace(config, train=dataclasses.replace(t, augment=dataclasses.replace(
        t.augment, enabled=True, probability=1.0)))
    with input_pipeline_threads():
        alone = timed_pipeline(store, utterances, plan, spec, t.seed, training_augmentation(everyone, rows, store))
    print(f"  every utterance augmented    {alone:8.0f} frames/s on one thread (the work online augmentation adds "
          f"to the cores the model trains on)")
    print(f"training steps fed by the pipeline ({args.precision[0]}), the same {len(plan)} batches, best of "
          f"{ROUNDS} rounds:")
    trainer = TimedTraining(config, utterances, plan, args.precision[0])
    online = training_augmentation(everyone, rows, store)

    def feed(waveform):
        return lambda: batch_dataset(store, utterances, plan, spec, seed=[t.seed, 0], waveform=waveform)

    held = held_batches(feed(online)(), store.feature_dim)
    with tempfile.TemporaryDirectory(prefix="asr-bench-copies-") as scratch:
        prepared, seconds, hours, frames = timed_copies(everyone, rows, store, utterances, plan, Path(scratch))
        feeds = {"clean": feed(None), "held": lambda: held, "online": feed(online), "copies": feed(prepared)}
        rates = {name: [] for name in feeds}
        for _ in range(ROUNDS):  # alternating, so a slow minute of the machine does not fall on one feed only
            for name, make in feeds.items():
                rates[name].append(trainer.rate(make))
    print("  each feed's rounds, frames/s: " + "; ".join(
        f"{name} {', '.join(f'{rate:.0f}' for rate in found)}" for name, found in rates.items()))
    clean, in_memory, heard, ahead = (max(found) for found in rates.values())
    print(f"  clean, from the shards                    {clean:8.0f} frames/s")
    print(f"  every utterance augmented, held in memory {in_memory:8.0f} frames/s  (the augmented batches' own cost: "
          f"{clean / in_memory - 1:.1%} more time, from lengths that speed perturbation changes)")
    print(f"  the same batches augmented online         {heard:8.0f} frames/s  (the pipeline costs "
          f"{in_memory / heard - 1:.1%} more time)")
    epoch = frames / in_memory  # seconds an augmented epoch over the copied utterances takes, held in memory
    print(f"  from {COPIES} copies made ahead                {ahead:8.0f} frames/s  (the pipeline costs "
          f"{in_memory / ahead - 1:.1%} more time); making them took {seconds:.1f} s for {hours * 60:.1f} min of "
          f"audio: {seconds / hours / COPIES:.1f} s per hour of audio and copy, all cores")
    print(f"  a copy costs {seconds / COPIES / epoch:.1%} of an augmented epoch's training time: with copies = epochs "
          f"(a version per epoch, as online), full augmentation's input pipeline costs "
          f"{seconds / COPIES / epoch + in_memory / ahead - 1:.1%} more time, online {in_memory / heard - 1:.1%}")
    print(f"  the work itself: augmenting online what the model trains on at {in_memory:.0f} frames/s takes "
          f"{in_memory / alone:.1%} of one thread's time, {in_memory / alone / usable_cores():.1%} of the machine's")


COPIES = 2  # prepared copies the --pipeline timing makes
COPY_UTTERANCES = 3000  # of this many training utterances at least: workers' start-up and room banks amortised


def timed_copies(config, rows, store, utterances, plan, scratch):
    """(AugmentedCopies of the plan's utterances and the first COPY_UTTERANCES, in scratch; seconds their COPIES
    copies took; hours of audio and feature frames copied)."""
    from asr.augment.copies import prepared_augmentation
    used = {utterances[i].id for batch in plan for i in batch} | {row["id"] for row in rows[:COPY_UTTERANCES]}
    subset = [row for row in rows if row["id"] in used and row["id"] in store]
    config = dataclasses.replace(config, train=dataclasses.replace(config.train, augment=dataclasses.replace(
        config.train.augment, copies=COPIES)))
    start = time.perf_counter()
    prepared = prepared_augmentation(config, subset, store, scratch)
    return (prepared, time.perf_counter() - start, sum(row["duration"] for row in subset) / 3600,
            sum(store.num_frames(row["id"]) for row in subset))


ROUNDS = 3  # each feed is timed this many times, alternating, and its best kept: runs on a busy 2-core machine vary


class TimedTraining:
    """Real training steps (asr's step, Adam at a fixed rate) of one model over the plan, fed by a dataset:
    `rate(make_dataset)` is frames per second with the first two batches (tracing) left out. One model for
    every feed, so each is timed on the same compiled step."""

    def __init__(self, config, utterances, plan, precision):
        import keras

        from asr.models.acoustic import build_model
        from asr.training.step import fixed_rate_step
        keras.utils.set_random_seed(0)
        self.utterances, self.plan = utterances, plan
        self.model = build_model(config.model, CharTokenizer().vocab_size, precision=precision)
        _, self.step = fixed_rate_step(self.model, config.train.clipnorm)

    def rate(self, make_dataset):
        from asr.data.dataset import input_pipeline_threads
        from asr.training.step import distributed_batches
        batches = distributed_batches(tf_strategy(), lambda replicas, local: make_dataset())
        with input_pipeline_threads():
            for _ in range(2):
                float(self.step(batches)[0])
            start, frames = time.perf_counter(), 0
            for batch in self.plan[2:]:
                float(self.step(batches)[0])
                frames += sum(self.utterances[i].num_frames for i in batch)
        return frames / (time.perf_counter() - start)


def held_batches(dataset, feature_dim):
    """The dataset's batches computed once and kept in memory, as a dataset that only hands them out."""
    import tensorflow as tf

    from asr.data.dataset import batch_signature
    arrays = [tuple(part.numpy() for part in batch) for batch in dataset]
    return tf.data.Dataset.from_generator(lambda: iter(arrays), output_signature=batch_signature(feature_dim))


def tf_strategy():
    import tensorflow as tf
    return tf.distribute.get_strategy()


def timed_pipeline(store, utterances, plan, spec, seed, waveform):
    """Frames per second of asr.data.batch_dataset over the plan, counted as TimedTraining.rate counts them: the
    utterances' clean frames, the first two batches (warm-up) left out."""
    from asr.data.dataset import batch_dataset
    batches = iter(batch_dataset(store, utterances, plan, spec, seed=[seed, 0], waveform=waveform))
    for _ in range(2):
        next(batches)
    start = time.perf_counter()
    for _ in batches:
        pass
    return sum(utterances[i].num_frames for batch in plan[2:] for i in batch) / (time.perf_counter() - start)


if __name__ == "__main__":
    main()
