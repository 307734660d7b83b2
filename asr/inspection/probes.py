"""Unit probes: which recurrent units track silence, word boundaries, vowels or one letter.

Each output frame gets labels from two sources the model does not control: the audio (a frame is silent
when its energy is 30 dB below the utterance's loudest frame) and the CTC forced alignment of the
reference transcript (which letter was emitted where, and which letter a frame belongs to: the last one
emitted, held until the next). A unit's score for a property is the Pearson correlation of its hidden
activation with the property's 0/1 label over all frames of the probed utterances.
"""

import numpy as np

from asr.data.tokenizer import BLANK, SPACE

SILENCE_BELOW_PEAK_DB = 30.0
VOWELS = set("aeiou")


def ctc_alignment(log_probs, label):
    """(T',) token per output frame on the most likely CTC path spelling `label`; None if none fits."""
    extended = np.full(2 * len(label) + 1, BLANK)
    extended[1::2] = label  # blank, l1, blank, l2, ..., blank
    frames, states = len(log_probs), len(extended)
    may_skip = np.zeros(states, bool)  # a label may follow the previous label directly unless they repeat
    may_skip[2:] = (extended[2:] != BLANK) & (extended[2:] != extended[:-2])
    score = np.full(states, -np.inf)
    score[:2] = log_probs[0, extended[:2]]
    back = np.zeros((frames, states), np.int64)
    for t in range(1, frames):
        moves = np.full((3, states), -np.inf)
        moves[0] = score
        moves[1, 1:] = score[:-1]
        moves[2, 2:] = np.where(may_skip[2:], score[:-2], -np.inf)
        back[t] = moves.argmax(axis=0)
        score = moves.max(axis=0) + log_probs[t, extended]
    state = states - 1 if states == 1 or score[-1] >= score[-2] else states - 2
    if not np.isfinite(score[state]):
        return None
    path = np.zeros(frames, np.int64)
    for t in range(frames - 1, -1, -1):
        path[t] = extended[state]
        state -= back[t, state]
    return path


def silent_frames(features, stack, skip):
    """(T',) bool: output frames whose input frames are all SILENCE_BELOW_PEAK_DB below the loudest."""
    energy = np.log(np.exp(features.astype(np.float64)).sum(axis=1))  # (T,) natural log of mel power
    out_frames = (len(features) - stack) // skip + 1
    loudest = np.array([energy[t * skip:t * skip + stack].max() for t in range(out_frames)])
    return loudest < energy.max() - SILENCE_BELOW_PEAK_DB * np.log(10) / 10


def frame_properties(alignment, features, stack, skip, tokenizer):
    """{property: (labels (T',) float, valid (T',) bool)} for one utterance."""
    everywhere = np.ones(len(alignment), bool)
    properties = {"silence": (silent_frames(features, stack, skip)[:len(alignment)].astype(float), everywhere)}
    if tokenizer.spells_words:
        space = alignment == SPACE
        near_space = space | np.r_[space[1:], False] | np.r_[False, space[:-1]]  # the space's frame ±1
        properties["word boundary"] = (near_space.astype(float), everywhere)
        held = held_letters(alignment, tokenizer)
        letters = np.array([len(h) == 1 and h.isalpha() for h in held])
        properties["vowel (vs consonant)"] = (np.array([h in VOWELS for h in held], float), letters)
    for token, symbol in enumerate(tokenizer.symbols):
        if token != BLANK and not (tokenizer.spells_words and token == SPACE):
            properties[f"emits {symbol!r}"] = ((alignment == token).astype(float), everywhere)
    return properties


def held_letters(alignment, tokenizer):
    """The symbol each frame belongs to: the last non-blank token emitted up to it ("" before the first)."""
    held, current = [], ""
    for token in alignment:
        current = tokenizer.symbols[token] if token != BLANK else current
        held.append(current)
    return held


def correlations(activations, labels):
    """(N, U) activations, (N,) labels -> (U,) Pearson r (0 where a unit or the label is constant)."""
    a = activations - activations.mean(axis=0)
    y = labels - labels.mean()
    denominator = np.sqrt((a * a).sum(axis=0) * (y * y).sum())
    return np.divide(a.T @ y, denominator, out=np.zeros(a.shape[1]), where=denominator > 0)


def top_units(activations, labels, valid, count=5):
    """[(layer key, unit, r)] of the `count` units with the largest |r|.

    activations: {layer key: (N, U)}; labels, valid: (N,) pooled over utterances.
    """
    if valid.sum() < 2 or np.ptp(labels[valid]) == 0:
        return []
    scored = [(key, unit, float(r)) for key, values in activations.items()
              for unit, r in enumerate(correlations(values[valid].astype(np.float64), labels[valid]))]
    return sorted(scored, key=lambda item: -abs(item[2]))[:count]
