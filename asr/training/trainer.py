"""Training: CTC on true lengths, Adam with warm-up + cosine decay, clipping, early stopping, resume.

Re-running the same command continues an interrupted run (even one killed with kill -9):
`checkpoint.npz` holds the weights, the optimizer's variables, the dropout random-generator states, the
loss scale and the training state (epoch, batch within the epoch, best dev metric, patience counter,
skipped batches, wall time), written atomically every `checkpoint_every_steps` batches or
`checkpoint_every_minutes`, and at every epoch end. Batch order and SpecAugment are seeded by (seed,
epoch, batch), so a resumed run repeats exactly the batches it lost. The best model by the
early-stopping metric is kept in `<run>/model/`. The step itself is asr.training.step. `init_from` (a
trained model) starts a run from its weights instead of random ones: asr.training.init_from.
"""

import dataclasses
import json
import logging
import math
import time

import keras
import tensorflow as tf

from asr.augment.augmented_features import training_augmentation
from asr.augment.copies import prepared_augmentation
from asr.config import RecipeConfig, TrainConfig, config_to_dict
from asr.data.batching import load_utterances, plan_batches
from asr.data.dataset import batch_dataset, input_pipeline_threads
from asr.data.manifest import load_manifest
from asr.data.shards import FeatureStore, load_cmvn
from asr.data.tokenizer import make_tokenizer
from asr.errors import AsrError
from asr.fileio import write_json
from asr.layout import DataLayout, RunLayout
from asr.models.acoustic import build_model
from asr.models.model_dir import save_trained_model
from asr.provenance import check_same_features, feature_settings
from asr.training.checkpoint import checkpoint_variables, restore_checkpoint, save_checkpoint
from asr.training.distribution import agree_across_workers, is_chief, make_distribution, reduce_across_replicas
from asr.training.init_from import initialise_from, read_source, recorded_source
from asr.training.log import TrainingLog, gradient_groups
from asr.training.step import LossScale, distributed_batches, make_train_step, resolve_precision
from asr.training.validation import dev_metrics

log = logging.getLogger(__name__)


def learning_rate_schedule(t: TrainConfig, total_steps):
    """Linear warm-up to the peak over `warmup_steps`, then cosine decay to peak * final fraction."""
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=t.peak_learning_rate / max(t.warmup_steps, 1), warmup_steps=t.warmup_steps,
        warmup_target=t.peak_learning_rate, decay_steps=max(total_steps - t.warmup_steps, 1),
        alpha=t.final_learning_rate_fraction)


RUN_LENGTH_KEYS = ("train.max_epochs", "train.patience", "train.checkpoint_every_steps",
                   "train.checkpoint_every_minutes", "train.max_skipped_batches")  # a resume may change these


