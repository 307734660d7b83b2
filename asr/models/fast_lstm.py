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
    -> (outputs (B, T, units), (h, c) after the last frame). Streaming carries (h, c) between chunks.

    Under mixed precision (x bfloat16 or float16) the two matmuls take their inputs in x's dtype, as Keras'
    own layer does, and accumulate in float32 (oneDNN's bfloat16 kernels do); everything after them stays
    float32: the gate pre-activations, the sigmoid, the cell state and tanh(c). Only h, the next matmul's
    input and the layer's output, is rounded to x's dtype. A bfloat16 cell state would lose its 8th bit of
    precision at every one of ~400 steps (tests/test_fast_lstm.py measures the difference).
    """
    units, compute = cell.units, x.dtype
    kernel, recurrent = (_candidate_doubled(tf.cast(w, compute), units) for w in (cell.kernel, cell.recurrent_kernel))
    bias = _candidate_doubled(tf.cast(cell.bias, tf.float32), units)
    # all frames at once, time-major: (B, T, F) @ (F, 4U) -> (T, B, 4U)
    projected = tf.cast(tf.einsum("btf,fg->tbg", x, kernel), tf.float32) + bias
    if initial_state is None:
        zeros = tf.zeros([tf.shape(x)[0], units])
        initial_state = (zeros, zeros)
    h0, c0 = initial_state
    h_all, c_all = _recurrence(projected, recurrent, tf.cast(h0, compute), tf.cast(c0, tf.float32))
    return tf.transpose(h_all, [1, 0, 2]), (h_all[-1], c_all[-1])  # (T, B, units) -> (B, T, units)


@tf.custom_gradient
def _recurrence(projected, recurrent, h0, c0):
    """The time loop: projected inputs (T, B, 4U) float32, the candidate-doubled recurrent kernel (U, 4U) and
    the state before the first frame -> (h (T, B, U) in the kernel's dtype, c (T, B, U) float32).

    Its gradient is written out rather than left to TensorFlow's differentiation of the loop, which at every
    step also multiplies h by the step's gate gradients to accumulate the recurrent kernel's gradient: T
    small matmuls summed one by one. Here the backward loop does only what must be sequential (the gradient
    into h and c of the step before), and the kernel's gradient is one large matmul over all steps after it.
    """
    compute = recurrent.dtype

    def step(state, projected_t):
        h, c, _ = state
        gates = tf.sigmoid(projected_t + tf.cast(tf.matmul(h, recurrent), tf.float32))
        i, f, g, o = tf.split(gates, 4, axis=-1)
        c = f * c + i * (2.0 * g - 1.0)  # 2 sigmoid(2z) - 1 = tanh(z)
        return tf.cast(o * tf.tanh(c), compute), c, gates

    h_all, c_all, gates_all = tf.scan(step, projected, initializer=(h0, c0, tf.zeros_like(projected[0])))

    def gradient(dh_all, dc_all):
        h_before = tf.concat([h0[None], h_all[:-1]], axis=0)
        c_before = tf.concat([c0[None], c_all[:-1]], axis=0)
        dh_all = tf.cast(dh_all, tf.float32)
        dc_all = tf.zeros_like(c_all) if dc_all is None else dc_all

        def back(later, inputs):
            dh_later, dc_later, _ = later  # what step t + 1 sends back into h_t and c_t
            dh_t, dc_t, gates, c, c_prev = inputs
            i, f, g, o = tf.split(gates, 4, axis=-1)
            tanh_c = tf.tanh(c)
            dh = dh_t + dh_later
            dc = dc_t + dc_later + dh * o * (1.0 - tanh_c * tanh_c)
            # through the sigmoid of each gate; the candidate's 2 sigmoid(2z) - 1 gives its factor 2
            d_gates = tf.concat([dc * (2.0 * g - 1.0), dc * c_prev, 2.0 * dc * i, dh * tanh_c], axis=-1)
            d_gates = d_gates * gates * (1.0 - gates)
            dh_prev = tf.cast(tf.matmul(tf.cast(d_gates, compute), recurrent, transpose_b=True), tf.float32)
            return dh_prev, dc * f, d_gates

        last = tf.zeros_like(c0)
        dh0, dc0, d_projected = tf.scan(back, (dh_all, dc_all, gates_all, c_all, c_before),
                                        initializer=(last, last, tf.zeros_like(projected[0])), reverse=True)
        d_recurrent = tf.einsum("tbu,tbg->ug", h_before, tf.cast(d_projected, compute))
        return d_projected, d_recurrent, tf.cast(dh0[0], h0.dtype), dc0[0]

    return (h_all, c_all), gradient


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
