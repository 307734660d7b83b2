"""`asr export`: a trained model as a TensorFlow SavedModel and an ONNX model, for inference elsewhere.

Both take (features (B, T, n_mels) float32 log-mel, lengths (B,) int32) and return logits (B, T', V) and
out_lengths (B,). The ONNX file is what `asr transcribe` runs in onnxruntime when it is present and
current: export.json records the sha256 of the weights it came from, so a retrained model is never
decoded with a stale export. A streaming model (asr.models.streaming_lstm) also gets model.stream.onnx,
one step of a stream with its state as inputs and outputs (asr.models.onnx_streaming). An encoder
without an ONNX writer is refused before anything is written.
With int8, model.int8.onnx is written too (asr.models.quantize) and recorded under export.json's "int8"
with the same digest (a streaming model's step too: model.stream.int8.onnx); an export without int8 removes
older int8 files, made from other weights.
"""

import tensorflow as tf

from asr.fileio import atomic_dir, atomic_path, tensorflow_writing, write_json
from asr.models.model_dir import load_trained_model, weights_digest
from asr.models.onnx_graph import OPSET as ONNX_OPSET
from asr.models.onnx_graph import acoustic_model_onnx
from asr.models.onnx_streaming import streaming_model_onnx
from asr.models.quantize import check_quantizable, quantize_onnx


def serving_function(model):
    """The model's inference pass as a traced function with named inputs and outputs."""

    @tf.function(input_signature=(tf.TensorSpec((None, None, model.feature_dim), tf.float32, name="features"),
                                  tf.TensorSpec((None,), tf.int32, name="lengths")))
    def serve(features, lengths):
        logits, out_lengths = model((features, lengths), training=False)
        return {"logits": logits, "out_lengths": out_lengths}

    return serve


def write_onnx(proto, path):
    with atomic_path(path) as tmp:
        tmp.write_bytes(proto.SerializeToString())


def export_saved_model(model, path):
    """SavedModel with the Keras layers (not the CPU fast path), so that on a GPU it runs on cuDNN."""
    model.encoder.fast_cpu_lstm = False
    module = tf.Module()
    module.model, module.serve = model, serving_function(model)
    with atomic_dir(path) as tmp, tensorflow_writing(path):
        tf.saved_model.save(module, str(tmp), signatures={"serving_default": module.serve})


def export_int8(proto, path):
    with atomic_path(path) as tmp:
        return quantize_onnx(proto, tmp)


def export_model(model_dir, int8=False):
    """Write model.onnx (with int8: model.int8.onnx too) and saved_model/ next to the weights in model_dir,
    then export.json. Returns (model directory, the int8 file's quantized_nodes record or None)."""
    model, info = load_trained_model(model_dir)
    layout = info.layout
    proto = acoustic_model_onnx(model)  # first: an encoder ONNX cannot express stops the export here
    if int8:
        check_quantizable(proto, layout.json)
    write_onnx(proto, layout.onnx)
    # a streaming encoder without an ONNX step still streams, in TensorFlow
    stream_proto = streaming_model_onnx(model) if hasattr(model.encoder, "write_onnx_stream") else None
    if stream_proto is not None:  # one step of a stream, its state as inputs and outputs
        write_onnx(stream_proto, layout.stream_onnx)
    nodes = export_int8(proto, layout.onnx_int8) if int8 else None
    if int8 and stream_proto is not None:
        export_int8(stream_proto, layout.stream_onnx_int8)
    export_saved_model(model, layout.saved_model)
    digest = weights_digest(layout)
    stamp = {"weights_sha256": digest, "onnx_opset": ONNX_OPSET}
    if int8:
        stamp["int8"] = {"weights_sha256": digest, "quantized_nodes": nodes}
    write_json(layout.export_json, stamp)
    if not int8:
        for stale in (layout.onnx_int8, layout.stream_onnx_int8):  # export.json no longer vouches for them
            stale.unlink(missing_ok=True)
    return layout.root, nodes
