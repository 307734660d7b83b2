"""Which engine runs a model's network: the one backend choice of offline and streaming transcription (the
`--backend` choices of `asr transcribe` and `asr serve`, and the Python API's).

    auto       onnxruntime when `asr export` wrote an ONNX file from the weights now in the model directory
               (TensorFlow is then never imported), else TensorFlow
    onnx       onnxruntime; an error without a current export
    onnx-int8  onnxruntime on the int8 export (`asr export --int8`): faster, a little less accurate, so
               only when asked
    tf         TensorFlow on the Keras weights
"""

from asr.errors import AsrError
from asr.models.model_dir import current_onnx
from asr.runtime import import_tensorflow_quietly

BACKENDS = ("auto", "onnx", "onnx-int8", "tf")


def choose_backend(info, backend, stream=False):
    """(backend name, ONNX file to run or None for TensorFlow) of a model (asr.models.model_dir.ModelInfo);
    `stream`: the ONNX file of one stream step (model.stream[.int8].onnx). AsrError for an unknown backend,
    and when an ONNX backend is asked for and there is no current export of that kind."""
    if backend not in BACKENDS:
        raise AsrError(f"unknown backend {backend!r} (known: {', '.join(BACKENDS)})")
    int8 = backend == "onnx-int8"
    path = current_onnx(info.layout.root, int8, stream) if backend != "tf" else None
    if path is not None:
        return ("onnx-int8" if int8 else "onnx"), path
    if backend != "auto" and backend != "tf":
        kind = ("streaming " if stream else "") + ("int8 " if int8 else "") + "ONNX"
        raise AsrError(f"{info.layout.root}: no {kind} export of these weights (run `asr export"
                       f"{' --int8' if int8 else ''} {info.layout.root}`)")
    import_tensorflow_quietly()  # only this path needs TensorFlow: the ONNX one runs without it
    return "tf", None
