"""asr.models.fast_lstm computes what keras.layers.Bidirectional(LSTM) computes, forward and backward, padded."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from asr.models import fast_lstm
from asr.models.recurrent import recurrent_layer


@pytest.fixture(scope="module")
def layer_and_batch():
    keras.utils.set_random_seed(3)
    layer = recurrent_layer("lstm", 8, "bilstm")
    rng = np.random.default_rng(3)
    x = tf.constant(rng.normal(size=(3, 11, 5)).astype(np.float32))
    lengths = tf.constant([11, 6, 1])
    layer.build((3, 11, 5))
    # random biases too, so that a gate-order mistake cannot hide behind zeros
    for cell in (layer.forward_layer.cell, layer.backward_layer.cell):
        cell.bias.assign(rng.normal(size=cell.bias.shape).astype(np.float32))
    return layer, x, lengths


def keras_outputs(layer, x, lengths):
    mask = tf.sequence_mask(lengths, tf.shape(x)[1])
    return layer(x, mask=mask) * tf.cast(mask, tf.float32)[:, :, None]


def outputs_and_gradients(compute, layer, x, lengths):
    weights = tf.constant(np.random.default_rng(4).normal(size=(3, 11, 16)).astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = compute(layer, x, lengths)
        loss = tf.reduce_sum(out * weights)
    grads = tape.gradient(loss, [x, *layer.trainable_variables])
    return out.numpy(), [g.numpy() for g in grads]


def test_outputs_match_keras_for_both_directions_with_padding(layer_and_batch):
    layer, x, lengths = layer_and_batch
    ours = fast_lstm.bidirectional_lstm(layer, x, lengths).numpy()
    theirs = keras_outputs(layer, x, lengths).numpy()
    np.testing.assert_allclose(ours[..., :8], theirs[..., :8], atol=1e-6)  # forward direction
    np.testing.assert_allclose(ours[..., 8:], theirs[..., 8:], atol=1e-6)  # backward direction
    assert not ours[1, 6:].any() and not ours[2, 1:].any()  # padded frames are zeros


def test_gradients_match_keras(layer_and_batch):
    layer, x, lengths = layer_and_batch
    ours, our_grads = outputs_and_gradients(fast_lstm.bidirectional_lstm, *layer_and_batch)
    theirs, their_grads = outputs_and_gradients(keras_outputs, *layer_and_batch)
    names = ["inputs"] + [v.path for v in layer.trainable_variables]
    for name, a, b in zip(names, our_grads, their_grads):
        np.testing.assert_allclose(a, b, atol=1e-5, err_msg=name)
    assert not our_grads[0][1, 6:].any()  # padding receives no gradient: it was never read


def test_model_uses_the_fast_path_only_without_a_gpu():
    from asr.config import ModelConfig
    from asr.models.acoustic import AcousticModel
    has_gpu = bool(tf.config.list_physical_devices("GPU"))
    assert AcousticModel(ModelConfig(encoder="bilstm"), 29, 80).encoder.fast_cpu_lstm is not has_gpu
    assert AcousticModel(ModelConfig(encoder="bigru"), 29, 80).encoder.fast_cpu_lstm is False
