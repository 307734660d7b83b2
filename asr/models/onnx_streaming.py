"""The streaming encoder (asr.models.streaming_lstm) in ONNX: offline, and as a chunk-by-chunk graph.

`lookahead_lstm_onnx` is the encoder's part of the offline graph (asr.models.onnx_graph). 
`streaming_model_onnx` is the whole model as one step of a stream, its state as inputs and outputs, so a
runtime without TensorFlow (onnxruntime here, or any other) can stream:

    frames (B, Tc, stack * n_mels) stacked log-mel, mask (B, Tc) (1 real, 0 the zeros that end a stream),
    h (L, B, H), c (L, B, H), pending (B, P, H)
    -> logits (B, N, V) of the frames whose look-ahead is complete, h_out, c_out, pending_out

It computes what LookaheadLSTMEncoder.stream_step computes (tests/test_streaming.py checks both).
"""

import numpy as np
import onnx
from onnx import TensorProto, helper

from asr.models.onnx_graph import IR_VERSION, OPSET, Graph
from asr.models.onnx_recurrent import lstm_cell_weights

BIG = np.iinfo(np.int64).max  # a Slice end meaning "to the end"


def _lstm_weights(graph, layer, k):
    w, r, b = (graph.const(f"{name}{k}", array[None]) for name, array in zip("WRB", lstm_cell_weights(layer.cell)))
    return [w, r, b]  # (1, 4H, F), (1, 4H, H), (1, 8H): one direction


def _slice(g, x, start, end, axis):
    """x[start:end] along `axis`; start and end are graph names of int64 (1,) tensors."""
    return g.op("Slice", [x, start, end, g.const(f"axis_{axis}_{len(g.initializers)}", np.array([axis], np.int64))])


def _row_convolution(g, x, frames, taps, axis):
    """sum_j taps[j] * x[j : j + frames] along the time `axis`; x holds frames + lookahead frames."""
    total = None
    for j, tap in enumerate(taps):
        start = g.const(f"tap_start_{len(g.initializers)}", np.array([j], np.int64))
        term = g.op("Mul", [_slice(g, x, start, g.op("Add", [frames, start]), axis), g.const(f"tap{j}", tap)])
        total = term if total is None else g.op("Add", [total, term])
    return total


def _one(g, value, dtype=np.int64):
    return g.const(f"c_{len(g.initializers)}", np.array([value], dtype))


def lookahead_lstm_onnx(g, x, lengths, encoder):
    """x (T', B, F) time-major, lengths (B,) int32 -> (T', B, H): the offline encoder."""
    for k, layer in enumerate(encoder.recurrent):
        y = g.op("LSTM", [x, *_lstm_weights(g, layer, k), lengths], direction="forward",
                 hidden_size=encoder.config.units)  # (T', 1, B, H)
        x = g.op("Squeeze", [y, _one(g, 1)])
    frames = g.op("Shape", [x], start=0, end=1)  # (1,): T'
    steps = g.op("Range", [g.const("zero_i32_t", np.array(0, np.int32)),
                           g.op("Cast", [g.op("Squeeze", [frames])], to=TensorProto.INT32),
                           g.const("one_i32_t", np.array(1, np.int32))])
    valid = g.op("Cast", [g.op("Less", [g.op("Unsqueeze", [steps, _one(g, 1)]), lengths])], to=TensorProto.FLOAT)
    x = g.op("Mul", [x, g.op("Unsqueeze", [valid, _one(g, 2)])])  # padding -> zeros, as the encoder does
    lookahead = encoder.config.lookahead
    padded = g.op("Pad", [x, g.const("lookahead_pads", np.array([0, 0, 0, lookahead, 0, 0], np.int64))])
    return _row_convolution(g, padded, frames, encoder.row_convolution.taps.numpy(), axis=0)


def stream_encoder_onnx(g, x, mask, encoder):
    """x (B, Tc, F) normalised frames -> (B, N, H) outputs ready, and the names of h_out, c_out, pending_out."""
    x = g.op("Transpose", [x], perm=[1, 0, 2])  # (Tc, B, F) for ONNX's LSTM
    hs, cs = [], []
    for k, layer in enumerate(encoder.recurrent):
        index = _one(g, k)
        h0, c0 = (g.op("Gather", [state, index], axis=0) for state in ("h", "c"))  # (1, B, H)
        y, h_k, c_k = g.op("LSTM", [x, *_lstm_weights(g, layer, k), "", h0, c0], outputs=3, direction="forward",
                           hidden_size=encoder.config.units)
        x = g.op("Squeeze", [y, _one(g, 1)])  # (Tc, 1, B, H) -> (Tc, B, H)
        hs.append(h_k)
        cs.append(c_k)
    x = g.op("Mul", [g.op("Transpose", [x], perm=[1, 0, 2]), g.op("Unsqueeze", [mask, _one(g, 2)])])
    waiting = g.op("Concat", ["pending", x], axis=1)  # (B, P + Tc, H)
    available = g.op("Shape", [waiting], start=1, end=2)
    ready = g.op("Max", [g.op("Sub", [available, _one(g, encoder.config.lookahead)]), _one(g, 0)])
    outputs = _row_convolution(g, waiting, ready, encoder.row_convolution.taps.numpy(), axis=1)
    pending = _slice(g, waiting, ready, _one(g, BIG), axis=1)
    return outputs, g.op("Concat", hs, axis=0), g.op("Concat", cs, axis=0), pending


def streaming_model_onnx(model):
    """An onnx.ModelProto of one stream step of an AcousticModel whose encoder streams (see above)."""
    g, stack = Graph(), model.config.stack
    mean, std = (np.tile(v.numpy(), stack) for v in (model.cmvn.mean, model.cmvn.std))  # per stacked frame
    x = g.op("Div", [g.op("Sub", ["frames", g.const("cmvn_mean", mean)]), g.const("cmvn_std", std)])
    x, h, c, pending = model.encoder.write_onnx_stream(g, x, "mask")
    kernel, bias = (v.numpy() for v in model.classifier.weights)
    logits = g.op("Add", [g.op("MatMul", [x, g.const("classifier_kernel", kernel)]), g.const("classifier_bias", bias)])
    g.nodes += [helper.make_node("Identity", [a], [b]) for a, b in
                ((logits, "logits"), (h, "h_out"), (c, "c_out"), (pending, "pending_out"))]
    units, layers, width = model.config.units, model.config.layers, stack * model.cmvn.dim
    state = [("h", ["layers", "batch", units]), ("c", ["layers", "batch", units]),
             ("pending", ["batch", "pending", units])]
    inputs = [helper.make_tensor_value_info("frames", TensorProto.FLOAT, ["batch", "chunk", width]),
              helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "chunk"]),
              *(helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in state)]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "ready", model.vocab_size]),
               *(helper.make_tensor_value_info(n + "_out", TensorProto.FLOAT, s) for n, s in state)]
    graph = helper.make_graph(g.nodes, "asr_streaming_step", inputs, outputs, g.initializers)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="asr",
                              ir_version=IR_VERSION)
    proto.metadata_props.add(key="layers", value=str(layers))
    onnx.checker.check_model(proto)
    return proto
