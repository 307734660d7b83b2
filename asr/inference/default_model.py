"""Which model transcribes when none is named (`asr transcribe`, `asr serve`, `asr.load_model(None)`): the
one given, else $ASR_MODEL, else the newest model the default recipe trained in the checkout the command runs
in (or the source tree, for an editable install), else a message saying how to choose one. The one place
this lookup lives, outside the CLI so the Python API shares it."""

import os
from pathlib import Path

from asr.errors import AsrError
from asr.layout import RunLayout

DEFAULT_RECIPE = "synth_en"
ENVIRONMENT_VARIABLE = "ASR_MODEL"


def recipe_exp_dirs():
    """Where the default recipe's runs may be: under the working directory, and beside the asr source."""
    source_checkout = Path(__file__).resolve().parents[2]
    candidates = [Path.cwd() / "recipes" / DEFAULT_RECIPE / "exp", source_checkout / "recipes" / DEFAULT_RECIPE / "exp"]
    return list(dict.fromkeys(candidates))


def newest_recipe_model():
    weights = [path for exp in recipe_exp_dirs() if exp.is_dir()
               for path in (RunLayout(run).model.weights for run in exp.iterdir()) if path.is_file()]
    return max(weights, key=lambda p: p.stat().st_mtime).parent if weights else None


def choose_model(given=None):
    """The model directory to transcribe with (`given`: --model or load_model's path); AsrError when there is
    none to choose."""
    chosen = given or os.environ.get(ENVIRONMENT_VARIABLE) or newest_recipe_model()
    if chosen is None:
        raise AsrError(f"no model given: pass --model RUN_DIR or set {ENVIRONMENT_VARIABLE} (in Python: "
                       f"asr.load_model(RUN_DIR); no trained model of the default recipe under "
                       f"{' or '.join(str(d) for d in recipe_exp_dirs())})")
    return chosen
