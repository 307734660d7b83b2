import numpy as np
import pytest

from asr.data.batching import ctc_min_frames
from asr.decoding.ctc_decoders import beam_decode, greedy_decode
from asr.models.ctc_loss import ctc_loss


def test_ctc_loss_uses_true_lengths():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(1, 12, 6)).astype(np.float32)
    labels = np.array([[1, 2, 3]], np.int32)
    alone = np.asarray(ctc_loss(labels, [3], logits, [12]))
    # pad logits with garbage frames and labels with junk ids: the loss must not move
    padded_logits = np.concatenate([logits, 50 * rng.normal(size=(1, 8, 6)).astype(np.float32)], axis=1)
    padded_labels = np.array([[1, 2, 3, 5, 5]], np.int32)
    padded = np.asarray(ctc_loss(padded_labels, [3], padded_logits, [12]))
    np.testing.assert_allclose(padded, alone, rtol=1e-5)
    # and it does move when the lengths claim the padding is real
    assert abs(float(np.asarray(ctc_loss(padded_labels, [3], padded_logits, [20]))[0]) - float(alone[0])) > 1e-3


@pytest.mark.parametrize("label, frames", [([1, 2, 3], 3), ([1, 1, 2], 4), ([4, 4, 4], 5), ([], 0)])
def test_ctc_min_frames(label, frames):
    assert ctc_min_frames(label) == frames


def one_hot_logits(path, vocab=5):
    logits = np.full((len(path), vocab), -10.0, np.float32)
    logits[np.arange(len(path)), path] = 10.0
    return logits


def test_greedy_merges_repeats_then_drops_blanks_within_length():
    path = [1, 1, 0, 1, 2, 2, 0, 0, 3, 3]
    logits = one_hot_logits(path)[None]
    assert greedy_decode(logits, [10]) == [[1, 1, 2, 3]]
    assert greedy_decode(logits, [6]) == [[1, 1, 2]]


def test_beam_agrees_with_greedy_on_confident_outputs():
    paths = [[1, 0, 1, 2, 2, 0, 3, 0], [4, 4, 0, 0, 2, 0, 0, 0]]
    logits = np.stack([one_hot_logits(p) for p in paths])
    assert beam_decode(logits, [8, 5], beam_width=4) == greedy_decode(logits, [8, 5]) == [[1, 1, 2, 3], [4, 2]]
