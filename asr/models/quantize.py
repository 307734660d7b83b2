"""The exported ONNX model with int8 weights (`asr export --int8`), for smaller files and faster CPUs.

onnxruntime's dynamic quantization stores the chosen operators' weights as int8 and quantizes their float
inputs on the fly, batch by batch; everything else stays float32. It turns our LSTM operators into
com.microsoft DynamicQuantizeLSTM (input and recurrent weights: ~99 % of the parameters); it has no int8
GRU, so a BiGRU model is refused. The op set and scales were chosen with tools/compare_int8.py on the
default recipe's model (docs/speed.md, "Smaller and faster: int8"): one scale per gate unit (per channel)
changed the best symbol of 0.11 % of the test frames, one per weight tensor 0.19 %; quantizing the
classifier's MatMul too saved 0.04 MB and no measurable time, so it stays float32. Weights use 7 of their 8
bits (reduce_range): on CPUs without VNNI (AVX2 only, as AMD Zen 3) onnxruntime's int8 kernel adds pairs of
products in 16-bit registers that full-range weights overflow; there, 8-bit weights put the tiny test model's
logits 7.5 % off float32 (relative L2), 7-bit ones 0.5-0.85 % (8-bit on a VNNI CPU: 0.4-0.7 %). A model is
exported once and run on whatever CPU its user has, so it takes the range that is right on all of them.
Needs no TensorFlow.
"""

import collections
import logging

import onnx

from asr.errors import AsrError

INT8_OPS = ("LSTM",)
PER_CHANNEL = True
REDUCE_RANGE = True  # 7-bit weights: see above
INT8_NODES = {"DynamicQuantizeLSTM": "LSTM", "MatMulInteger": "MatMul"}  # what quantization turns them into
HEAVY_FLOAT_NODES = ("LSTM", "GRU", "MatMul")  # the weighty operators, should any stay float32


class _DropPreprocessingAdvice(logging.Filter):
    """quantize_dynamic logs (at WARNING, on the root logger) advice to run its shape pre-processing first,
    meant for convolutional image models; it changes nothing for our weight-only quantization."""

    def filter(self, record):
        return "pre-processing" not in record.getMessage()


def check_quantizable(proto, where, op_types=INT8_OPS):
    """AsrError naming `where` unless the graph has an operator that int8 quantization would change."""
    if not any(node.op_type in op_types for node in proto.graph.node):
        raise AsrError(f"{where}: --int8 has nothing to quantize here: it quantizes {', '.join(op_types)} "
                       "operators and this model has none (onnxruntime has no int8 GRU)")


def quantize_onnx(proto, out_path, op_types=INT8_OPS, per_channel=PER_CHANNEL):
    """Write the int8 version of an onnx.ModelProto to out_path; return quantized_nodes(out_path)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    advice = _DropPreprocessingAdvice()
    logging.getLogger().addFilter(advice)
    try:
        quantize_dynamic(proto, out_path, op_types_to_quantize=list(op_types), per_channel=per_channel,
                         weight_type=QuantType.QInt8, reduce_range=REDUCE_RANGE)
    finally:
        logging.getLogger().removeFilter(advice)
    return quantized_nodes(out_path)


def quantized_nodes(path):
    """{"int8": {op: count}, "float32": {op: count}}: the heavy operators of an ONNX file by precision."""
    counts = collections.Counter(node.op_type for node in onnx.load(str(path)).graph.node)
    return {"int8": {INT8_NODES[op]: n for op, n in sorted(counts.items()) if op in INT8_NODES},
            "float32": {op: n for op, n in sorted(counts.items()) if op in HEAVY_FLOAT_NODES}}


def describe(nodes):
    """'LSTM x3, MatMul x1 in int8; GRU x2 kept in float32' for a quantized_nodes record."""
    def listed(counts):
        return ", ".join(f"{op} x{n}" for op, n in counts.items())
    text = f"{listed(nodes['int8']) or 'no operator'} in int8"
    return text + (f"; {listed(nodes['float32'])} kept in float32" if nodes["float32"] else "")
