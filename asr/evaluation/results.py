"""A run's results as Markdown (`asr results RUN_DIR SPLIT...`).

One row per split and decoding strategy found under RUN_DIR/decode, in the order of the strategy
registry, with the bootstrap 95 % interval of the WER, then the paired comparison of each strategy
against greedy.
"""

import json
from pathlib import Path

from asr.decoding.strategies import strategy_names
from asr.evaluation.significance import probability_b_better
from asr.fileio import read_jsonl
from asr.layout import RunLayout
from asr.provenance import code_description


def decode_dir(run_dir, split, strategy):
    return RunLayout(run_dir).decoded(split, strategy)


def decoded_strategies(run_dir, split):
    return [s for s in strategy_names() if (decode_dir(run_dir, split, s) / "wer.json").is_file()]


def paired_comparison(dir_a, dir_b):
    """P(B has fewer errors than A) over the utterances both decoded, by paired bootstrap."""
    a = {r["id"]: r for r in read_jsonl(Path(dir_a) / "utterances.jsonl")}
    b = {r["id"]: r for r in read_jsonl(Path(dir_b) / "utterances.jsonl")}
    ids = [i for i in a if i in b]
    return probability_b_better([a[i]["errors"] for i in ids], [b[i]["errors"] for i in ids],
                                [a[i]["words"] for i in ids])


def against_greedy(run_dir, split):
    """[(strategy, P(strategy better than greedy))] for each other strategy decoded, if greedy was decoded too."""
    strategies = decoded_strategies(run_dir, split)
    if "greedy" not in strategies:  # e.g. `asr evaluate --strategy beam` alone: nothing to pair it with
        return []
    greedy = decode_dir(run_dir, split, "greedy")
    return [(s, paired_comparison(greedy, decode_dir(run_dir, split, s))) for s in strategies if s != "greedy"]


def results_table(run_dir, splits):
    run = RunLayout(run_dir)
    done = json.loads(run.training_done.read_text())
    lines = ["| split | decoding | WER | 95 % CI | CER | S | D | I | words | utts |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    comparisons = []
    for split in splits:
        for strategy in decoded_strategies(run_dir, split):
            s = json.loads((decode_dir(run_dir, split, strategy) / "wer.json").read_text())
            low, high = s.get("wer_ci95", (float("nan"), float("nan")))  # runs evaluated before intervals
            lines.append(f"| {split} | {strategy} | {s['wer']:.2%} | {low:.2%}–{high:.2%} | {s['cer']:.2%} "
                         f"| {s['substitutions']} | {s['deletions']} | {s['insertions']} | {s['ref_words']} "
                         f"| {s['n_utts']} |")
        comparisons += [f"{split}: P({strategy} better than greedy) = {p:.3f}"
                        for strategy, p in against_greedy(run_dir, split)]
    # the model may be older than the code printing its table (a run scored again, or on another corpus)
    trained_by = json.loads(run.model.json.read_text()) if run.model.json.is_file() else None
    lines.append(f"\nmodel: {done['parameters'] / 1e6:.2f} M parameters, {done['epochs']} epochs "
                 f"({done['steps']} steps) in {done['train_minutes']} min, best epoch {done['best_epoch']}; "
                 f"trained by {code_description(trained_by) if trained_by else 'an unrecorded asr'}; "
                 f"table printed by {code_description()}")
    if run.lm_weights.is_file():
        w = json.loads(run.lm_weights.read_text())
        lines.append(f"beam_lm: {Path(w['arpa']).name}, beam {w['beam_width']}, alpha {w['alpha']}, "
                     f"beta {w['beta']} (tuned on {w['tuned_on']})")
    if comparisons:
        lines.append("paired bootstrap (utterance resampling): " + "; ".join(comparisons))
    return "\n".join(lines)
