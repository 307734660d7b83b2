"""The files `asr evaluate` writes for one decoded split, for people to read and for `asr report`.

    wer.json          totals (WER, CER, S/D/I), the bootstrap 95 % interval, skipped utterances
    hyp.txt           id, errors/words, reference, hypothesis per utterance (manifest order)
    utterances.jsonl  per utterance: speaker, duration, words, S/D/I, errors (for paired comparisons)
    alignments.txt    sclite-style aligned REF/HYP/EVAL per utterance, worst first
    speakers.tsv      WER and CER per speaker, worst first
    errors.txt        most frequent substitution pairs, deleted words and inserted words
"""

from pathlib import Path

import jiwer

from asr.evaluation.alignment import (
    align_words,
    count_marks,
    error_tallies,
    format_alignment,
)
from asr.evaluation.scoring import score
from asr.evaluation.significance import bootstrap_ci
from asr.fileio import write_json, write_jsonl, write_text

TOP_ERRORS = 30


def utterance_rows(rows, hypotheses):
    """Per-utterance scoring rows (decoded utterances only, manifest order) and their alignments."""
    table, alignments = [], []
    for row in rows:
        if row["id"] not in hypotheses:
            continue
        pairs = align_words(row["text"], hypotheses[row["id"]])
        marks = count_marks(pairs)
        table.append({"id": row["id"], "speaker": row.get("speaker", ""), "duration": row.get("duration"),
                      "words": len(row["text"].split()), "errors": marks["S"] + marks["D"] + marks["I"],
                      "substitutions": marks["S"], "deletions": marks["D"], "insertions": marks["I"],
                      "reference": row["text"], "hypothesis": hypotheses[row["id"]]})
        alignments.append(pairs)
    return table, alignments


def utterance_wer(row):
    return row["errors"] / max(row["words"], 1)


def alignments_text(table, alignments):
    order = sorted(range(len(table)), key=lambda i: (-utterance_wer(table[i]), -table[i]["errors"], table[i]["id"]))
    blocks = []
    for i in order:
        row = table[i]
        header = (f"id: {row['id']}  speaker: {row['speaker']}  WER {utterance_wer(row):.0%} "
                  f"({row['errors']}/{row['words']}: S={row['substitutions']} D={row['deletions']} "
                  f"I={row['insertions']})")
        blocks.append("\n".join([header, *format_alignment(alignments[i])]))
    return "\n\n".join(blocks) + "\n"


def speaker_table(table):
    """Rows {speaker, utts, words, errors, wer, cer} per speaker, worst WER first."""
    speakers = {}
    for row in table:
        speakers.setdefault(row["speaker"], []).append(row)
    result = []
    for speaker, rows in speakers.items():
        words = sum(r["words"] for r in rows)
        errors = sum(r["errors"] for r in rows)
        cer = jiwer.cer([r["reference"] for r in rows], [r["hypothesis"] for r in rows])
        result.append({"speaker": speaker, "utts": len(rows), "words": words, "errors": errors,
                       "wer": errors / max(words, 1), "cer": cer})
    return sorted(result, key=lambda r: (-r["wer"], r["speaker"]))


def speakers_text(speakers):
    lines = ["speaker\tutts\twords\terrors\tWER\tCER"]
    lines += [f"{s['speaker']}\t{s['utts']}\t{s['words']}\t{s['errors']}\t{s['wer']:.2%}\t{s['cer']:.2%}"
              for s in speakers]
    return "\n".join(lines) + "\n"


def errors_text(alignments, top=TOP_ERRORS):
    substitutions, deletions, insertions = error_tallies(alignments)
    lines = [f"# {top} most frequent substitutions (count: reference -> hypothesis)"]
    lines += [f"{n:5d}: {ref} -> {hyp}" for (ref, hyp), n in substitutions.most_common(top)]
    lines += ["", f"# {top} most deleted words"] + [f"{n:5d}: {w}" for w, n in deletions.most_common(top)]
    lines += ["", f"# {top} most inserted words"] + [f"{n:5d}: {w}" for w, n in insertions.most_common(top)]
    return "\n".join(lines) + "\n"


def write_split_report(out_dir, rows, hypotheses, dropped, strategy, extra=None):
    """Write every file listed in the module docstring; returns the wer.json dict."""
    out_dir = Path(out_dir)
    table, alignments = utterance_rows(rows, hypotheses)
    scores = score([r["reference"] for r in table], [r["hypothesis"] for r in table])
    low, high = bootstrap_ci([r["errors"] for r in table], [r["words"] for r in table])
    scores.update({"wer_ci95": [round(low, 5), round(high, 5)], "strategy": strategy, **(extra or {}),
                   "skipped_utts": len(dropped), "skipped": [{"id": i, "reason": why} for i, why in dropped]})
    hyp_lines = ["# id\terrors/ref_words\treference\thypothesis"]
    hyp_lines += [f"{r['id']}\t{r['errors']}/{r['words']}\t{r['reference']}\t{r['hypothesis']}" for r in table]
    write_text(out_dir / "hyp.txt", "\n".join(hyp_lines) + "\n")
    write_jsonl(out_dir / "utterances.jsonl", table)
    write_text(out_dir / "alignments.txt", alignments_text(table, alignments))
    write_text(out_dir / "speakers.tsv", speakers_text(speaker_table(table)))
    write_text(out_dir / "errors.txt", errors_text(alignments))
    write_json(out_dir / "wer.json", scores)
    return scores
