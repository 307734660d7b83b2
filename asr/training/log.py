"""Training logs: a progress line (or bar on a terminal), log.csv, and TensorBoard: loss and learning rate,
per-layer gradient norms (every 10 steps), and histograms of every gate on one dev utterance (each epoch)."""

import contextlib
import csv
import io
import logging
import sys
import time

import keras
import numpy as np
import tensorflow as tf

from asr.fileio import tensorflow_writing, write_text
from asr.inspection.forward import look_inside
from asr.inspection.gates import GATES
from asr.training.checkpoint import structural_paths

log = logging.getLogger(__name__)

PRINT_EVERY = 50
SUMMARY_EVERY = 10  # steps between TensorBoard scalars (step 1 too)
CSV_FIELDS = ["epoch", "step", "train_loss", "dev_loss", "dev_wer", "dev_cer", "learning_rate", "train_minutes"]


def gradient_groups(model):
    """{layer name: [indices into model.trainable_variables]}, e.g. "encoder/recurrent/0/forward_layer"."""
    paths = structural_paths(model, "model")
    groups = {}
    for index, variable in enumerate(model.trainable_variables):
        path = paths.get(id(variable), f"model/{variable.path}")  # as checkpoint_variables names the unreachable
        parts = path.split("/")[1:-1]  # without "model/" and the variable's own name
        name = "/".join(parts[:-1] if parts[-1] == "cell" else parts)
        groups.setdefault(name, []).append(index)
    return groups


class TrainingLog:
    """Progress on stdout; with `write_files` (the chief), log.csv and TensorBoard summaries too."""

    def __init__(self, run, write_files=True, gradient_groups=None):
        """run: the RunLayout whose log.csv and tensorboard/ to write; gradient_groups: see gradient_groups()."""
        self.gradient_groups = gradient_groups or {}
        self.csv_path, self.tensorboard = run.log_csv, run.tensorboard
        with tensorflow_writing(run.tensorboard):
            self.writer = (tf.summary.create_file_writer(str(run.tensorboard)) if write_files
                           else tf.summary.create_noop_writer())
        self.write_files = write_files
        self.tty = sys.stdout.isatty()

    @contextlib.contextmanager
    def _summaries(self, step):
        """TensorBoard records of `step`; a failing disk is one line naming tensorboard/."""
        with tensorflow_writing(self.tensorboard), self.writer.as_default(step=step):
            yield

    def start_epoch(self, state, num_batches):
        self.num_batches, self.losses, self.lr, self.utts, self.clock = num_batches, [], 0.0, 0, time.time()
        self.bar = keras.utils.Progbar(num_batches) if self.tty else None
        log.info(f"train: epoch {state.epoch + 1}: {num_batches} batches")

    def step(self, state, loss, learning_rate, utterances, gradient_norms=None):
        """gradient_norms: (trainable variables,) tensor of the step's gradient norms, or None."""
        self.losses.append(loss)
        self.lr, self.utts = learning_rate, self.utts + utterances
        if self.bar is not None:
            self.bar.update(state.batch_in_epoch, [("loss", loss)])
        elif state.batch_in_epoch % PRINT_EVERY == 0:
            rate = self.utts / max(time.time() - self.clock, 1e-9)
            recent = sum(self.losses[-PRINT_EVERY:]) / len(self.losses[-PRINT_EVERY:])
            log.info(f"train:   batch {state.batch_in_epoch}/{self.num_batches} loss {recent:.2f} "
                     f"lr {learning_rate:.2e} {rate:.1f} utt/s")
        if state.global_step % SUMMARY_EVERY == 0 or state.global_step == 1:  # and the untrained model's first
            with self._summaries(state.global_step):
                tf.summary.scalar("train/loss", loss)
                tf.summary.scalar("train/learning_rate", learning_rate)
                if gradient_norms is not None:
                    norms = np.asarray(gradient_norms, np.float64)
                    for name, indices in self.gradient_groups.items():
                        tf.summary.scalar(f"gradient_norm/{name}", float(np.sqrt(np.sum(norms[indices] ** 2))))

    def gate_histograms(self, state, model, features):
        """Histograms of every gate of every traced recurrent layer on one utterance's features."""
        if not self.write_files:
            return
        with self._summaries(state.global_step):
            for stage, direction, traces in look_inside(model, features).recurrences:
                for gate in sorted(GATES & set(traces)):
                    tf.summary.histogram(f"gates/layer{stage + 1}_{direction}/{gate}", traces[gate])

    def end_epoch(self, state, metrics):
        train_loss = state.epoch_loss_sum / max(state.epoch_loss_count, 1)  # the whole epoch, across resumes
        row = {"epoch": state.epoch + 1, "step": state.global_step, "train_loss": round(train_loss, 4),
               "learning_rate": f"{self.lr:.3e}", "train_minutes": round(state.train_seconds / 60, 2),
               **{k: round(v, 4) for k, v in metrics.items()}}
        if self.write_files:
            self._write_csv_row(row)
        with self._summaries(state.global_step):
            for key, value in metrics.items():
                tf.summary.scalar(f"dev/{key.removeprefix('dev_')}", value)
            self.writer.flush()
        log.info(f"train: epoch {state.epoch + 1} done: train loss {train_loss:.3f}, dev loss "
                 f"{metrics['dev_loss']:.3f}, dev WER {metrics['dev_wer']:.2%}, CER {metrics['dev_cer']:.2%} "
                 f"({state.train_seconds / 60:.1f} min)")

    def _write_csv_row(self, row):
        """Rewrite log.csv whole (write, then rename) with this epoch's row replacing any earlier one:
        a run killed after logging an epoch but before its checkpoint logs that epoch again on resume."""
        rows = []
        if self.csv_path.is_file():
            with open(self.csv_path, newline="") as f:
                rows = [r for r in csv.DictReader(f) if int(r["epoch"]) < row["epoch"]]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, CSV_FIELDS)
        writer.writeheader()
        writer.writerows([*rows, row])
        write_text(self.csv_path, buffer.getvalue())
