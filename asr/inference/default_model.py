"""Which model transcribes when none is named (`asr transcribe`, `asr serve`, `asr.load_model(None)`), in this
order: the one given, else $ASR_MODEL, else the newest model the default recipe trained in the checkout the
command runs in (or the source tree, for an editable install), else the general model shipped in the package
(asr.pretrained), else a message saying how to choose one. The one place this lookup lives, outside the CLI so
the Python API shares it. A model the user did not name is named, with why it was chosen: on standard error
by the CLI, in an INFO log line by the API."""

import logging
import os
from pathlib import Path

from asr.errors import AsrError
from asr.layout import RunLayout
from asr.pretrained import shipped_model

log = logging.getLogger(__name__)

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


def find_model(given=None):
    """(the model directory to transcribe with, why it was chosen: None when it was `given`); AsrError when
    there is none to choose. `given`: --model or load_model's path."""
    if given:
        return given, None
    for source, find in ((f"${ENVIRONMENT_VARIABLE}", lambda: os.environ.get(ENVIRONMENT_VARIABLE)),
                         ("the newest run of the default recipe", newest_recipe_model),
                         ("the general model shipped with asr", shipped_model)):
        chosen = find()
        if chosen:
            return chosen, source
    raise AsrError(f"no model given: pass --model RUN_DIR or set {ENVIRONMENT_VARIABLE} (in Python: "
                   f"asr.load_model(RUN_DIR); no trained model of the default recipe under "
                   f"{' or '.join(str(d) for d in recipe_exp_dirs())}, and this installation ships none)")


def choose_model(given=None):
    """find_model's model directory; one INFO log line names it when it was not given."""
    chosen, why = find_model(given)
    if why:
        log.info(f"model: {chosen} ({why})")
    return chosen
