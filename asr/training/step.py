"""The traced training step: CTC on true lengths, summed over replicas, skipped when not finite.

Each replica computes the weighted CTC loss of its slice of the global batch (weights 1 / global batch
size, so the sum over replicas is the global mean) and its gradients. The gradients are summed across
replicas *before* clipping and the Adam update, which run once in cross-replica context: the update is
the one a single device would make for the same global batch. A batch whose loss or gradients are not
finite changes nothing: no weight, no Adam moment, no step counter moves.

Mixed precision: the model computes in float16/bfloat16 with float32 weights; its classifier, the
softmax inside the CTC loss and the loss itself stay float32. float16 adds dynamic loss scaling.
"""

import keras
import numpy as np
import tensorflow as tf

from asr.config import PRECISIONS
from asr.errors import AsrError
from asr.models.ctc_loss import ctc_loss
from asr.models.registry import encoder_class
from asr.runtime import cpu_has_bfloat16_dot_products


def resolve_precision(name, encoder="bilstm", gpu=None, cpu_bfloat16=None):
    """The Keras dtype policy that `train.precision` means on this machine for this encoder.

    `auto`: mixed_float16 on a GPU (its tensor cores). On a CPU, mixed_bfloat16 for an encoder whose CPU path
    gains from it (its class's `cpu_bfloat16`: the fast-path LSTM, whose step takes ~0.6 of float32's time on a
    CPU that multiplies bfloat16 at twice float32's rate, AVX512-BF16 or AMX, with the default recipe's
    accuracy unchanged: docs/speed.md); float32 elsewhere (float16 is slow on a CPU, and Keras' own layers
    gain little from bfloat16). gpu, cpu_bfloat16: what the machine has, None to look.
    """
    if name not in PRECISIONS:
        raise AsrError(f"unknown precision {name!r} (known: {', '.join(PRECISIONS)})")
    if name != "auto":
        return name
    if tf.config.list_physical_devices("GPU") if gpu is None else gpu:
        return "mixed_float16"
    if cpu_has_bfloat16_dot_products() if cpu_bfloat16 is None else cpu_bfloat16:
        return "mixed_bfloat16" if encoder_class(encoder).cpu_bfloat16 else "float32"
    return "float32"


class LossScale:
    """Dynamic loss scaling for float16: halve on a non-finite step, double after `growth_steps` good ones.

    Create it inside the distribution's scope; `variables` go into checkpoints.
    """

    def __init__(self, initial=2.0 ** 15, growth_steps=2000):
        self.growth_steps = growth_steps
        self.scale = tf.Variable(initial, trainable=False, dtype=tf.float32, name="loss_scale")
        self.good_steps = tf.Variable(0, trainable=False, dtype=tf.int64, name="loss_scale_good_steps")
        self.variables = [self.scale, self.good_steps]

    def update(self, finite):
        grow = tf.logical_and(finite, self.good_steps + 1 >= self.growth_steps)
        lowered = tf.maximum(self.scale / 2.0, 1.0)
        self.scale.assign(tf.where(finite, tf.where(grow, self.scale * 2.0, self.scale), lowered))
        self.good_steps.assign(tf.where(tf.logical_and(finite, tf.logical_not(grow)), self.good_steps + 1, 0))


def all_finite(loss, grads):
    return tf.reduce_all([tf.math.is_finite(loss)] + [tf.reduce_all(tf.math.is_finite(g)) for g in grads])


def make_train_step(model, optimizer, distribution=None, loss_scale=None):
    """step(iterator) -> (global mean loss, applied, gradient norms): one batch from a distributed iterator.

    The gradient norms (one per trainable variable, before clipping) feed TensorBoard's per-layer view.

    Build the model, the optimizer (optimizer.build) and `loss_scale` inside `distribution.scope()`.
    """
    distribution = distribution or tf.distribute.get_strategy()
    variables = model.trainable_variables

    def replica_step(features, feature_lengths, labels, label_lengths, weights):
        with tf.GradientTape() as tape:
            logits, out_lengths = model((features, feature_lengths), training=True)
            loss = tf.reduce_sum(weights * ctc_loss(labels, label_lengths, logits, out_lengths))
            scaled = loss * loss_scale.scale if loss_scale is not None else loss
        return loss, tape.gradient(scaled, variables)

    def apply(grads):
        optimizer.apply_gradients(zip(grads, variables))  # clips by global norm, then Adam
        return tf.constant(True)

    @tf.function
    def train_step(iterator):
        loss, grads = distribution.run(replica_step, args=next(iterator))
        loss = distribution.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None)
        grads = [distribution.reduce(tf.distribute.ReduceOp.SUM, g, axis=None) for g in grads]
        if loss_scale is not None:
            grads = [g / loss_scale.scale for g in grads]
        finite = all_finite(loss, grads)
        applied = tf.cond(finite, lambda: apply(grads), lambda: tf.constant(False))
        if loss_scale is not None:
            loss_scale.update(finite)
        return loss, applied, tf.stack([tf.norm(tf.cast(g, tf.float32)) for g in grads])

    return train_step


def distributed_batches(distribution, make_dataset):
    """Iterator over `make_dataset(replicas, local)` (asr.data.batch_dataset's two last arguments)."""

    def dataset_fn(context):
        per_worker = context.num_replicas_in_sync // context.num_input_pipelines
        first = context.input_pipeline_id * per_worker
        return make_dataset(context.num_replicas_in_sync, list(range(first, first + per_worker)))

    return iter(distribution.distribute_datasets_from_function(dataset_fn))


def fixed_rate_step(model, clipnorm, loss_scale=None, learning_rate=1e-3):
    """(optimizer, step) for one device: Adam at a constant rate, built (benchmarks, checks, tests)."""
    optimizer = keras.optimizers.Adam(learning_rate, global_clipnorm=clipnorm)
    optimizer.build(model.trainable_variables)
    return optimizer, make_train_step(model, optimizer, loss_scale=loss_scale)


def repeated_batch(features, lengths, labels, label_lengths):
    """An iterator for `train_step` that yields this one batch forever (benchmarks, checks; one replica)."""
    weights = np.full(len(lengths), 1.0 / len(lengths), np.float32)
    batch = tuple(np.asarray(a) for a in (features, lengths, labels, label_lengths)) + (weights,)
    return distributed_batches(tf.distribute.get_strategy(),
                               lambda replicas, local: tf.data.Dataset.from_tensors(batch).repeat())