def flat_settings(values, prefix=""):
    """{"model.units": 256, ...} of a nested config dict."""
    flat = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(flat_settings(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def with_new_settings(recorded, defaults):
    """A run record (config.json's dict) with every setting it lacks taken from the config dataclass `defaults`:
    a setting asr gained after the run began is not in its record, and the run had what is now its default (a
    new setting's default keeps the behaviour from before it existed)."""
    filled = dict(recorded)
    for f in dataclasses.fields(defaults):
        value = getattr(defaults, f.name)
        if dataclasses.is_dataclass(value):
            filled[f.name] = with_new_settings(recorded.get(f.name, {}), value)
        elif f.name not in recorded:
            filled[f.name] = json.loads(json.dumps(value))  # as JSON stores it
    return filled


def check_resumable(run, config):
    """AsrError naming every setting (run-length ones aside) that differs from the run's config.json, so a
    resumed run stays the run its record describes."""
    if not run.config.is_file():
        return
    try:
        recorded = flat_settings(with_new_settings(json.loads(run.config.read_text()), RecipeConfig()))
    except (OSError, ValueError, AttributeError) as e:
        raise AsrError(f"{run.config}: not a readable run record ({e})") from None
    current = flat_settings(json.loads(json.dumps(config_to_dict(config))))  # as JSON stores it
    changed = [key for key in sorted(set(recorded) | set(current))
               if key not in RUN_LENGTH_KEYS and recorded.get(key, "(none)") != current.get(key, "(none)")]
    if changed:
        shown = "; ".join(f"{k} {recorded.get(k, '(none)')!r} -> {current.get(k, '(none)')!r}" for k in changed[:5])
        raise AsrError(f"{run.config}: this run was started with other settings ({shown}"
                       f"{f'; and {len(changed) - 5} more' if len(changed) > 5 else ''}); resume with the same "
                       "config (only max_epochs, patience and the checkpoint intervals may change), or use a new "
                       "--run-dir")


class Trainer:
    """Holds the data, model and optimizer of one run; `fit()` trains until done or interrupted.

    `distribution` is a name from asr.config.DISTRIBUTIONS; only the chief writes files. `init_from`: a
    trained model (run or model directory) whose weights a new run starts from.
    """

    def __init__(self, config: RecipeConfig, data_dir, run_dir, distribution="default", init_from=None):
        self.distribution = make_distribution(distribution)  # before any other TensorFlow work
        self.chief = is_chief(self.distribution)
        self.config, self.run = config, RunLayout(run_dir)
        check_resumable(self.run, config)
        self.init_record = recorded_source(self.run, init_from)
        # a run with a checkpoint continues from it: its weights moved on from the source's
        source = read_source(init_from, config) if init_from and not self.run.checkpoint.is_file() else None
        data = DataLayout(data_dir)
        self.tokenizer = make_tokenizer(config.model.vocabulary)
        self.train_store, self.dev_store = (self._store(data, split) for split in ("train", "dev"))
        self.train_utts = self._utterances(data, "train", self.train_store)
        self.dev_utts = self._utterances(data, "dev", self.dev_store)
        self.waveform = self._augmented_features(data) if config.train.augment.enabled else None
        self._build(load_cmvn(data.cmvn))
        if source is not None:  # after the random build, so a new classifier starts as a fresh run's would
            self.init_record = initialise_from(self.model, source)
        self.state = restore_checkpoint(self.run.checkpoint, self.variables)
        self._note_precision()
        agree_across_workers(self.distribution, self.state.global_step, "the step to resume from")
        self.log = TrainingLog(self.run, write_files=self.chief, gradient_groups=gradient_groups(self.model))

    def _store(self, data, split):
        """The split's shards, refused when made with other feature settings than the config's."""
        store = FeatureStore(data.feature_split(split))
        check_same_features(store.settings, str(store.feature_dir), feature_settings(self.config.features),
                            "the config (run `asr features --config` again)")
        return store

    def _build(self, cmvn):
        t = self.config.train
        self.precision = precision = resolve_precision(t.precision, self.config.model.encoder)
        keras.utils.set_random_seed(t.seed)
        with self.distribution.scope():
            self.model = build_model(self.config.model, self.tokenizer.vocab_size, self.config.features.n_mels, cmvn,
                                     precision)
            total_steps = t.max_epochs * len(self.plan(0))
            self.optimizer = keras.optimizers.Adam(learning_rate_schedule(t, total_steps), global_clipnorm=t.clipnorm)
            self.optimizer.build(self.model.trainable_variables)
            self.loss_scale = LossScale() if precision == "mixed_float16" else None
        self.variables = checkpoint_variables(self.model, self.optimizer, self.loss_scale)
        self.train_step = make_train_step(self.model, self.optimizer, self.distribution, self.loss_scale)
        replicas = self.distribution.num_replicas_in_sync
        log.info(f"train: {precision}, {replicas} replica{'s' * (replicas > 1)}, "
                 f"{'chief' if self.chief else 'worker'}")

    def _note_precision(self):
        """A run resumed on a machine where `train.precision: auto` means another precision (a CPU with or
        without bfloat16 dot products) goes on in this one's, and says so: from here its steps are not those
        of an uninterrupted run."""
        if self.state.precision and self.state.precision != self.precision:
            log.warning(f"train: {self.run.root} has trained in {self.state.precision}; on this machine "
                        f"train.precision {self.config.train.precision!r} means {self.precision}, so it goes on in "
                        f"{self.precision} (the weights carry over; the steps from here differ from an "
                        "uninterrupted run's)")
        self.state.precision = self.precision

    def _utterances(self, data, split, store):
        rows = load_manifest(data.manifest(split))
        kept, dropped = load_utterances(rows, store, self.tokenizer, self.config.model)
        log.info(f"train: {split}: {len(kept)} utterances, {len(dropped)} dropped")
        for utt_id, reason in dropped[:20]:
            log.warning(f"train:   dropped {utt_id}: {reason}")
        if len(dropped) > 20:
            log.warning(f"train:   ... and {len(dropped) - 20} more")
        if not kept:
            raise AsrError(f"{data.manifest(split)}: no usable utterances")
        return kept

    def _augmented_features(self, data):
        """Waveform augmentation of the training utterances (train.augment), from their audio files: online, or
        K copies prepared ahead (asr.augment.copies)."""
        augment, rows = self.config.train.augment, load_manifest(data.manifest("train"))
        if not augment.copies:
            log.info("train: waveform augmentation on: every epoch computes the augmented utterances' features")
            return training_augmentation(self.config, rows, self.train_store)
        log.info(f"train: waveform augmentation on: {augment.copies} augmented copies of every training utterance, "
                 f"prepared ahead in {self.run.augmented_copies}")
        return prepared_augmentation(self.config, rows, self.train_store, self.run.augmented_copies)

    def plan(self, epoch):
        t = self.config.train
        return plan_batches([u.num_frames for u in self.train_utts], t.batch_frames, t.max_batch_utterances,
                            seed=[t.seed, epoch])

    def fit(self, stop_after_steps=None):
        """Train to the end (or `stop_after_steps` more batches); returns the final state."""
        if self.chief:
            self.run.root.mkdir(parents=True, exist_ok=True)
            write_json(self.run.config, config_to_dict(self.config))
            if self.init_record:
                write_json(self.run.init_from, self.init_record)
        if self.state.global_step:
            log.info(f"train: resuming at epoch {self.state.epoch + 1}, batch {self.state.batch_in_epoch}, "
                     f"step {self.state.global_step}")
        steps_left = stop_after_steps
        with input_pipeline_threads():
            while not self.state.finished and steps_left != 0:
                steps_left = self._run_epoch(steps_left)
        return self.state

    def _epoch_batches(self, plan):
        t, state = self.config.train, self.state
        augment = t.spec_augment if t.spec_augment.enabled else None
        waveform = None if self.waveform is None else self.waveform.for_epoch(state.epoch)

        def make_dataset(replicas, local):
            return batch_dataset(self.train_store, self.train_utts, plan, augment, seed=[t.seed, state.epoch],
                                 first=state.batch_in_epoch, replicas=replicas, local=local, waveform=waveform)

        return distributed_batches(self.distribution, make_dataset)

    def _run_epoch(self, steps_left):
        t, state = self.config.train, self.state
        plan = self.plan(state.epoch)
        batches = self._epoch_batches(plan)
        self.log.start_epoch(state, len(plan))
        started = saved = time.time()
        while state.batch_in_epoch < len(plan) and steps_left != 0:
            loss, applied, gradient_norms = self.train_step(batches)
            loss = float(loss)
            self._record_loss(loss, bool(applied))
            utterances = len(plan[state.batch_in_epoch])
            state.batch_in_epoch += 1
            state.global_step += 1
            self.log.step(state, loss, float(self.optimizer.learning_rate), utterances, gradient_norms)
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
        log.warning(f"train: {where}: {reason}; batch skipped, weights unchanged")
        if state.skipped_in_a_row >= self.config.train.max_skipped_batches:
            raise AsrError(f"{self.run.root}: {state.skipped_in_a_row} batches in a row had a non-finite loss or "
                           f"gradients (last: {where}); training stopped at the last checkpoint. Lower "
                           "train.peak_learning_rate, or check the data for bad values")

    def _save_checkpoint(self):
        if self.chief:
            save_checkpoint(self.run.checkpoint, self.variables, self.state)

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
                save_trained_model(self.model, self.run.model.root, self.config.features, self.config.decode,
                                   {"train_features": self.train_store.fingerprint},
                                   {"best_epoch": state.epoch + 1, **metrics,
                                    **({"init_from": self.init_record} if self.init_record else {})})
        else:
            state.epochs_without_improvement += 1
        self.log.gate_histograms(state, self.model, self.dev_store[min(u.id for u in self.dev_utts)])
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
        write_json(self.run.training_done, summary)
        log.info(f"train: done: {json.dumps(summary)}")


def train(config, data_dir, run_dir, stop_after_steps=None, distribution="default", init_from=None):
    """Train (or continue training) the run in `run_dir`, from `init_from`'s weights if given (a trained
    model's run or model directory); a finished run is left as it is."""
    if RunLayout(run_dir).training_done.is_file():
        log.info(f"train: {run_dir} has finished training (delete training_done.json to train further)")
        return None
    return Trainer(config, data_dir, run_dir, distribution, init_from).fit(stop_after_steps)
