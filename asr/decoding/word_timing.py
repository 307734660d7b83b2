"""Word start/end times and confidences from CTC posteriors.

A word spans the output frames from its first to its last emitted character. Its confidence is the
mean posterior of the winning token over the frames in that span where a character (not blank, not
space) wins, i.e. how sure the network was of the letters it wrote; for a word the LM put where the
network emitted nothing, the mean of the best token's posterior over the span.
"""

import numpy as np

from asr.data.tokenizer import BLANK, SPACE


def softmax(logits):
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def greedy_word_frames(logits, tokenizer):
    """[(word, (first frame, last frame)), ...] of the best-path decoding of (T', V) logits."""
    best = np.argmax(logits, axis=-1)
    words, letters, first, last = [], [], None, None
    for t, token in enumerate(best):
        new = token != BLANK and (t == 0 or token != best[t - 1])
        if new and token != SPACE:
            letters.append(tokenizer.symbols[token])
            first = t if first is None else first
            last = t
        elif new and letters:  # a space closes the word
            words.append(("".join(letters), (first, last)))
            letters, first = [], None
    if letters:
        words.append(("".join(letters), (first, last)))
    return words


def ctc_alignment(logits, labels):
    """The most likely CTC path of token ids `labels` through (T', V) logits (or log-probabilities: a
    per-frame shift changes no path's rank): per frame, the index into `labels` of the character it
    emits, or -1 for a blank. Needs T' >= len(labels) plus one frame between repeated labels."""
    logits, labels = np.asarray(logits, np.float64), np.asarray(labels)
    states = np.full(2 * len(labels) + 1, BLANK)  # blank, label 0, blank, label 1, ..., blank
    states[1::2] = labels
    can_skip = np.zeros(len(states), bool)  # a blank between two different labels may be skipped
    can_skip[3::2] = labels[1:] != labels[:-1]
    score = np.full(len(states), -np.inf)
    score[:2] = logits[0, states[:2]]
    moves = np.zeros((len(logits), len(states)), np.int8)  # 0: stay, 1: from the state before, 2: skip
    for t in range(1, len(logits)):
        step, skip = np.full_like(score, -np.inf), np.full_like(score, -np.inf)
        step[1:], skip[2:] = score[:-1], score[:-2]
        options = np.stack([score, step, np.where(can_skip, skip, -np.inf)])
        moves[t] = options.argmax(axis=0)
        score = options.max(axis=0) + logits[t, states]
    s = len(states) - 1 if score[-1] >= score[-2] else len(states) - 2
    path = np.empty(len(logits), int)
    for t in range(len(logits) - 1, -1, -1):
        path[t] = s
        s -= int(moves[t, s])  # a Python int: numpy would keep int8 and overflow
    return np.where(path % 2 == 1, path // 2, -1)


def aligned_word_frames(logits, text, tokenizer):
    """[(word, (first frame, last frame)), ...] of `text` in its most likely CTC alignment to (T', V)
    logits: a word spans the frames of its characters, from the first one's first to the last one's last."""
    if not text:
        return []
    emitted = ctc_alignment(logits, tokenizer.encode(text))
    frames, where = np.flatnonzero(emitted >= 0), emitted[emitted >= 0]  # `where` never decreases
    words, start = [], 0
    for word in text.split(" "):
        first = frames[np.searchsorted(where, start)]
        last = frames[np.searchsorted(where, start + len(word) - 1, side="right") - 1]
        words.append((word, (int(first), int(last))))
        start += len(word) + 1
    return words


def timed_words(word_frames, logits, frame_seconds, offset_seconds=0.0):
    """[{word, start, end, confidence}] with times in seconds from the start of the file."""
    probs = softmax(np.asarray(logits, np.float32))
    best, best_prob = probs.argmax(axis=-1), probs.max(axis=-1)
    result = []
    for word, (first, last) in word_frames:
        last = max(min(last, len(probs) - 1), first)
        span = slice(first, last + 1)
        letters = (best[span] != BLANK) & (best[span] != SPACE)
        confidence = best_prob[span][letters].mean() if letters.any() else best_prob[span].mean()
        result.append({"word": word, "start": round(offset_seconds + first * frame_seconds, 3),
                       "end": round(offset_seconds + (last + 1) * frame_seconds, 3),
                       "confidence": round(float(confidence), 3)})
    return result
