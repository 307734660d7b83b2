"""A faster CPU computation of a Keras Bidirectional(LSTM), using that layer's own weights.

Keras runs an LSTM on a CPU as a loop of ~400 small steps, each doing the input projection x_t @ W as
well as h @ U. Here the input projection of all frames is one large matmul before the loop, and each
step does only h @ U plus one sigmoid: the candidate gate's columns of W, U and b are doubled so that
tanh(z) = 2 * sigmoid(2 z) - 1 comes out of the same sigmoid. The two directions are separate loops,
which TensorFlow runs on two cores at once.

Nothing here owns weights: `bidirectional_lstm` reads the kernels of a `keras.layers.Bidirectional`
wrapping `keras.layers.LSTM`, so a checkpoint is the same whichever path computed it, and on a GPU the
model keeps calling the Keras layer (cuDNN). tests/test_fast_lstm.py checks outputs and gradients
against Keras, forward and backward, with padding.
"""

import tensorflow as tf


def _candidate_doubled(matrix, units):
    """Multiply the candidate gate's quarter (Keras order i, f, c, o) by 2 along the last axis."""
    scale = tf.concat([tf.ones([2 * units]), 2.0 * tf.ones([units]), tf.ones([units])], axis=0)
    return matrix * tf.cast(scale, matrix.dtype)


def lstm_sequence(x, cell, initial_state=None):
    """A forward LSTM over x (B, T, F) from `initial_state` (h, c) ((B, units) each; zeros if None)
    -> (outputs (B, T, units), (h, c) after the last frame). Streaming carries (h, c) between chunks."""
    units = cell.units
    # float32 weights compute in x's dtype under mixed precision, as Keras' own layer call does
    kernel, recurrent, bias = (_candidate_doubled(tf.cast(w, x.dtype), units)
                               for w in (cell.kernel, cell.recurrent_kernel, cell.bias))
    projected = tf.einsum("btf,fg->tbg", x, kernel) + bias  # all frames at once, time-major

    def step(state, projected_t):
        h, c = state
        gates = tf.sigmoid(projected_t + tf.matmul(h, recurrent))
        i, f, g, o = tf.split(gates, 4, axis=-1)
        c = f * c + i * (2.0 * g - 1.0)  # 2 sigmoid(2z) - 1 = tanh(z)
        return o * tf.tanh(c), c

    if initial_state is None:
        zeros = tf.zeros([tf.shape(x)[0], units], dtype=x.dtype)
        initial_state = (zeros, zeros)
    h_all, c_all = tf.scan(step, projected, initializer=tuple(initial_state))
    return tf.transpose(h_all, [1, 0, 2]), (h_all[-1], c_all[-1])  # (T, B, units) -> (B, T, units)


def lstm_direction(x, lengths, cell, reverse):
    """One LSTM direction over right-padded x (B, T, F) -> (B, T, units); padded frames give zeros.

    The reverse direction reverses each utterance within its own length, so it starts at the true last
    frame and never reads padding.
    """
    if reverse:
        x = tf.reverse_sequence(x, lengths, seq_axis=1, batch_axis=0)
    out, _ = lstm_sequence(x, cell)
    if reverse:
        out = tf.reverse_sequence(out, lengths, seq_axis=1, batch_axis=0)
    valid = tf.sequence_mask(lengths, tf.shape(x)[1], dtype=x.dtype)
    return out * valid[:, :, None]


def bidirectional_lstm(layer, x, lengths):
    """What `layer(x, mask=...)` computes for a Bidirectional(LSTM, merge_mode="concat") layer."""
    lengths = tf.cast(lengths, tf.int32)
    forward = lstm_direction(x, lengths, layer.forward_layer.cell, reverse=False)
    backward = lstm_direction(x, lengths, layer.backward_layer.cell, reverse=True)
    return tf.concat([forward, backward], axis=-1)
