"""The acoustic model written directly as an ONNX graph built on ONNX's own LSTM/GRU operators.

A converted TensorFlow graph turns each recurrent layer into a generic Loop of small ops, which
onnxruntime runs slower than TensorFlow itself; its native LSTM/GRU kernels are much faster. The graph
mirrors asr.model.AcousticModel step by step, with the trained weights as initializers:

    features (B, T, 80), lengths (B,)
    -> (x - mean) / std -> frame stacking (Gather of frames t * skip + i, i < stack)
    -> N x bidirectional LSTM/GRU with sequence_lens = output lengths (time-major inside)
    -> MatMul + Add -> logits (B, T', V), out_lengths (B,)

Keras and ONNX order the gates differently (LSTM: Keras i, f, c, o; ONNX i, o, f, c. GRU: both z, r, h)
and lay kernels out transposed; `_lstm_cell_weights` and `_gru_cell_weights` convert. tests/test_export.py
checks the outputs against TensorFlow for both cells.
"""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8  # what opset 17 needs; newer onnx writes a newer IR than older onnxruntime reads


def _keras_lstm_to_onnx(matrix):
    """Keras (in, 4H) gate order i, f, c, o -> ONNX (4H, in) gate order i, o, f, c."""
    i, f, c, o = np.split(matrix, 4, axis=-1)
    return np.concatenate([i, o, f, c], axis=-1).T


def _lstm_cell_weights(cell):
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


class _Graph:
    """Collects nodes and initializers; `op` adds a node and returns its output name."""

    def __init__(self):
        self.nodes, self.initializers, self.count = [], [], 0

    def const(self, name, value):
        self.initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(self, op_type, inputs, outputs=1, **attrs):
        self.count += 1
        names = [f"{op_type.lower()}_{self.count}_{k}" for k in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, names, **attrs))
        return names[0] if outputs == 1 else names


def _frame_stack(g, x, lengths, stack, skip):
    """(B, T, F) -> (B, T', stack * F) and output lengths, as asr.model.FrameStack computes them."""
    zero, one = g.const("zero_i64", np.array(0, np.int64)), g.const("one_i64", np.array(1, np.int64))
    stack_, skip_ = g.const("stack_i64", np.array(stack, np.int64)), g.const("skip_i64", np.array(skip, np.int64))
    frames = g.op("Gather", [g.op("Shape", [x]), one])
    short = g.op("Max", [g.op("Sub", [stack_, frames]), zero])  # pad to at least `stack` frames
    pads = g.op("Concat", [g.const("pad_head", np.zeros(4, np.int64)),
                           g.op("Unsqueeze", [short, g.const("axis0", np.array([0]))]),
                           g.const("pad_tail", np.zeros(1, np.int64))], axis=0)  # [0, 0, 0, 0, short, 0]
    x = g.op("Pad", [x, pads])
    n_out = g.op("Div", [g.op("Add", [g.op("Sub", [g.op("Max", [frames, stack_]), stack_]), skip_]), skip_])
    starts = g.op("Mul", [g.op("Range", [zero, n_out, one]), skip_])  # (T',)
    index = g.op("Add", [g.op("Unsqueeze", [starts, g.const("axis1", np.array([1]))]),
                         g.const("offsets", np.arange(stack, dtype=np.int64)[None, :])])  # (T', stack)
    stacked = g.op("Gather", [x, index], axis=1)  # (B, T', stack, F)
    x = g.op("Reshape", [stacked, g.const("stacked_shape", np.array([0, 0, -1], np.int64))])
    # (L - stack) // skip + 1, at least 0, as max(L + skip - stack, 0) // skip: integer Div truncates
    shifted = g.op("Add", [lengths, g.const("skip_minus_stack", np.array(skip - stack, np.int32))])
    out_lengths = g.op("Div", [g.op("Max", [shifted, g.const("zero_i32", np.array(0, np.int32))]),
                               g.const("skip_i32", np.array(skip, np.int32))])
    return x, out_lengths


def acoustic_model_onnx(model):
    """An onnx.ModelProto computing model((features, lengths)) -> logits, out_lengths at inference."""
    s = model.settings
    g = _Graph()
    x = g.op("Div", [g.op("Sub", ["features", g.const("cmvn_mean", model.cmvn.mean.numpy())]),
                     g.const("cmvn_std", model.cmvn.std.numpy())])
    x, out_lengths = _frame_stack(g, x, "lengths", s["stack"], s["skip"])
    x = g.op("Transpose", [x], perm=[1, 0, 2])  # time-major (T', B, F) for the recurrent ops
    for k, layer in enumerate(model.recurrent):
        op_type, cell_weights = ("LSTM", _lstm_cell_weights) if s["cell"] == "lstm" else ("GRU", _gru_cell_weights)
        w, r, b = _bidirectional_weights(layer, cell_weights)
        extra = {"linear_before_reset": 1} if op_type == "GRU" else {}
        y = g.op(op_type, [x, g.const(f"W{k}", w), g.const(f"R{k}", r), g.const(f"B{k}", b), out_lengths],
                 direction="bidirectional", hidden_size=s["units"], **extra)  # (T', 2, B, H)
        y = g.op("Transpose", [y], perm=[0, 2, 1, 3])  # (T', B, 2, H): forward then backward, as concat
        x = g.op("Reshape", [y, g.const(f"merge{k}", np.array([0, 0, -1], np.int64))])
    x = g.op("Transpose", [x], perm=[1, 0, 2])
    kernel, bias = (v.numpy() for v in model.classifier.weights)
    logits = g.op("Add", [g.op("MatMul", [x, g.const("classifier_kernel", kernel)]),
                          g.const("classifier_bias", bias)])
    g.nodes += [helper.make_node("Identity", [logits], ["logits"]),
                helper.make_node("Identity", [out_lengths], ["out_lengths"])]
    graph = helper.make_graph(
        g.nodes, "asr_acoustic_model",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", "frames", model.cmvn.dim]),
         helper.make_tensor_value_info("lengths", TensorProto.INT32, ["batch"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "out_frames", s["vocab_size"]]),
         helper.make_tensor_value_info("out_lengths", TensorProto.INT32, ["batch"])],
        g.initializers)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="asr",
                              ir_version=IR_VERSION)
    onnx.checker.check_model(proto)
    return proto
