"""A trained model on disk: model.json says how it was made, model.weights.h5 holds its weights.

model.json (format 2):
    model       the whole ModelConfig (rebuilt with ModelConfig(**...))
    vocab_size, tokenizer   output size and the symbol of every output id (id 0: the CTC blank)
    features    the feature settings it was trained on (transcription computes exactly these)
    decode      the recipe's decoding defaults (DecodeConfig)
    data        fingerprint of the training features
    version     the asr release that trained it; commit: its git commit, when it ran from the checkout
    training    best epoch and its dev metrics
`read_model_info` and `current_onnx` need no TensorFlow; `load_trained_model` rebuilds the Keras model.
"""

import dataclasses
import hashlib
import json
from dataclasses import dataclass

from asr.config import DecodeConfig, FeatureConfig, ModelConfig
from asr.data.tokenizer import make_tokenizer
from asr.errors import AsrError
from asr.fileio import atomic_path, write_json
from asr.layout import ModelLayout, model_layout
from asr.provenance import code_provenance, feature_config, feature_settings

FORMAT = 2


@dataclass
class ModelInfo:
    """What model.json says, as typed values."""
    layout: ModelLayout
    model: ModelConfig
    features: FeatureConfig
    decode: DecodeConfig
    tokenizer: object
    record: dict  # the whole model.json


def save_trained_model(model, model_dir, features, decode, data_fingerprint, training=None):
    """Write model.weights.h5, then model.json (atomically: a reader never sees a half-written model)."""
    layout = ModelLayout(model_dir)
    with atomic_path(layout.weights) as tmp:  # the temp name ends in .weights.h5 too, as Keras requires
        model.save_weights(str(tmp))
    write_json(layout.json, {
        "format": FORMAT, "model": dataclasses.asdict(model.config), "vocab_size": model.vocab_size,
        "tokenizer": make_tokenizer(model.config.vocabulary).symbols, "features": feature_settings(features),
        "decode": dataclasses.asdict(decode), "data": data_fingerprint, **code_provenance(),
        "training": training or {}})


def read_model_info(model_dir):
    """ModelInfo of a model directory (or of a run directory's model/); AsrError naming the file for
    anything missing or unreadable."""
    layout = model_layout(model_dir)
    if not layout.json.is_file() or not layout.weights.is_file():
        raise AsrError(f"{layout.root}: no trained model here ({layout.json.name} and {layout.weights.name} expected)")
    try:
        record = json.loads(layout.json.read_text())
        if record.get("format") != FORMAT:
            raise AsrError(f"{layout.json}: written by an older asr (format {record.get('format', 1)}, this asr "
                           f"reads {FORMAT}); retrain the model")
        info = ModelInfo(layout, ModelConfig(**record["model"]), feature_config(record["features"]),
                         DecodeConfig(**record["decode"]), make_tokenizer(record["model"]["vocabulary"]), record)
        symbols = record["tokenizer"]
    except (ValueError, KeyError, TypeError, AttributeError) as e:  # AttributeError: JSON that is not an object
        raise AsrError(f"{layout.json}: not a readable model description ({type(e).__name__}: {e})") from None
    if info.tokenizer.symbols != symbols:
        raise AsrError(f"{layout.json}: the model's output symbols differ from what this asr's tokenizer makes "
                       "of its config; retrain the model")
    return info


def load_trained_model(model_dir):
    """(Keras model, ModelInfo): rebuilt from model.json, weights loaded (on a CPU whatever it trained on)."""
    info = read_model_info(model_dir)
    return build_trained_model(info), info


def build_trained_model(info):
    """The Keras model a ModelInfo describes, with its weights loaded."""
    from asr.models.acoustic import build_model
    model = build_model(info.model, info.tokenizer.vocab_size, info.features.n_mels)
    try:
        model.load_weights(str(info.layout.weights))
    except (OSError, ValueError) as e:
        raise AsrError(f"{info.layout.weights}: does not fit the model {info.layout.json.name} describes "
                       f"({str(e).splitlines()[0][:160]})") from None
    return model


def weights_digest(layout):
    return hashlib.sha256(layout.weights.read_bytes()).hexdigest()


def current_onnx(model_dir, int8=False, stream=False):
    """model_dir/model.onnx (int8: model.int8.onnx; stream: model.stream[.int8].onnx, one step of a stream) if
    `asr export` wrote it from the weights now in model_dir, else None. export.json keeps one record per
    export: model.onnx's (and model.stream.onnx's) at its top level, the int8 file's under "int8" (absent
    when the last export made none)."""
    layout = ModelLayout(model_dir)
    try:
        stamp = json.loads(layout.export_json.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict):
        return None
    files = {(False, False): layout.onnx, (True, False): layout.onnx_int8, (False, True): layout.stream_onnx,
             (True, True): layout.stream_onnx_int8}
    path, record = files[int8, stream], (stamp.get("int8") if int8 else stamp)
    if not isinstance(record, dict) or not path.is_file() or record.get("weights_sha256") != weights_digest(layout):
        return None
    return path
