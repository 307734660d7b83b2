"""Every gate of a recurrent layer, frame by frame, recomputed in numpy from the layer's own weights.

Keras returns only a layer's outputs; to show what the gates did we run the same recurrence again on
one utterance (at its true length, so padding plays no part) and keep everything it computes:

    LSTM (Keras column order i, f, c, o):   z = x W + h U + b
        input i = σ(z_i), forget f = σ(z_f), candidate g = tanh(z_c), output o = σ(z_o)
        cell c = f ⊙ c + i ⊙ g,   hidden h = o ⊙ tanh(c)
    GRU, reset_after (Keras order z, r, h):  a = x W + b_in,  u = h U + b_rec
        update z = σ(a_z + u_z), reset r = σ(a_r + u_r), candidate n = tanh(a_h + r ⊙ u_h)
        hidden h = z ⊙ h + (1 - z) ⊙ n

A direction that reads time backwards (go_backwards) runs over the reversed utterance and its traces are reversed back,
so row t is always frame t. tests/test_inspection.py checks `hidden` against the Keras layer's output
(padded batch, both directions) and each gate against a single hand-written step.
"""

import keras
import numpy as np

from asr.errors import AsrError

LSTM_TRACES = ("input", "forget", "output", "candidate", "cell", "hidden")
GRU_TRACES = ("update", "reset", "candidate", "hidden")
GATES = {"input", "forget", "output", "update", "reset"}  # sigmoids in [0, 1]; the rest are tanh-ranged


def sigmoid(z):
    return 0.5 * (np.tanh(0.5 * z) + 1.0)  # overflow-free form of 1 / (1 + e^-z)


def lstm_trace(x, kernel, recurrent, bias):
    """x (T, F) -> {name: (T, units)} for every name in LSTM_TRACES."""
    units = recurrent.shape[0]
    projected = x @ kernel + bias  # (T, 4 units): the input part of every step at once
    h, c = np.zeros(units, np.float32), np.zeros(units, np.float32)
    rows = {name: [] for name in LSTM_TRACES}
    for z_x in projected:
        z = z_x + h @ recurrent
        i, f, o = sigmoid(z[:units]), sigmoid(z[units:2 * units]), sigmoid(z[3 * units:])
        g = np.tanh(z[2 * units:3 * units])
        c = f * c + i * g
        h = o * np.tanh(c)
        for name, value in zip(LSTM_TRACES, (i, f, o, g, c, h)):
            rows[name].append(value)
    return {name: np.array(values, np.float32).reshape(len(x), units) for name, values in rows.items()}


def gru_trace(x, kernel, recurrent, bias):
    """x (T, F) -> {name: (T, units)} for every name in GRU_TRACES (Keras GRU with reset_after=True)."""
    units = recurrent.shape[0]
    input_bias, recurrent_bias = bias  # (2, 3 units): reset_after keeps separate input and recurrent biases
    projected = x @ kernel + input_bias  # (T, 3 units)
    h = np.zeros(units, np.float32)
    rows = {name: [] for name in GRU_TRACES}
    for a in projected:
        u = h @ recurrent + recurrent_bias
        z = sigmoid(a[:units] + u[:units])
        r = sigmoid(a[units:2 * units] + u[units:2 * units])
        n = np.tanh(a[2 * units:] + r * u[2 * units:])
        h = z * h + (1.0 - z) * n
        for name, value in zip(GRU_TRACES, (z, r, n, h)):
            rows[name].append(value)
    return {name: np.array(values, np.float32).reshape(len(x), units) for name, values in rows.items()}


def check_traceable(layer):
    """AsrError unless the layer computes what lstm_trace / gru_trace recompute."""
    cell = layer.cell
    standard = (cell.activation is keras.activations.tanh and cell.recurrent_activation is keras.activations.sigmoid
                and cell.use_bias and getattr(cell, "reset_after", True))
    if not standard:
        raise AsrError(f"layer {layer.name}: only LSTM and GRU (reset_after) layers with tanh, sigmoid and biases "
                       "can be traced")


def trace_layer(layer, x):
    """{name: (T, units)} of a Keras LSTM or GRU layer over one utterance x (T, F) at its true length."""
    check_traceable(layer)
    cell, reverse = layer.cell, layer.go_backwards
    weights = (cell.kernel, cell.recurrent_kernel, cell.bias)
    kernel, recurrent, bias = (np.asarray(w.numpy(), np.float32) for w in weights)
    x = np.asarray(x, np.float32)[::-1] if reverse else np.asarray(x, np.float32)
    if hasattr(cell, "reset_after"):
        traces = gru_trace(x, kernel, recurrent, bias)
    else:
        traces = lstm_trace(x, kernel, recurrent, bias)
    return {name: value[::-1].copy() for name, value in traces.items()} if reverse else traces


def saturation(traces):
    """{gate: (share of values below 0.1, share above 0.9)} for the sigmoid gates among `traces`."""
    return {name: (float(np.mean(value < 0.1)), float(np.mean(value > 0.9)))
            for name, value in traces.items() if name in GATES}
