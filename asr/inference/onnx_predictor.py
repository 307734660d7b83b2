"""The exported ONNX model run by onnxruntime: what `asr transcribe` uses when a current export exists."""

from asr.errors import AsrError


def onnx_session(onnx_path, threads=None):
    """An onnxruntime session on the CPU (`threads` inside each operator; None: onnxruntime's default, one per
    physical core); AsrError naming the file if onnxruntime is missing or the file does not load."""
    try:
        import onnxruntime as ort
    except ImportError as e:
        raise AsrError(f"{onnx_path}: onnxruntime is not installed ({e})") from None
    options = ort.SessionOptions()  # sequential execution: ORT_PARALLEL measured 2x slower here
    if threads:
        options.intra_op_num_threads = threads
    try:
        return ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime's load errors share no base class but Exception; all mean a bad file
        reason = str(e).rsplit("failed:", 1)[-1].strip()
        raise AsrError(f"{onnx_path}: not a loadable ONNX model ({reason}); run `asr export` again") from None


class OnnxPredictor:
    """(features, lengths) -> (logits, out_lengths) as numpy arrays, run by onnxruntime on the CPU (with
    `threads` threads inside each operator; None: onnxruntime's default)."""

    def __init__(self, onnx_path, threads=None):
        self.session = onnx_session(onnx_path, threads)
        self.feature_dim = self.session.get_inputs()[0].shape[-1]  # (batch, frames, features per frame)

    def __call__(self, features, lengths):
        logits, out_lengths = self.session.run(["logits", "out_lengths"],
                                               {"features": features, "lengths": lengths.astype("int32")})
        return logits, out_lengths
