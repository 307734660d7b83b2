"""Int8 TTS models that compute the same numbers on every CPU.

Kokoro's and hibari's ONNX models multiply uint8 activations by int8 weights (MatMulInteger). On x86 CPUs
without VNNI, onnxruntime's kernel for that pair adds two uint8 x int8 products into a 16-bit register, which
saturates on full-range weights; so hibari spoke differently on an AVX2 machine than on an AVX-512 VNNI one
(the same words, waveforms 0.76 apart in relative L2), and a corpus depended on the machine that made it.
uint8 x uint8 goes through a kernel that widens first and is exact everywhere, and B - zero_point does not
change when both are moved up by 128: so every int8 weight is rewritten as uint8 with its zero point + 128.
"""

import numpy as np
import onnx
from onnx import numpy_helper

SHIFT = 128  # int8 -> uint8
UNSIGNED_SUFFIX = "_uint8"


def unsigned_weights(model):
    """Rewrite, in place, every MatMulInteger of `model` (an onnx.ModelProto) whose weights are an int8
    initializer to read uint8 copies of its weights and weight zero point; returns how many nodes changed.
    The copies are new initializers, so a zero point the graph shares with any other node stays as it was."""
    initializers = {tensor.name: tensor for tensor in model.graph.initializer}
    changed = 0
    for node in model.graph.node:
        if node.op_type != "MatMulInteger" or node.input[1] not in initializers:
            continue
        if initializers[node.input[1]].data_type != onnx.TensorProto.INT8:
            continue
        while len(node.input) < 4:
            node.input.append("")  # an absent zero point is 0
        for slot in (1, 3):
            node.input[slot] = _unsigned_copy(model, initializers, node.input[slot])
        changed += 1
    used = {name for node in model.graph.node for name in node.input}
    kept = [tensor for tensor in model.graph.initializer if tensor.name in used]
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)  # the int8 originals nothing reads any more
    return changed


def unsigned_model_bytes(source):
    """The ONNX model `source` (a path, or the model's serialised bytes) with its int8 weights moved to uint8,
    serialised for an InferenceSession."""
    model = onnx.load_from_string(source) if isinstance(source, bytes) else onnx.load(source)
    unsigned_weights(model)
    return model.SerializeToString()


def _unsigned_copy(model, initializers, name):
    copy = f"{name or 'zero_point'}{UNSIGNED_SUFFIX}"
    if copy not in initializers:
        signed = numpy_helper.to_array(initializers[name]) if name else np.array(0, np.int8)
        tensor = numpy_helper.from_array((signed.astype(np.int16) + SHIFT).astype(np.uint8), copy)
        model.graph.initializer.append(tensor)
        initializers[copy] = tensor
    return copy
