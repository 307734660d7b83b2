"""Training: CTC on true lengths, Adam with warm-up + cosine decay, clipping, early stopping, resume.

Re-running the same command continues an interrupted run: `checkpoint.npz` holds the weights, the
optimizer's variables and the training state (epoch, batch within the epoch, best dev metric, patience
counter, wall time), written atomically every `checkpoint_every_steps` batches and at every epoch end.
The best model by the early-stopping metric is kept in `<run>/model/`.
"""

import dataclasses
import io
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from asr.config import RecipeConfig, config_to_dict
from asr.data import BATCH_SIGNATURE, batch_dataset, load_utterances, plan_batches
from asr.errors import AsrError
from asr.evaluate import dev_metrics
from asr.fileio import atomic_path, write_json
from asr.losses import ctc_loss
from asr.model import build_model, save_trained_model
from asr.shards import FeatureStore, load_cmvn
from asr.tokenizer import make_tokenizer
from asr.train_log import TrainingLog
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


def save_checkpoint(path, model, optimizer, state):
    arrays = {f"w{i}": w for i, w in enumerate(model.get_weights())}
    arrays.update({f"o{i}": v.numpy() for i, v in enumerate(optimizer.variables)})
    buffer = io.BytesIO()
    np.savez(buffer, state=np.array(json.dumps(dataclasses.asdict(state))), **arrays)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def restore_checkpoint(path, model, optimizer):
    """Load weights, optimizer variables and state from `path`; a fresh TrainingState if none."""
    if not Path(path).is_file():
        return TrainingState()
    with np.load(path) as saved:
        model.set_weights([saved[f"w{i}"] for i in range(len(model.get_weights()))])
        optimizer.build(model.trainable_variables)
        for i, variable in enumerate(optimizer.variables):
            variable.assign(saved[f"o{i}"])
        return TrainingState(**json.loads(str(saved["state"])))


def make_train_step(model, optimizer):
    """One traced step: CTC on true lengths, mean over utterances; a non-finite loss changes nothing."""

    @tf.function(input_signature=BATCH_SIGNATURE)
    def train_step(features, feature_lengths, labels, label_lengths):
        with tf.GradientTape() as tape:
            logits, out_lengths = model((features, feature_lengths), training=True)
            loss = tf.reduce_mean(ctc_loss(labels, label_lengths, logits, out_lengths))
        finite = tf.math.is_finite(loss)
        grads = tape.gradient(loss, model.trainable_variables)
        grads = [tf.where(finite, g, tf.zeros_like(g)) for g in grads]
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    return train_step


