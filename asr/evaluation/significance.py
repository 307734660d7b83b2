"""Bootstrap statistics of WER over utterances (Bisani & Ney, 2004): confidence intervals and the
probability that one system is better than another on the same test set.

Utterances, not words, are resampled: errors within a sentence are not independent.
"""

import numpy as np

BOOTSTRAP_SAMPLES = 2000


def _resampled_wers(errors, words, rng, samples):
    """WER of `samples` bootstrap resamplings of the utterances: (samples,) array."""
    errors, words = np.asarray(errors, np.float64), np.asarray(words, np.float64)
    picks = rng.integers(0, len(errors), size=(samples, len(errors)))  # (samples, utterances)
    return errors[picks].sum(axis=1) / np.maximum(words[picks].sum(axis=1), 1)


def bootstrap_ci(errors, words, level=0.95, samples=BOOTSTRAP_SAMPLES, seed=0):
    """(low, high) percentile interval of corpus WER from per-utterance error and word counts."""
    if len(errors) == 0:
        return float("nan"), float("nan")
    wers = _resampled_wers(errors, words, np.random.default_rng(seed), samples)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(wers, [tail, 100 - tail])
    return float(low), float(high)


def probability_b_better(errors_a, errors_b, words, samples=BOOTSTRAP_SAMPLES, seed=0):
    """Share of paired bootstrap resamplings in which system B makes fewer errors than A.

    Both systems are scored on the same resampled utterances, so the comparison keeps the pairing.
    """
    if len(words) == 0:
        return float("nan")
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(words), size=(samples, len(words)))
    difference = np.asarray(errors_a, np.float64) - np.asarray(errors_b, np.float64)  # > 0: B better
    return float((difference[picks].sum(axis=1) > 0).mean())
