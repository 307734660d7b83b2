"""Fine-tuning: a run that starts from a trained model's weights instead of random ones (`--init-from`).

The source model must have the run's architecture (every ModelConfig key, `normalisation` included, but
`dropout`, which only regularises training, and `vocabulary`) and its feature settings (a model is never fed
other features). A different vocabulary re-initialises the classifier alone. The optimizer, its learning-rate
schedule and the step counter start afresh, from the config's `train` section.

The run records where its weights came from in RUN_DIR/init_from.json ({path, weights_sha256}) and in
its model.json ("training.init_from"). A resumed run continues from its own checkpoint and never reads
the source again; it must name the same source it started from (or none, if it started from none).
"""

import dataclasses
import json
import logging
from pathlib import Path

from asr.errors import AsrError
from asr.layout import RunLayout
from asr.models.model_dir import build_trained_model, read_model_info, weights_digest
from asr.provenance import check_same_features, feature_settings
from asr.training.checkpoint import structural_paths

log = logging.getLogger(__name__)

NOT_ARCHITECTURE = ("dropout", "vocabulary")  # dropout: no weight depends on it; vocabulary: see module doc


def read_source(init_from, config):
    """ModelInfo of the `--init-from` model, refused (one line) when its architecture or features differ
    from the config's."""
    if not Path(init_from).exists():
        raise AsrError(f"--init-from {init_from}: no such directory (give a trained run or its model/ directory)")
    try:
        info = read_model_info(init_from)
    except AsrError as e:
        raise AsrError(f"--init-from {e}") from None
    ours, theirs = dataclasses.asdict(config.model), dataclasses.asdict(info.model)
    differing = [f"model.{k} {theirs.get(k)!r} vs {ours.get(k)!r}" for k in sorted(set(ours) | set(theirs))
                 if k not in NOT_ARCHITECTURE and ours.get(k) != theirs.get(k)]
    if differing:
        raise AsrError(f"--init-from {info.layout.root}: the model has another architecture than the config "
                       f"({', '.join(differing)}); fine-tuning keeps the architecture: use its model settings")
    check_same_features(feature_settings(info.features), f"--init-from {info.layout.root}",
                        feature_settings(config.features), "the config (fine-tuning keeps the model's features)")
    return info


def initialise_from(model, info):
    """Copy the source model's weights into `model` (the run's freshly built one); returns the record
    {path, weights_sha256} the run keeps. A source with another vocabulary keeps `model`'s fresh classifier."""
    source = build_trained_model(info)
    source_paths, target_paths = structural_paths(source, "model"), structural_paths(model, "model")
    source_weights = {source_paths[id(w)]: w for w in source.weights}  # weights only: no dropout RNG states
    fresh_classifier = info.model.vocabulary != model.config.vocabulary
    classifier = {id(w) for w in model.classifier.weights}
    for weight in model.weights:
        if fresh_classifier and id(weight) in classifier:
            continue
        key = target_paths[id(weight)]
        if key not in source_weights or tuple(source_weights[key].shape) != tuple(weight.shape):
            raise AsrError(f"--init-from {info.layout.root}: its weight {key} does not fit this run's model")
        weight.assign(source_weights[key].numpy())
    record = {"path": str(info.layout.root.resolve()), "weights_sha256": weights_digest(info.layout)}
    log.info(f"train: weights from {record['path']} (sha256 {record['weights_sha256'][:12]}); optimizer, "
             "learning-rate schedule and step counter start afresh")
    if fresh_classifier:
        log.info(f"train: the vocabulary differs from the source model's ({info.tokenizer.vocab_size} -> "
                 f"{model.vocab_size} outputs): the classifier starts from random weights, the rest is copied")
    # Global CMVN statistics come with the weights: every layer above them learned on features normalised by
    # the source's statistics, so the data's own would shift every input the copied weights expect.
    # (`model.normalisation` is architecture, compared by read_source: an utterance-normalised model has none.)
    if model.config.normalisation == "global":
        log.info("train: CMVN statistics: the source model's (its layers learned with them), not this data's")
    return record


def _same_source(given, recorded_path):
    """Whether `given` (a run directory or its model/) names the model directory recorded."""
    given = Path(given).resolve()
    return Path(recorded_path) in (given, given / "model")


def recorded_source(run: RunLayout, init_from):
    """The init_from record of a started run (None if it started from random weights), refused when
    `init_from` names another source than the one the run started from."""
    path = run.init_from
    if not run.config.is_file():
        return None  # not started: nothing to agree with
    try:
        record = json.loads(path.read_text()) if path.is_file() else None
        recorded = record["path"] if record else None
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise AsrError(f"{path}: not a readable record of where the run's weights came from ({e})") from None
    if recorded is None and init_from is not None:
        raise AsrError(f"{run.root}: this run started from random weights; resume it without --init-from, or "
                       "fine-tune in a new --run-dir")
    if recorded is not None and (init_from is None or not _same_source(init_from, recorded)):
        raise AsrError(f"{run.root}: this run started from the weights of {recorded}; resume it with "
                       f"--init-from {recorded}, or use a new --run-dir")
    return record
