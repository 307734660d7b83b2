"""Models that ship inside the package, used when no model is named (asr.inference.default_model).

Each is a whole model directory (model.json, model.weights.h5, export.json, model.onnx, model.int8.onnx) with
its MODEL_CARD.md, copied here from a trained run by tools/ship_model.py. `general` is recipes/synth_en's
conf/general_en.yaml model: every allowed engine and thousands of voices (its card says how well it does what).
"""

from pathlib import Path

GENERAL = Path(__file__).resolve().parent / "general"


def shipped_model():
    """The shipped general model's directory, or None in a checkout or build that has none."""
    return GENERAL if (GENERAL / "model.json").is_file() else None
