"""Training: CTC on true lengths, Adam with warm-up + cosine decay, clipping, early stopping, resume.

Re-running the same command continues an interrupted run (even one killed with kill -9):
`checkpoint.npz` holds the weights, the optimizer's variables, the dropout random-generator states, the
loss scale and the training state (epoch, batch within the epoch, best dev metric, patience counter,
skipped batches, wall time), written atomically every `checkpoint_every_steps` batches or
`checkpoint_every_minutes`, and at every epoch end. Batch order and SpecAugment are seeded by (seed,
epoch, batch), so a resumed run repeats exactly the batches it lost. The best model by the
early-stopping metric is kept in `<run>/model/`. The step itself is asr.train_step.
"""

import dataclasses
import io
import json
import math
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from asr.config import RecipeConfig, config_to_dict
from asr.data import batch_dataset, load_utterances, plan_batches
from asr.distribution import agree_across_workers, is_chief, make_distribution, reduce_across_replicas
from asr.errors import AsrError
from asr.evaluate import dev_metrics
from asr.fileio import atomic_path, write_json
from asr.model import build_model, save_trained_model
from asr.shards import FeatureStore, load_cmvn
from asr.tokenizer import make_tokenizer
from asr.train_log import TrainingLog
from asr.train_step import LossScale, distributed_batches, make_train_step, resolve_precision
from data_prep.manifest import load_manifest


@dataclass
class TrainingState:
    epoch: int = 0
    batch_in_epoch: int = 0
    global_step: int = 0
    best_metric: float = math.inf
    best_epoch: int = -1
    epochs_without_improvement: int = 0
    train_seconds: float = 0.0
    nonfinite_batches: int = 0
    skipped_in_a_row: int = 0
    epoch_loss_sum: float = 0.0  # over this epoch's finite batches so far
    epoch_loss_count: int = 0
    finished: bool = False


class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up to `peak`, then cosine decay to `peak * final_fraction` at `total_steps`."""

    def __init__(self, peak, warmup_steps, total_steps, final_fraction):
        self.peak, self.warmup, self.total, self.final = peak, warmup_steps, total_steps, final_fraction

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warm = self.peak * (step + 1) / max(self.warmup, 1)
        progress = tf.clip_by_value((step - self.warmup) / max(self.total - self.warmup, 1), 0.0, 1.0)
        cosine = self.peak * (self.final + (1 - self.final) * 0.5 * (1 + tf.cos(math.pi * progress)))
        return tf.where(step < self.warmup, warm, cosine)

    def get_config(self):
        return {"peak": self.peak, "warmup_steps": self.warmup, "total_steps": self.total,
                "final_fraction": self.final}


def checkpoint_variables(model, optimizer, loss_scale=None):
    """Everything a resumed run needs besides TrainingState: weights, Adam's moments and step counter,
    the dropout layers' random-generator states (in model.variables) and the loss scale."""
    return {"m": model.variables, "o": optimizer.variables, "s": loss_scale.variables if loss_scale else []}


def save_checkpoint(path, variables, state):
    arrays = {f"{kind}{i}": v.numpy() for kind, group in variables.items() for i, v in enumerate(group)}
    buffer = io.BytesIO()
    np.savez(buffer, state=np.array(json.dumps(dataclasses.asdict(state))), **arrays)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def restore_checkpoint(path, variables):
    """Assign the saved values to `variables`; returns the saved TrainingState, a fresh one if none."""
    if not Path(path).is_file():
        return TrainingState()
    try:
        with np.load(path) as saved:
            for kind, group in variables.items():
                count = sum(name.startswith(kind) and name[1:].isdigit() for name in saved.files)
                if count != len(group):
                    raise AsrError(f"{path}: holds {count} values of kind '{kind}', this run has {len(group)}: "
                                   "the config or asr changed since it was written (delete it to start over)")
                for i, variable in enumerate(group):
                    variable.assign(saved[f"{kind}{i}"])
            return TrainingState(**json.loads(str(saved["state"])))
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as e:
        raise AsrError(f"{path}: not a readable checkpoint ({e}); delete it to start over") from None


