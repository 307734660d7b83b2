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
    out = layer(x, mask=mask)
    return out * tf.cast(mask, out.dtype)[:, :, None]


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


@pytest.fixture(scope="module")
def bfloat16_twin(layer_and_batch):
    """The same layer under Keras' mixed_bfloat16 policy (float32 weights, bfloat16 compute), on a longer batch:
    over 200 frames a rounding in the cell state has time to add up."""
    layer, _, _ = layer_and_batch
    twin = recurrent_layer("lstm", 8, "bilstm_bf16", dtype="mixed_bfloat16")
    twin.build((3, 200, 5))
    for mine, theirs in zip(twin.weights, layer.weights):
        mine.assign(theirs)
    x = tf.constant(np.random.default_rng(5).normal(size=(3, 200, 5)).astype(np.float32))
    return layer, twin, x, tf.constant([200, 120, 7])


def relative_error(a, b):
    return float(np.linalg.norm(np.asarray(a, np.float32) - b) / np.linalg.norm(b))


def test_bfloat16_fast_path_matches_keras_bfloat16_and_is_closer_to_float32(bfloat16_twin):
    """Ours rounds only the matmuls' inputs and h; Keras' bfloat16 layer computes its gates and cell in bfloat16."""
    layer, twin, x, lengths = bfloat16_twin
    reference = fast_lstm.bidirectional_lstm(layer, x, lengths).numpy()  # float32 (= Keras float32, above)
    ours = fast_lstm.bidirectional_lstm(twin, tf.cast(x, tf.bfloat16), lengths)
    keras_bf16 = keras_outputs(twin, tf.cast(x, tf.bfloat16), lengths)
    assert ours.dtype == tf.bfloat16 and not ours.numpy()[2, 7:].astype(np.float32).any()  # padding stays zero
    assert relative_error(ours, keras_bf16.numpy().astype(np.float32)) < 0.03
    assert relative_error(ours, reference) < 0.01
    assert relative_error(ours, reference) < relative_error(keras_bf16, reference)


def test_bfloat16_fast_path_gradients_match_float32_within_bfloat16_rounding(bfloat16_twin):
    layer, twin, x, lengths = bfloat16_twin

    def grads(target, inputs, compute):
        weights = tf.constant(np.random.default_rng(6).normal(size=(3, 200, 16)).astype(np.float32))
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            loss = tf.reduce_sum(tf.cast(compute(target, inputs, lengths), tf.float32) * weights)
        return tape.gradient(loss, [inputs, *target.trainable_variables])

    reference = grads(layer, x, fast_lstm.bidirectional_lstm)
    ours = grads(twin, tf.cast(x, tf.bfloat16), fast_lstm.bidirectional_lstm)
    theirs = grads(twin, tf.cast(x, tf.bfloat16), keras_outputs)
    for name, a, b, k in zip(["inputs"] + [v.path for v in layer.trainable_variables], ours, reference, theirs):
        assert relative_error(a, b.numpy()) < 0.03, name
        assert relative_error(a, k.numpy().astype(np.float32)) < 0.05, name
    assert not ours[0].numpy()[2, 7:].astype(np.float32).any()  # padding receives no gradient


def test_gradients_into_the_initial_state_match_keras(layer_and_batch):
    """Streaming starts a chunk from the state the last one left: the written-out gradient carries into h0 and
    c0 what Keras' own LSTM, given the same initial state, does."""
    layer, x, _ = layer_and_batch
    cell, rng = layer.forward_layer.cell, np.random.default_rng(5)
    h0, c0 = (tf.constant(rng.normal(size=(3, 8)).astype(np.float32)) for _ in range(2))
    weights = tf.constant(rng.normal(size=(3, 11, 8)).astype(np.float32))
    found = []
    for compute in (lambda: fast_lstm.lstm_sequence(x, cell, (h0, c0))[0],
                    lambda: layer.forward_layer(x, initial_state=[h0, c0])):
        with tf.GradientTape() as tape:
            tape.watch([h0, c0])
            loss = tf.reduce_sum(compute() * weights)
        found.append([g.numpy() for g in tape.gradient(loss, [h0, c0])])
    for ours, theirs in zip(*found):
        np.testing.assert_allclose(ours, theirs, atol=1e-5)
