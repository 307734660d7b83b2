"""data_prep/tts/exact_int8.py: the neural voices' int8 matmuls give numpy's exact integers on every CPU."""

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from data_prep.tts.exact_int8 import unsigned_weights

ROWS, DEPTH, COLUMNS = 64, 512, 256


def _model(weights, zero_point, shared_reader):
    """A = uint8 input; Y = MatMulInteger(A, weights); Z = the weight zero point read by another node too."""
    nodes = [helper.make_node("MatMulInteger", ["A", "W", "a_zero", "w_zero"], ["Y"]),
             helper.make_node("Cast", ["w_zero"], ["Z"], to=TensorProto.INT32)]
    graph = helper.make_graph(
        nodes if shared_reader else nodes[:1], "g",
        [helper.make_tensor_value_info("A", TensorProto.UINT8, [ROWS, DEPTH])],
        [helper.make_tensor_value_info("Y", TensorProto.INT32, [ROWS, COLUMNS])]
        + ([helper.make_tensor_value_info("Z", TensorProto.INT32, [])] if shared_reader else []),
        [numpy_helper.from_array(weights, "W"), numpy_helper.from_array(np.array(128, np.uint8), "a_zero"),
         numpy_helper.from_array(zero_point, "w_zero")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model


def _run(model, activations):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"A": activations})


def test_full_range_int8_weights_multiply_exactly_once_moved_to_uint8():
    rng = np.random.default_rng(0)
    weights = rng.integers(-128, 128, size=(DEPTH, COLUMNS)).astype(np.int8)
    activations = rng.integers(0, 256, size=(ROWS, DEPTH)).astype(np.uint8)
    exact = (activations.astype(np.int64) - 128) @ (weights.astype(np.int64) - 3)
    model = _model(weights, np.array(3, np.int8), shared_reader=False)
    assert unsigned_weights(model) == 1
    assert {t.name: t.data_type for t in model.graph.initializer}["W_uint8"] == TensorProto.UINT8
    assert "W" not in {t.name for t in model.graph.initializer}  # the int8 original is dropped
    np.testing.assert_array_equal(_run(model, activations)[0], exact)


def test_a_zero_point_another_node_reads_keeps_its_int8_value():
    rng = np.random.default_rng(1)
    weights = rng.integers(-20, 20, size=(DEPTH, COLUMNS)).astype(np.int8)
    activations = rng.integers(0, 256, size=(ROWS, DEPTH)).astype(np.uint8)
    model = _model(weights, np.array(-5, np.int8), shared_reader=True)
    unsigned_weights(model)
    product, zero = _run(model, activations)
    assert zero == -5
    np.testing.assert_array_equal(product, (activations.astype(np.int64) - 128) @ (weights.astype(np.int64) + 5))


def test_uint8_weights_and_other_ops_are_left_alone():
    weights = np.arange(DEPTH * COLUMNS, dtype=np.int64).reshape(DEPTH, COLUMNS).astype(np.uint8)
    model = _model(weights, np.array(7, np.uint8), shared_reader=False)
    before = model.SerializeToString()
    assert unsigned_weights(model) == 0
    assert model.SerializeToString() == before
