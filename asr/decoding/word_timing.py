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
