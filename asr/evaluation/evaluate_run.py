"""`asr evaluate`: decode splits of a data directory with a trained run and write the reports.

Reports go to RUN/decode/<split> (greedy) and RUN/decode/<split>_<strategy> (asr.layout); the network's
log-posteriors go to RUN/decode/posteriors/<split>.npz for `asr report`; the LM weights tuned on dev go
to RUN/decode/lm_weights.json, which `asr transcribe --lm` reads.

Each report's wer.json records what it was decoded with (decode_stamps); when every report asked for is
already current for the same weights, features, decoders and asr, nothing is decoded again (a finished
recipe re-run skips its evaluation).
"""

import hashlib
import json
import logging
from pathlib import Path

import numpy as np

import asr
from asr.data.manifest import load_manifest
from asr.data.shards import FeatureStore, source_of
from asr.decoding.lm_beam import log_softmax, tune_weights
from asr.decoding.strategies import make_decoder, strategy
from asr.errors import AsrError
from asr.evaluation.decoded_split import DecodedSplit
from asr.evaluation.scoring import score
from asr.fileio import atomic_path, write_json
from asr.layout import DataLayout, RunLayout
from asr.models.model_dir import build_trained_model, read_model_info, weights_digest
from asr.provenance import check_same_features, fingerprint

log = logging.getLogger(__name__)


def write_posteriors(path, split):
    """float16 log-posteriors per utterance id (what the report's posteriorgrams show)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **{i: log_softmax(x).astype(np.float16) for i, x in split.logits.items()})


def tune_lm_decoder(decoder, dev, tune_split, lm_path, run):
    """Set the decoder to the (alpha, beta) with the lowest WER on the tuning split; writes lm_weights.json."""
    tuned = tune_weights(decoder, dev.logits_list(), dev.references(), score)
    write_json(run.lm_weights, {"arpa": str(Path(lm_path).resolve()), "tuned_on": tune_split,
                                "beam_width": decoder.beam_width, **tuned})
    log.info(f"evaluate: LM weights tuned on {tune_split}: alpha={tuned['alpha']} beta={tuned['beta']} "
             f"(WER {tuned['wer']:.2%})")


def decode_split(model, info, data, split):
    """The split of DataLayout `data` through the model, its shards checked against the model's features."""
    store = FeatureStore(data.feature_split(split))
    check_same_features(store.settings, str(store.feature_dir), info.record["features"], str(info.layout.root))
    return DecodedSplit(model, info.model, info.tokenizer, load_manifest(data.manifest(split)), store)


def decode_splits(model, info, data, splits, run):
    """{split: DecodedSplit}; each split's log-posteriors are kept for the report."""
    decoded = {}
    for split in splits:
        decoded[split] = decode_split(model, info, data, split)
        write_posteriors(run.posteriors(split), decoded[split])
    return decoded


def log_scores(split, name, scores, out_dir):
    low, high = scores["wer_ci95"]
    log.info(f"evaluate: {split} ({name}): WER {scores['wer']:.2%} [95% CI {low:.2%}-{high:.2%}] "
             f"CER {scores['cer']:.2%} (S={scores['substitutions']} D={scores['deletions']} "
             f"I={scores['insertions']} over {scores['ref_words']} words, {scores['n_utts']} utterances) -> {out_dir}")


def decode_stamps(info, data, splits, strategies, beam_width, lm, tune_split):
    """{(split, strategy): what its report is decoded with}: the weights, the split's features (its manifest
    and settings), the strategy, beam width and LM (with the split its weights are tuned on), and this asr."""
    common = {"asr": asr.__version__, "weights_sha256": weights_digest(info.layout), "beam_width": beam_width}
    lm_sha256 = hashlib.sha256(Path(lm).read_bytes()).hexdigest() if lm else None
    return {(split, name): {**common, "features": fingerprint(source_of(data.feature_split(split))), "strategy": name,
                            **({"lm_sha256": lm_sha256, "lm_tuned_on": tune_split} if strategy(name).uses_lm else {})}
            for split in splits for name in strategies}


def current_reports(run, stamps):
    """{(split, strategy): its wer.json} when every report and the report's posteriors are there, decoded as
    `stamps` say; else None."""
    results = {}
    for (split, name), stamp in stamps.items():
        try:
            scores = json.loads((run.decoded(split, name) / "wer.json").read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(scores, dict) or scores.get("decoded_with") != stamp or not run.posteriors(split).is_file():
            return None
        results[(split, name)] = scores
    return results


def evaluate_run(run_dir, data_dir, splits, strategies=None, beam_width=None, lm=None, tune_split="dev",
                 decode=None):
    """Decode every split with every strategy and write the reports; logs one summary line each.

    Defaults (strategies, beam width) come from `decode` (a DecodeConfig), else from the model's own.
    """
    run, data = RunLayout(run_dir), DataLayout(data_dir)
    info = read_model_info(run.model.root)
    decode = decode or info.decode
    strategies, beam_width = strategies or [decode.strategy], beam_width or decode.beam_width
    uses_lm = [name for name in strategies if strategy(name).uses_lm]
    if uses_lm and (lm is None or tune_split not in splits):
        raise AsrError(f"--strategy {uses_lm[0]} needs --lm ARPA and the tuning split (--split {tune_split}) "
                       "among the splits")
    stamps = decode_stamps(info, data, splits, strategies, beam_width, lm, tune_split)
    results = current_reports(run, stamps)
    if results is not None:
        log.info(f"evaluate: every report is current for these weights, features and decoders: kept "
                 f"({run.decode}; delete it to decode again)")
        for (split, name), scores in results.items():
            log_scores(split, name, scores, run.decoded(split, name))
        return results
    model = build_trained_model(info)
    decoders = {name: make_decoder(name, info.tokenizer, beam_width, lm) for name in strategies}
    decoded = decode_splits(model, info, data, splits, run)
    for name in uses_lm:
        tune_lm_decoder(decoders[name], decoded[tune_split], tune_split, lm, run)
    results = {}
    for split, data_split in decoded.items():
        for name, decoder in decoders.items():
            texts = decoder.decode(data_split.logits_list())
            extra = {"lm_alpha": decoder.alpha, "lm_beta": decoder.beta} if name in uses_lm else {}
            out_dir = run.decoded(split, name)
            results[(split, name)] = data_split.report(out_dir, texts, name,
                                                       {**extra, "decoded_with": stamps[(split, name)]})
            log_scores(split, name, results[(split, name)], out_dir)
    return results