class Trainer:
    """Holds the data, model and optimizer of one run; `fit()` trains until done or interrupted.

    `distribution` is a name from asr.distribution.DISTRIBUTIONS; only the chief writes files.
    """

    def __init__(self, config: RecipeConfig, data_dir, run_dir, distribution="default"):
        self.distribution = make_distribution(distribution)  # before any other TensorFlow work
        self.chief = is_chief(self.distribution)
        self.config, self.run_dir = config, Path(run_dir)
        data_dir = Path(data_dir)
        self.tokenizer = make_tokenizer(config.model.vocabulary)
        self.train_store = FeatureStore(data_dir / "features" / "train")
        self.dev_store = FeatureStore(data_dir / "features" / "dev")
        self.train_utts = self._utterances(data_dir, "train", self.train_store)
        self.dev_utts = self._utterances(data_dir, "dev", self.dev_store)
        self.checkpoint = self.run_dir / "checkpoint.npz"
        self._build(load_cmvn(data_dir / "features" / "cmvn.json"))
        self.state = restore_checkpoint(self.checkpoint, self.variables)
        agree_across_workers(self.distribution, self.state.global_step, "the step to resume from")
        self.log = TrainingLog(self.run_dir, write_files=self.chief)

    def _build(self, cmvn):
        t = self.config.train
        precision = resolve_precision(t.precision)
        keras.utils.set_random_seed(t.seed)
        with self.distribution.scope():
            self.model = build_model(self.config.model, self.tokenizer.vocab_size, cmvn, precision)
            total_steps = t.max_epochs * len(self.plan(0))
            self.optimizer = keras.optimizers.Adam(
                WarmupCosine(t.peak_learning_rate, t.warmup_steps, total_steps, t.final_learning_rate_fraction),
                global_clipnorm=t.clipnorm)
            self.optimizer.build(self.model.trainable_variables)
            self.loss_scale = LossScale() if precision == "mixed_float16" else None
        self.variables = checkpoint_variables(self.model, self.optimizer, self.loss_scale)
        self.train_step = make_train_step(self.model, self.optimizer, self.distribution, self.loss_scale)
        replicas = self.distribution.num_replicas_in_sync
        print(f"train: {precision}, {replicas} replica{'s' * (replicas > 1)}, "
              f"{'chief' if self.chief else 'worker'}")

    def _utterances(self, data_dir, split, store):
        rows = load_manifest(data_dir / "manifests" / f"{split}.jsonl")
        kept, dropped = load_utterances(rows, store, self.tokenizer, self.config.model)
        print(f"train: {split}: {len(kept)} utterances, {len(dropped)} dropped")
        for utt_id, reason in dropped[:20]:
            print(f"train:   dropped {utt_id}: {reason}", file=sys.stderr)
        if len(dropped) > 20:
            print(f"train:   ... and {len(dropped) - 20} more", file=sys.stderr)
        if not kept:
            raise AsrError(f"{data_dir}/manifests/{split}.jsonl: no usable utterances")
        return kept

    def plan(self, epoch):
        t = self.config.train
        return plan_batches([u.num_frames for u in self.train_utts], t.batch_frames, t.max_batch_utterances,
                            seed=[t.seed, epoch])

    def fit(self, stop_after_steps=None):
        """Train to the end (or `stop_after_steps` more batches); returns the final state."""
        if self.chief:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            write_json(self.run_dir / "config.json", config_to_dict(self.config))
        if self.state.global_step:
            print(f"train: resuming at epoch {self.state.epoch + 1}, batch {self.state.batch_in_epoch}, "
                  f"step {self.state.global_step}")
        steps_left = stop_after_steps
        while not self.state.finished and steps_left != 0:
            steps_left = self._run_epoch(steps_left)
        return self.state

    def _epoch_batches(self, plan):
        t, state = self.config.train, self.state
        augment = t.spec_augment if t.specaugment else None

        def make_dataset(replicas, local):
            return batch_dataset(self.train_store, self.train_utts, plan, augment, seed=[t.seed, state.epoch],
                                 first=state.batch_in_epoch, replicas=replicas, local=local)

        return distributed_batches(self.distribution, make_dataset)

    def _run_epoch(self, steps_left):
        t, state = self.config.train, self.state
        plan = self.plan(state.epoch)
        batches = self._epoch_batches(plan)
        self.log.start_epoch(state, len(plan))
        started = saved = time.time()
        while state.batch_in_epoch < len(plan) and steps_left != 0:
            loss, applied = self.train_step(batches)
            loss = float(loss)
            self._record_loss(loss, bool(applied))
            utterances = len(plan[state.batch_in_epoch])
            state.batch_in_epoch += 1
            state.global_step += 1
            self.log.step(state, loss, float(self.optimizer.learning_rate), utterances)
            steps_left = None if steps_left is None else steps_left - 1
            if state.global_step % t.checkpoint_every_steps == 0 or steps_left == 0 \
                    or time.time() - saved > 60 * t.checkpoint_every_minutes:
                state.train_seconds += time.time() - started
                started = saved = time.time()
                self._save_checkpoint()
        state.train_seconds += time.time() - started
        if state.batch_in_epoch < len(plan):
            return 0
        self._end_epoch()
        return steps_left

    def _record_loss(self, loss, applied):
        """Add an applied batch's loss to the epoch's; log a skipped batch, and stop when
        `max_skipped_batches` in a row were skipped."""
        state = self.state
        if applied:
            state.epoch_loss_sum += loss
            state.epoch_loss_count += 1
            state.skipped_in_a_row = 0
            return
        state.nonfinite_batches += 1
        state.skipped_in_a_row += 1
        where = f"epoch {state.epoch + 1} batch {state.batch_in_epoch + 1}"
        reason = f"loss is {loss}" if not math.isfinite(loss) else "gradients are not finite"
        if self.loss_scale is not None:
            reason += f" (float16 loss scale now {float(self.loss_scale.scale.numpy()):g})"
        print(f"train: {where}: {reason}; batch skipped, weights unchanged", file=sys.stderr)
        if state.skipped_in_a_row >= self.config.train.max_skipped_batches:
            raise AsrError(f"{self.run_dir}: {state.skipped_in_a_row} batches in a row had a non-finite loss or "
                           f"gradients (last: {where}); training stopped at the last checkpoint. Lower "
                           "train.peak_learning_rate, or check the data for bad values")

    def _save_checkpoint(self):
        if self.chief:
            save_checkpoint(self.checkpoint, self.variables, self.state)

    def _end_epoch(self):
        t, state = self.config.train, self.state
        metrics = dev_metrics(self.model, self.dev_store, self.dev_utts, self.tokenizer)
        # every worker must take the same early-stopping decision, so all use the same numbers
        metrics = dict(zip(metrics, reduce_across_replicas(self.distribution, list(metrics.values()),
                                                           tf.distribute.ReduceOp.MEAN)))
        value = metrics[t.early_stopping_metric]
        if value < state.best_metric:
            state.best_metric, state.best_epoch, state.epochs_without_improvement = value, state.epoch, 0
            if self.chief:
                save_trained_model(self.model, self.run_dir / "model", {"best_epoch": state.epoch + 1, **metrics,
                                                                          "vocabulary": self.config.model.vocabulary})
        else:
            state.epochs_without_improvement += 1
        self.log.end_epoch(state, metrics)
        state.epoch += 1
        state.batch_in_epoch, state.epoch_loss_sum, state.epoch_loss_count = 0, 0.0, 0
        state.finished = state.epoch >= t.max_epochs or state.epochs_without_improvement >= t.patience
        self._save_checkpoint()
        if state.finished and self.chief:
            self._write_summary()

    def _write_summary(self):
        state = self.state
        summary = {"epochs": state.epoch, "best_epoch": state.best_epoch + 1,
                   f"best_{self.config.train.early_stopping_metric}": state.best_metric,
                   "steps": state.global_step, "train_minutes": round(state.train_seconds / 60, 1),
                   "parameters": int(self.model.count_params()), "nonfinite_batches": state.nonfinite_batches}
        write_json(self.run_dir / "training_done.json", summary)
        print(f"train: done: {json.dumps(summary)}")


def train(config, data_dir, run_dir, stop_after_steps=None, distribution="default"):
    """Train (or continue training) the run in `run_dir`; a finished run is left as it is."""
    if (Path(run_dir) / "training_done.json").is_file():
        print(f"train: {run_dir} has finished training (delete training_done.json to train further)")
        return None
    return Trainer(config, data_dir, run_dir, distribution).fit(stop_after_steps)
