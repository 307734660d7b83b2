"""Waveform augmentation in the training input pipeline: the same seed gives the same augmented batch
(whatever came before it, and when an epoch resumes mid-way), another seed another one, and lengths stay true."""

import dataclasses

import numpy as np
import pytest

from asr.augment.augmented_features import AugmentedFeatures, training_augmentation
from asr.data.batching import load_utterances, min_input_frames, plan_batches
from asr.data.dataset import batch_dataset
from asr.data.manifest import load_manifest
from asr.data.shards import FeatureStore
from asr.data.tokenizer import CharTokenizer
from asr.layout import DataLayout
from asr.recipe import config_from_dict
from tests.conftest import TINY

# every transform likely, babble included: the batches exercise all of them
AUGMENT = {"enabled": True, "speed": {"probability": 0.7}, "pitch": {"probability": 0.3},
           "reverb": {"probability": 0.5}, "telephone": {"probability": 0.2}, "gain": {"probability": 0.5},
           "noise": {"probability": 0.7, "sources": ["pink", "babble", "hum", "ambience"]},
           "clipping": {"probability": 0.1}}


def augmented_config():
    return config_from_dict({**TINY, "train": {**TINY["train"], "augment": AUGMENT}})


@pytest.fixture(scope="module")
def pipeline(tiny_data):
    """(store, utterances, plan, make_waveform) for the tiny corpus's training split."""
    config = augmented_config()
    data = DataLayout(tiny_data)
    store = FeatureStore(data.feature_split("train"))
    rows = load_manifest(data.manifest("train"))
    utterances, _ = load_utterances(rows, store, CharTokenizer(), config.model)
    plan = plan_batches([u.num_frames for u in utterances], 3000, 8, seed=[1, 0])[:4]

    def make_waveform():
        return training_augmentation(config, rows, store)
    return store, utterances, plan, make_waveform


def batches(pipeline, seed, waveform, first=0):
    store, utterances, plan, _ = pipeline
    return [[a.numpy() for a in batch]
            for batch in batch_dataset(store, utterances, plan, seed=[seed, 0], first=first, waveform=waveform)]


def test_the_same_seed_gives_the_same_augmented_batches_and_another_seed_others(pipeline):
    make_waveform = pipeline[3]
    first, again = batches(pipeline, 5, make_waveform()), batches(pipeline, 5, make_waveform())
    for one, other in zip(first, again):
        for a, b in zip(one, other):
            np.testing.assert_array_equal(a, b)
    other_seed, clean = batches(pipeline, 6, make_waveform()), batches(pipeline, 5, None)
    assert not all(np.array_equal(a[0], b[0]) for a, b in zip(first, other_seed))
    assert not all(np.array_equal(a[0], b[0]) for a, b in zip(first, clean))


def test_a_resumed_epoch_hears_what_the_uninterrupted_one_did(pipeline):
    waveform = pipeline[3]()
    straight = batches(pipeline, 5, waveform)
    resumed = batches(pipeline, 5, pipeline[3](), first=2)  # a new process: nothing drawn before batch 2
    for one, other in zip(straight[2:], resumed):
        for a, b in zip(one, other):
            np.testing.assert_array_equal(a, b)


def test_augmented_batches_carry_true_lengths_and_zero_padding(pipeline):
    store, utterances, plan, make_waveform = pipeline
    for batch, indices in zip(batches(pipeline, 5, make_waveform()), plan):
        features, lengths, labels, label_lengths, _ = batch
        assert np.isfinite(features).all()
        for row, length in enumerate(lengths):
            assert np.all(features[row, length:] == 0)
            utterance = utterances[indices[row]]
            assert length >= min_input_frames(utterance.label, 3, 3)  # CTC can still align its label
            # a speed change changes the length; nothing else does
            assert abs(length - utterance.num_frames) <= 0.12 * utterance.num_frames + 2
        assert label_lengths.tolist() == [len(utterances[i].label) for i in indices]


def test_nothing_applied_reads_the_shard(pipeline):
    store, utterances, _, make_waveform = pipeline
    waveform = make_waveform()
    off = dataclasses.replace(augmented_config().train.augment, enabled=False)
    config = augmented_config()
    silent = AugmentedFeatures(off, config.features, waveform.audio_paths, store, waveform.min_frames)
    utterance = utterances[0]
    np.testing.assert_array_equal(silent.features(utterance, np.random.default_rng(0)), store[utterance.id])
