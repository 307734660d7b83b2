"""CTC decoding: greedy (best path) and beam search, both merging repeats then removing blanks."""

import numpy as np
from keras import ops

from asr.tokenizer import BLANK


def greedy_decode(logits, lengths):
    """(B, T', V) logits + (B,) lengths -> list of token-id lists (argmax, merge repeats, drop blank)."""
    best = np.argmax(np.asarray(logits), axis=-1)  # (B, T')
    results = []
    for path, length in zip(best, np.asarray(lengths)):
        path = path[:length]
        keep = np.ones(len(path), dtype=bool)
        keep[1:] = path[1:] != path[:-1]
        results.append([int(t) for t in path[keep] if t != BLANK])
    return results


def beam_decode(logits, lengths, beam_width=16):
    """Beam search over the same (B, T', V) logits; returns the best path per utterance."""
    decoded, _ = ops.ctc_decode(ops.convert_to_tensor(np.asarray(logits, np.float32)),
                                ops.convert_to_tensor(np.asarray(lengths, np.int32)),
                                strategy="beam_search", beam_width=beam_width, top_paths=1, mask_index=BLANK)
    best = ops.convert_to_numpy(decoded)[0]  # (B, T') with -1 padding
    return [[int(t) for t in row if t > BLANK] for row in best]


def decode(logits, lengths, strategy="greedy", beam_width=16):
    if strategy == "greedy":
        return greedy_decode(logits, lengths)
    return beam_decode(logits, lengths, beam_width)
