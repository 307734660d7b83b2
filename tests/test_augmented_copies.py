"""Augmented copies prepared ahead (train.augment.copies): made once, the same however often they are made or
remade, remade when the augmentation changes; each draw takes the clean shard or the epoch's copy (epoch mod K)."""

import numpy as np
import pytest

from asr.augment.copies import AugmentedCopies, prepare_copies
from asr.data.batching import load_utterances
from asr.data.manifest import load_manifest
from asr.data.shards import FeatureStore, shard_paths
from asr.data.tokenizer import CharTokenizer
from asr.layout import DataLayout
from asr.recipe import config_from_dict
from tests.conftest import TINY

AUGMENT = {"enabled": True, "copies": 2, "speed": {"probability": 0.5}, "reverb": {"probability": 0.5},
           "noise": {"probability": 0.7, "sources": ["pink", "babble"]}}


def copies_config(**augment):
    values = {**TINY, "features": {"utterances_per_shard": 12}, "train": {**TINY["train"],
                                                                          "augment": {**AUGMENT, **augment}}}
    return config_from_dict(values)


@pytest.fixture(scope="module")
def train_split(tiny_data):
    data = DataLayout(tiny_data)
    return load_manifest(data.manifest("train")), FeatureStore(data.feature_split("train"))


def arrays(stores, ids):
    return [[store[i] for i in ids] for store in stores]


def test_copies_are_made_once_the_same_when_remade_and_again_when_the_augmentation_changes(train_split, tmp_path):
    rows, clean = train_split
    ids = [row["id"] for row in rows]
    copies = prepare_copies(copies_config(), rows, clean, tmp_path, jobs=2)
    assert len(copies) == 2 and all(len(copy) == len(clean) and all(i in copy for i in ids) for copy in copies)
    first = arrays(copies, ids)
    assert any(a.shape != b.shape or not np.allclose(a, b) for a, b in zip(first[0], arrays([clean], ids)[0]))
    assert any(a.shape != b.shape or not np.allclose(a, b) for a, b in zip(first[0], first[1]))
    kept = shard_paths(tmp_path / "copy-0", 0)[0].stat().st_mtime_ns
    shard_paths(tmp_path / "copy-1", 1)[1].unlink()  # a copy cut short: its shard has no index
    again = arrays(prepare_copies(copies_config(), rows, clean, tmp_path, jobs=1), ids)
    for one, other in zip(first, again):
        for a, b in zip(one, other):
            np.testing.assert_array_equal(a, b)
    assert shard_paths(tmp_path / "copy-0", 0)[0].stat().st_mtime_ns == kept  # nothing else was redone
    louder = arrays(prepare_copies(copies_config(gain={"probability": 1.0}), rows, clean, tmp_path, jobs=1), ids)
    assert any(not np.array_equal(a, b) for a, b in zip(first[0], louder[0]))


def test_a_draw_takes_the_clean_shard_or_the_copy_of_its_epoch(train_split, tmp_path):
    rows, clean = train_split
    config = copies_config()
    copies = prepare_copies(config, rows, clean, tmp_path, jobs=1)
    utterances, _ = load_utterances(rows, clean, CharTokenizer(), config.model)
    never = AugmentedCopies(0.0, copies, clean, lambda utterance: 0)
    always = AugmentedCopies(1.0, copies, clean, lambda utterance: 0)
    too_long = AugmentedCopies(1.0, copies, clean, lambda utterance: 10 ** 9)  # no copy is long enough
    half = AugmentedCopies(0.5, copies, clean, lambda utterance: 0).for_epoch(3)
    chosen = 0
    for n, utterance in enumerate(utterances):
        np.testing.assert_array_equal(never.features(utterance, np.random.default_rng(n)), clean[utterance.id])
        np.testing.assert_array_equal(too_long.features(utterance, np.random.default_rng(n)), clean[utterance.id])
        for epoch in range(4):  # epochs 0, 1, 2, 3 read copies 0, 1, 0, 1
            drawn = always.for_epoch(epoch).features(utterance, np.random.default_rng(n))
            np.testing.assert_array_equal(drawn, copies[epoch % 2][utterance.id])
        drawn = half.features(utterance, np.random.default_rng(n))
        np.testing.assert_array_equal(drawn, half.features(utterance, np.random.default_rng(n)))
        if drawn.shape != clean[utterance.id].shape or not np.array_equal(drawn, clean[utterance.id]):
            np.testing.assert_array_equal(drawn, copies[1][utterance.id])
            chosen += 1
    assert 0 < chosen < len(utterances)