class Trainer:
    """Holds the data, model and optimizer of one run; `fit()` trains until done or interrupted."""

    def __init__(self, config: RecipeConfig, data_dir, run_dir):
        self.config, self.run_dir = config, Path(run_dir)
        data_dir = Path(data_dir)
        self.tokenizer = make_tokenizer(config.model.vocabulary)
        self.train_store = FeatureStore(data_dir / "features" / "train")
        self.dev_store = FeatureStore(data_dir / "features" / "dev")
        self.train_utts = self._utterances(data_dir, "train", self.train_store)
        self.dev_utts = self._utterances(data_dir, "dev", self.dev_store)
        keras.utils.set_random_seed(config.train.seed)
        self.model = build_model(config.model, self.tokenizer.vocab_size, load_cmvn(data_dir / "features" / "cmvn.json"))
        t = config.train
        total_steps = t.max_epochs * len(self.plan(0))
        self.optimizer = keras.optimizers.Adam(
            WarmupCosine(t.peak_learning_rate, t.warmup_steps, total_steps, t.final_learning_rate_fraction),
            global_clipnorm=t.clipnorm)
        self.checkpoint = self.run_dir / "checkpoint.npz"
        self.state = restore_checkpoint(self.checkpoint, self.model, self.optimizer)
        self.log = TrainingLog(self.run_dir)

    def _utterances(self, data_dir, split, store):
        rows = load_manifest(data_dir / "manifests" / f"{split}.jsonl")
        kept, dropped = load_utterances(rows, store, self.tokenizer, self.config.model)
        print(f"train: {split}: {len(kept)} utterances, {len(dropped)} dropped")
        for utt_id, reason in dropped[:20]:
            print(f"train:   dropped {utt_id}: {reason}", file=sys.stderr)
        if not kept:
            raise AsrError(f"{data_dir}/manifests/{split}.jsonl: no usable utterances")
        return kept

    def plan(self, epoch):
        t = self.config.train
        return plan_batches([u.num_frames for u in self.train_utts], t.batch_frames, t.max_batch_utterances,
                            seed=[t.seed, epoch])

    def fit(self, stop_after_steps=None):
        """Train to the end (or `stop_after_steps` more batches, for tests); returns the final state."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        write_json(self.run_dir / "config.json", config_to_dict(self.config))
        if self.state.global_step:
            print(f"train: resuming at epoch {self.state.epoch + 1}, batch {self.state.batch_in_epoch}, "
                  f"step {self.state.global_step}")
        train_step = make_train_step(self.model, self.optimizer)
        steps_left = stop_after_steps
        while not self.state.finished and steps_left != 0:
            steps_left = self._run_epoch(train_step, steps_left)
        return self.state

    def _run_epoch(self, train_step, steps_left):
        t, state = self.config.train, self.state
        plan = self.plan(state.epoch)
        augment = t.spec_augment if t.specaugment else None
        dataset = batch_dataset(self.train_store, self.train_utts, plan, augment,
                                seed=[t.seed, state.epoch], first=state.batch_in_epoch)
        self.log.start_epoch(state, len(plan))
        started = time.time()
        for batch in dataset:
            loss = float(train_step(*batch))
            state.nonfinite_batches += not math.isfinite(loss)
            state.batch_in_epoch += 1
            state.global_step += 1
            self.log.step(state, loss, float(self.optimizer.learning_rate), len(batch[1]))
            if steps_left is not None:
                steps_left -= 1
            if state.global_step % t.checkpoint_every_steps == 0 or steps_left == 0:
                state.train_seconds += time.time() - started
                started = time.time()
                save_checkpoint(self.checkpoint, self.model, self.optimizer, state)
            if steps_left == 0:
                return 0
        state.train_seconds += time.time() - started
        self._end_epoch()
        return steps_left

    def _end_epoch(self):
        t, state = self.config.train, self.state
        metrics = dev_metrics(self.model, self.dev_store, self.dev_utts, self.tokenizer)
        value = metrics[t.early_stopping_metric]
        if value < state.best_metric:
            state.best_metric, state.best_epoch, state.epochs_without_improvement = value, state.epoch, 0
            save_trained_model(self.model, self.run_dir / "model", {"best_epoch": state.epoch + 1, **metrics,
                                                                      "vocabulary": self.config.model.vocabulary})
        else:
            state.epochs_without_improvement += 1
        self.log.end_epoch(state, metrics)
        state.epoch += 1
        state.batch_in_epoch = 0
        state.finished = state.epoch >= t.max_epochs or state.epochs_without_improvement >= t.patience
        save_checkpoint(self.checkpoint, self.model, self.optimizer, state)
        if state.finished:
            self._write_summary()

    def _write_summary(self):
        state = self.state
        summary = {"epochs": state.epoch, "best_epoch": state.best_epoch + 1,
                   f"best_{self.config.train.early_stopping_metric}": state.best_metric,
                   "steps": state.global_step, "train_minutes": round(state.train_seconds / 60, 1),
                   "parameters": int(self.model.count_params()), "nonfinite_batches": state.nonfinite_batches}
        write_json(self.run_dir / "training_done.json", summary)
        print(f"train: done: {json.dumps(summary)}")


def train(config, data_dir, run_dir, stop_after_steps=None):
    """Train (or continue training) the run in `run_dir`; a finished run is left as it is."""
    if (Path(run_dir) / "training_done.json").is_file():
        print(f"train: {run_dir} has finished training (delete training_done.json to train further)")
        return None
    return Trainer(config, data_dir, run_dir).fit(stop_after_steps)
