"""The acoustic model written directly as an ONNX graph (tf2onnx breaks on Keras 3; see also below).

The graph mirrors asr.models.acoustic.AcousticModel step by step, with the trained weights as
initializers:

    features (B, T, n_mels), lengths (B,)
    -> normalisation ((x - mean) / std; the utterance's own statistics over its true frames, or global ones)
    -> frame stacking (Gather of frames t * skip + i, i < stack)
    -> the encoder's own part, time-major (Encoder.write_onnx; e.g. asr.models.onnx_recurrent)
    -> MatMul + Add -> logits (B, T', V), out_lengths (B,)

tests/test_export.py checks the outputs against TensorFlow for every exportable encoder.
"""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8  # what opset 17 needs; newer onnx writes a newer IR than older onnxruntime reads


class Graph:
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
    """(B, T, F) -> (B, T', stack * F) and output lengths, as asr.models.acoustic.FrameStack computes them."""
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
    g = Graph()
    x = model.cmvn.write_onnx(g, "features", "lengths")  # global or per-utterance (asr.models.normalisation)
    x, out_lengths = _frame_stack(g, x, "lengths", model.config.stack, model.config.skip)
    x = g.op("Transpose", [x], perm=[1, 0, 2])  # time-major (T', B, F) for the recurrent ops
    x = model.encoder.write_onnx(g, x, out_lengths)  # (T', B, D)
    x = g.op("Transpose", [x], perm=[1, 0, 2])
    kernel, bias = (v.numpy() for v in model.classifier.weights)
    logits = g.op("Add", [g.op("MatMul", [x, g.const("classifier_kernel", kernel)]),
                          g.const("classifier_bias", bias)])
    g.nodes += [helper.make_node("Identity", [logits], ["logits"]),
                helper.make_node("Identity", [out_lengths], ["out_lengths"])]
    graph = helper.make_graph(
        g.nodes, "asr_acoustic_model",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", "frames", model.feature_dim]),
         helper.make_tensor_value_info("lengths", TensorProto.INT32, ["batch"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "out_frames", model.vocab_size]),
         helper.make_tensor_value_info("out_lengths", TensorProto.INT32, ["batch"])],
        g.initializers)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="asr",
                              ir_version=IR_VERSION)
    onnx.checker.check_model(proto)
    return proto
