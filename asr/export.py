"""`asr export`: a trained model as a TensorFlow SavedModel and an ONNX model, for inference elsewhere.

Both take (features (B, T, 80) float32 log-mel, lengths (B,) int32) and return logits (B, T', V) and
out_lengths (B,). The ONNX file is what `asr transcribe` runs in onnxruntime when it is present and
current: export.json records the sha256 of the weights it came from, so a retrained model is never
decoded with a stale export.
"""

import hashlib
import json
import shutil
from pathlib import Path

import tensorflow as tf

from asr.data import BATCH_SIGNATURE
from asr.errors import AsrError
from asr.fileio import atomic_path, write_json
from asr.model import MODEL_WEIGHTS, load_trained_model
from asr.onnx_graph import OPSET as ONNX_OPSET, acoustic_model_onnx

ONNX_FILE, SAVED_MODEL_DIR, EXPORT_JSON = "model.onnx", "saved_model", "export.json"
INPUT_SIGNATURE = (tf.TensorSpec(BATCH_SIGNATURE[0].shape, tf.float32, name="features"),
                   tf.TensorSpec(BATCH_SIGNATURE[1].shape, tf.int32, name="lengths"))


def weights_digest(model_dir):
    return hashlib.sha256((Path(model_dir) / MODEL_WEIGHTS).read_bytes()).hexdigest()


def serving_function(model):
    """The model's inference pass as a traced function with named inputs and outputs."""

    @tf.function(input_signature=INPUT_SIGNATURE)
    def serve(features, lengths):
        logits, out_lengths = model((features, lengths), training=False)
        return {"logits": logits, "out_lengths": out_lengths}

    return serve


def export_onnx(model, path):
    """The model as an ONNX graph on ONNX's native LSTM/GRU operators (see asr.onnx_graph)."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(acoustic_model_onnx(model).SerializeToString())


def export_saved_model(model, path):
    """SavedModel with the Keras LSTM path, so that on a GPU it runs on cuDNN."""
    model.fast_cpu_lstm = False
    module = tf.Module()
    module.model, module.serve = model, serving_function(model)
    tmp = Path(str(path) + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tf.saved_model.save(module, str(tmp), signatures={"serving_default": module.serve})
    shutil.rmtree(path, ignore_errors=True)
    tmp.rename(path)


def export_model(model_dir):
    """Write model.onnx and saved_model/ next to the weights in model_dir, then export.json."""
    model_dir = Path(model_dir)
    model, _ = load_trained_model(model_dir)
    export_onnx(model, model_dir / ONNX_FILE)
    export_saved_model(model, model_dir / SAVED_MODEL_DIR)
    write_json(model_dir / EXPORT_JSON, {"weights_sha256": weights_digest(model_dir), "onnx_opset": ONNX_OPSET})
    return model_dir


def current_onnx(model_dir):
    """model_dir/model.onnx if it was exported from the weights now in model_dir, else None."""
    model_dir = Path(model_dir)
    try:
        stamp = json.loads((model_dir / EXPORT_JSON).read_text())
    except (OSError, ValueError):
        return None
    if not (model_dir / ONNX_FILE).is_file() or stamp.get("weights_sha256") != weights_digest(model_dir):
        return None
    return model_dir / ONNX_FILE


class OnnxPredictor:
    """(features, lengths) -> (logits, out_lengths) as numpy arrays, run by onnxruntime on the CPU."""

    def __init__(self, onnx_path):
        try:
            import onnxruntime as ort
        except ImportError as e:
            raise AsrError(f"{onnx_path}: onnxruntime is not installed ({e})") from None
        options = ort.SessionOptions()  # sequential execution: ORT_PARALLEL measured 2x slower here
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])

    def __call__(self, features, lengths):
        logits, out_lengths = self.session.run(["logits", "out_lengths"],
                                               {"features": features, "lengths": lengths.astype("int32")})
        return logits, out_lengths
