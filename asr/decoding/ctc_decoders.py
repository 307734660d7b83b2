"""CTC decoding without an LM: greedy (best path) and beam search, both merging repeats then removing blanks."""

import numpy as np

from asr.data.padding import pad
from asr.data.tokenizer import BLANK
from asr.decoding.word_timing import greedy_word_frames

DECODE_BATCH = 64  # utterances decoded together


def collapse(path):
    """A CTC path (token ids per frame) -> its tokens: repeats merged, then blanks dropped."""
    path = np.asarray(path)
    keep = np.ones(len(path), dtype=bool)
    keep[1:] = path[1:] != path[:-1]
    return [int(t) for t in path[keep] if t != BLANK]


def greedy_decode(logits, lengths):
    """(B, T', V) logits + (B,) lengths -> list of token-id lists (argmax, merge repeats, drop blank)."""
    best = np.argmax(np.asarray(logits), axis=-1)  # (B, T')
    return [collapse(path[:length]) for path, length in zip(best, np.asarray(lengths))]


def beam_paths(logits, lengths, beam_width, top_paths=1):
    """TensorFlow's beam search over (B, T', V) logits: the top_paths best label sequences per utterance,
    as (ids (top_paths, B, T') with -1 padding, their log probabilities (B, top_paths), best first)."""
    from keras import ops  # TensorFlow only for this strategy
    decoded, log_probs = ops.ctc_decode(ops.convert_to_tensor(np.asarray(logits, np.float32)),
                                        ops.convert_to_tensor(np.asarray(lengths, np.int32)),
                                        strategy="beam_search", beam_width=beam_width, top_paths=top_paths,
                                        mask_index=BLANK)
    return ops.convert_to_numpy(decoded), ops.convert_to_numpy(log_probs)


def beam_decode(logits, lengths, beam_width):
    """Beam search over the same (B, T', V) logits; returns the best path per utterance."""
    best = beam_paths(logits, lengths, beam_width)[0][0]  # (B, T') with -1 padding
    return [[int(t) for t in row if t > BLANK] for row in best]


class _BatchDecoder:
    """Decodes lists of (T'_i, V) logits DECODE_BATCH at a time with `self._ids(padded, lengths)`."""

    def __init__(self, tokenizer, beam_width=None, lm=None):
        self.tokenizer, self.beam_width = tokenizer, beam_width

    def decode(self, logits_list):
        texts = []
        for start in range(0, len(logits_list), DECODE_BATCH):
            padded, lengths = pad(logits_list[start:start + DECODE_BATCH])
            texts.extend(self.tokenizer.decode(ids) for ids in self._ids(padded, lengths))
        return texts

    def decode_with_frames(self, logits):
        return self.decode([logits])[0], None


class GreedyDecoder(_BatchDecoder):
    def _ids(self, padded, lengths):
        return greedy_decode(padded, lengths)

    def decode_with_frames(self, logits):
        frames = greedy_word_frames(logits, self.tokenizer) if self.tokenizer.spells_words else None
        return self.decode([logits])[0], frames


class BeamDecoder(_BatchDecoder):
    def _ids(self, padded, lengths):
        return beam_decode(padded, lengths, self.beam_width)

    def decode_nbest(self, logits, n):
        """The n best [(text, log P_ctc), ...] of (T', V) logits, best first; label sequences that spell the
        same text (spaces squeezed) keep the best one's place, so there may be fewer than n."""
        paths, log_probs = beam_paths(np.asarray(logits)[None], [len(logits)], self.beam_width, n)
        best = {}
        for path, log_prob in zip(paths[:, 0], log_probs[0]):
            best.setdefault(self.tokenizer.decode([int(t) for t in path if t > BLANK]), float(log_prob))
        return sorted(best.items(), key=lambda item: item[1], reverse=True)  # as joined_nbest ranks them
