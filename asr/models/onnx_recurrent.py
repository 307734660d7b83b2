"""Bidirectional LSTM/GRU layers as ONNX's own LSTM/GRU operators (the recurrent encoders' write_onnx).

A converted TensorFlow graph turns each recurrent layer into a generic Loop of small ops, which
onnxruntime runs slower than TensorFlow itself; its native LSTM/GRU kernels are much faster. Keras and
ONNX order the gates differently (LSTM: Keras i, f, c, o; ONNX i, o, f, c. GRU: both z, r, h) and lay
kernels out transposed; `lstm_cell_weights` and `_gru_cell_weights` convert.
"""

import numpy as np


def _keras_lstm_to_onnx(matrix):
    """Keras (in, 4H) gate order i, f, c, o -> ONNX (4H, in) gate order i, o, f, c."""
    i, f, c, o = np.split(matrix, 4, axis=-1)
    return np.concatenate([i, o, f, c], axis=-1).T


def lstm_cell_weights(cell):
    """W (4H, F), R (4H, H), B (8H,) of ONNX LSTM; Keras has one bias, so the recurrent bias is zero."""
    bias = _keras_lstm_to_onnx(cell.bias.numpy()[None, :])[:, 0]
    return (_keras_lstm_to_onnx(cell.kernel.numpy()), _keras_lstm_to_onnx(cell.recurrent_kernel.numpy()),
            np.concatenate([bias, np.zeros_like(bias)]))


def _gru_cell_weights(cell):
    """W (3H, F), R (3H, H), B (6H,) of ONNX GRU (linear_before_reset = Keras reset_after)."""
    # Keras reset_after bias is (2, 3H): input bias, recurrent bias, as ONNX concatenates them
    return cell.kernel.numpy().T, cell.recurrent_kernel.numpy().T, cell.bias.numpy().reshape(-1)


def _bidirectional_weights(bidirectional, cell_weights):
    """W, R, B stacked over the two directions, forward first."""
    per_direction = [cell_weights(layer.cell) for layer in (bidirectional.forward_layer, bidirectional.backward_layer)]
    return [np.stack(arrays) for arrays in zip(*per_direction)]


CELL_OPS = {"lstm": ("LSTM", lstm_cell_weights, {}), "gru": ("GRU", _gru_cell_weights, {"linear_before_reset": 1})}


def bidirectional_layer_onnx(g, x, lengths, layer, cell, units, k):
    """One Bidirectional layer: x (T', B, F) time-major -> (T', B, 2 * units), forward then backward."""
    op_type, cell_weights, extra = CELL_OPS[cell]
    w, r, b = _bidirectional_weights(layer, cell_weights)
    y = g.op(op_type, [x, g.const(f"W{k}", w), g.const(f"R{k}", r), g.const(f"B{k}", b), lengths],
             direction="bidirectional", hidden_size=units, **extra)  # (T', 2, B, H)
    y = g.op("Transpose", [y], perm=[0, 2, 1, 3])  # (T', B, 2, H): forward then backward, as concat
    return g.op("Reshape", [y, g.const(f"merge{k}", np.array([0, 0, -1], np.int64))])  # (T', B, 2H)
