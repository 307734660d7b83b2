import numpy as np
import pytest

from asr.config import ModelConfig, SpecAugmentConfig
from asr.data.batching import load_utterances, plan_batches
from asr.data.padding import pad_batch
from asr.data.spec_augment import spec_augment
from asr.data.tokenizer import CharTokenizer


@pytest.mark.parametrize("seed", [None, 0, [3, 1]])
def test_plan_covers_every_utterance_once_within_budget(seed):
    lengths = np.random.default_rng(0).integers(50, 900, size=500)
    batches = plan_batches(lengths, batch_frames=6000, max_utterances=32, seed=seed)
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(500))
    for b in batches:
        assert len(b) <= 32 and (len(b) == 1 or max(lengths[b]) * len(b) <= 6000)


def test_plan_is_deterministic_for_a_seed_and_differs_across_epochs():
    lengths = np.random.default_rng(0).integers(50, 900, size=300)
    assert plan_batches(lengths, 6000, 32, [1, 0]) == plan_batches(lengths, 6000, 32, [1, 0])
    assert plan_batches(lengths, 6000, 32, [1, 0]) != plan_batches(lengths, 6000, 32, [1, 1])


def test_pad_batch_carries_true_lengths():
    feats = [np.ones((5, 80)), np.ones((3, 80))]
    padded, lengths, labels, label_lengths = pad_batch(feats, [np.array([1, 2]), np.array([3, 4, 5])])
    assert padded.shape == (2, 5, 80) and lengths.tolist() == [5, 3]
    assert np.all(padded[1, 3:] == 0)
    assert labels.tolist() == [[1, 2, 0], [3, 4, 5]] and label_lengths.tolist() == [2, 3]


def test_spec_augment_never_touches_padding():
    rng = np.random.default_rng(0)
    feats, lengths = pad_batch([rng.normal(size=(40, 80)), rng.normal(size=(100, 80))])
    config = SpecAugmentConfig(freq_masks=2, freq_width=20, time_masks=3, time_width=50, max_time_fraction=0.5)
    before = feats.copy()
    spec_augment(feats, lengths, config, [np.random.default_rng(1), np.random.default_rng(2)])
    assert np.all(feats[0, 40:] == 0)
    assert not np.array_equal(before, feats)


class FakeStore:
    def __init__(self, frames):
        self.frames = frames

    def __contains__(self, utt_id):
        return utt_id in self.frames

    def num_frames(self, utt_id):
        return self.frames[utt_id]


def test_labels_longer_than_output_frames_are_dropped_and_counted():
    rows = [{"id": "ok", "text": "hi"}, {"id": "long", "text": "a much longer sentence"},
            {"id": "gone", "text": "hi"}]
    store = FakeStore({"ok": 30, "long": 30})
    kept, dropped = load_utterances(rows, store, CharTokenizer(), ModelConfig(stack=3, skip=3))
    assert [u.id for u in kept] == ["ok"]
    assert {d[0] for d in dropped} == {"long", "gone"}
