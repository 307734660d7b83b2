"""Word alignments of reference and hypothesis, sclite style, and the error tallies drawn from them.

An alignment is a list of (reference word or None, hypothesis word or None, mark) with mark one of
"C" (correct), "S" (substitution), "D" (deletion: reference word missing) and "I" (insertion).
jiwer computes the minimum-edit alignment; this module only shapes it for people to read.
"""

from collections import Counter

import jiwer

_CHUNK_MARK = {"equal": "C", "substitute": "S", "delete": "D", "insert": "I"}


def align_words(reference, hypothesis):
    """Align two normalised strings word by word."""
    ref, hyp = reference.split(), hypothesis.split()
    if not ref and not hyp:
        return []
    if not ref:  # jiwer needs a non-empty reference
        return [(None, w, "I") for w in hyp]
    pairs = []
    for chunk in jiwer.process_words(reference, hypothesis).alignments[0]:
        refs, hyps = ref[chunk.ref_start_idx:chunk.ref_end_idx], hyp[chunk.hyp_start_idx:chunk.hyp_end_idx]
        mark = _CHUNK_MARK[chunk.type]
        width = max(len(refs), len(hyps))
        pairs.extend((refs[k] if k < len(refs) else None, hyps[k] if k < len(hyps) else None, mark)
                     for k in range(width))
    return pairs


def count_marks(pairs):
    """{"C": n, "S": n, "D": n, "I": n} of one alignment."""
    counts = Counter(mark for _, _, mark in pairs)
    return {mark: counts.get(mark, 0) for mark in "CSDI"}


def format_alignment(pairs):
    """Three lines, REF / HYP / marks, columns padded to the longer word; errors in upper case."""
    ref_cells, hyp_cells, mark_cells = [], [], []
    for ref, hyp, mark in pairs:
        ref_text = "*" * len(hyp) if ref is None else (ref if mark == "C" else ref.upper())
        hyp_text = "*" * len(ref) if hyp is None else (hyp if mark == "C" else hyp.upper())
        width = max(len(ref_text), len(hyp_text))
        ref_cells.append(ref_text.ljust(width))
        hyp_cells.append(hyp_text.ljust(width))
        mark_cells.append(("" if mark == "C" else mark).ljust(width))
    return ("REF:  " + " ".join(ref_cells)).rstrip(), ("HYP:  " + " ".join(hyp_cells)).rstrip(), \
        ("EVAL: " + " ".join(mark_cells)).rstrip()


def error_tallies(alignments):
    """Counters over many alignments: substitution pairs (ref, hyp), deleted words, inserted words."""
    substitutions, deletions, insertions = Counter(), Counter(), Counter()
    for pairs in alignments:
        for ref, hyp, mark in pairs:
            if mark == "S":
                substitutions[(ref, hyp)] += 1
            elif mark == "D":
                deletions[ref] += 1
            elif mark == "I":
                insertions[hyp] += 1
    return substitutions, deletions, insertions
