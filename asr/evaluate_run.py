"""`asr evaluate`: decode splits of a data directory with a trained run and write the reports."""

import json
from pathlib import Path

from asr.config import config_from_dict
from asr.errors import AsrError
from asr.evaluate import evaluate_split
from asr.model import load_trained_model
from asr.shards import FeatureStore
from asr.tokenizer import CharTokenizer
from data_prep.manifest import load_manifest


def evaluate_run(run_dir, data_dir, splits, strategy="greedy", beam_width=16, config=None):
    """Write run_dir/decode/<split>/{hyp.txt,wer.json} for each split; prints one summary line each."""
    run_dir, data_dir = Path(run_dir), Path(data_dir)
    if config is None:
        if not (run_dir / "config.json").is_file():
            raise AsrError(f"{run_dir}: not a training run (config.json missing)")
        config = config_from_dict(json.loads((run_dir / "config.json").read_text()), str(run_dir / "config.json"))
    model, _ = load_trained_model(run_dir / "model")
    results = {}
    for split in splits:
        rows = load_manifest(data_dir / "manifests" / f"{split}.jsonl")
        store = FeatureStore(data_dir / "features" / split)
        out_dir = run_dir / "decode" / (split if strategy == "greedy" else f"{split}_{strategy}")
        scores = evaluate_split(model, config.model, CharTokenizer(), rows, store, out_dir, strategy, beam_width)
        results[split] = scores
        print(f"evaluate: {split} ({strategy}): WER {scores['wer']:.2%} CER {scores['cer']:.2%} "
              f"(S={scores['substitutions']} D={scores['deletions']} I={scores['insertions']} "
              f"over {scores['ref_words']} words, {scores['n_utts']} utterances) -> {out_dir}")
    return results
