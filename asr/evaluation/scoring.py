"""WER/CER scoring with jiwer: totals and S/D/I counts (per-utterance alignments: asr.evaluation.alignment)."""

import jiwer


def score(references, hypotheses):
    """Corpus-level scores of parallel lists of normalised reference and hypothesis strings."""
    words = jiwer.process_words(references, hypotheses)
    chars = jiwer.process_characters(references, hypotheses)
    ref_words = words.hits + words.substitutions + words.deletions
    return {"wer": round(words.wer, 5), "cer": round(chars.cer, 5),
            "substitutions": words.substitutions, "deletions": words.deletions,
            "insertions": words.insertions, "ref_words": ref_words, "n_utts": len(references)}

