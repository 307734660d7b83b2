"""`asr evaluate`: decode splits of a data directory with a trained run and write the reports.

Reports go to RUN/decode/<split> (greedy) and RUN/decode/<split>_<strategy> (beam, beam_lm); the
network's log-posteriors go to RUN/decode/posteriors/<split>.npz for `asr report`; the LM weights tuned
on dev go to RUN/decode/lm_weights.json, which `asr transcribe --lm` reads.
"""

import json
from pathlib import Path

import numpy as np

from asr.config import config_from_dict
from asr.errors import AsrError
from asr.evaluate import DecodedSplit, decode_logits
from asr.fileio import atomic_path, write_json
from asr.lm_decode import LmDecoder, log_softmax, tune_weights
from asr.model import load_trained_model
from asr.scoring import score
from asr.shards import FeatureStore
from asr.tokenizer import make_tokenizer
from data_prep.manifest import load_manifest

LM_WEIGHTS = "lm_weights.json"


def run_config(run_dir):
    if not (run_dir / "config.json").is_file():
        raise AsrError(f"{run_dir}: not a training run (config.json missing)")
    return config_from_dict(json.loads((run_dir / "config.json").read_text()), str(run_dir / "config.json"))


def write_posteriors(path, split):
    """float16 log-posteriors per utterance id (what the report's posteriorgrams show)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **{i: log_softmax(x).astype(np.float16) for i, x in split.logits.items()})


def tuned_lm_decoder(lm_path, beam_width, dev, tune_split, decode_dir):
    """An LmDecoder set to the (alpha, beta) with the lowest WER on the tuning split; writes lm_weights.json."""
    decoder = LmDecoder(lm_path, beam_width=beam_width)
    tuned = tune_weights(decoder, dev.logits_list(), dev.references(), score)
    write_json(decode_dir / LM_WEIGHTS, {"arpa": str(Path(lm_path).resolve()), "tuned_on": tune_split,
                                         "beam_width": beam_width, **tuned})
    print(f"evaluate: LM weights tuned on {tune_split}: alpha={tuned['alpha']} beta={tuned['beta']} "
          f"(WER {tuned['wer']:.2%})")
    return decoder


def evaluate_run(run_dir, data_dir, splits, strategies=("greedy",), beam_width=32, lm=None, tune_split="dev",
                 config=None):
    """Decode every split with every strategy and write the reports; prints one summary line each."""
    run_dir, data_dir = Path(run_dir), Path(data_dir)
    if "beam_lm" in strategies and (lm is None or tune_split not in splits):
        raise AsrError("--strategy beam_lm needs --lm ARPA and the tuning split (--split "
                       f"{tune_split}) among the splits")
    config = config or run_config(run_dir)
    model, _ = load_trained_model(run_dir / "model")
    tokenizer, decode_dir = make_tokenizer(config.model.vocabulary), run_dir / "decode"
    if "beam_lm" in strategies and not tokenizer.spells_words:
        raise AsrError("--strategy beam_lm needs a character model (this one outputs symbols such as phones)")
    decoded = {}
    for split in splits:
        rows = load_manifest(data_dir / "manifests" / f"{split}.jsonl")
        decoded[split] = DecodedSplit(model, config.model, tokenizer, rows, FeatureStore(data_dir / "features" / split))
        write_posteriors(decode_dir / "posteriors" / f"{split}.npz", decoded[split])
    lm_decoder = None
    if "beam_lm" in strategies:
        lm_decoder = tuned_lm_decoder(lm, beam_width, decoded[tune_split], tune_split, decode_dir)
    results = {}
    for split, data in decoded.items():
        for strategy in strategies:
            texts = decode_logits(data.logits_list(), tokenizer, strategy, beam_width, lm_decoder)
            out_dir = decode_dir / (split if strategy == "greedy" else f"{split}_{strategy}")
            extra = {"lm_alpha": lm_decoder.alpha, "lm_beta": lm_decoder.beta} if strategy == "beam_lm" else {}
            scores = results[(split, strategy)] = data.report(out_dir, texts, strategy, extra)
            low, high = scores["wer_ci95"]
            print(f"evaluate: {split} ({strategy}): WER {scores['wer']:.2%} [95% CI {low:.2%}-{high:.2%}] "
                  f"CER {scores['cer']:.2%} (S={scores['substitutions']} D={scores['deletions']} "
                  f"I={scores['insertions']} over {scores['ref_words']} words, {scores['n_utts']} utterances) "
                  f"-> {out_dir}", flush=True)
    return results
