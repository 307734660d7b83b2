"""tf.data pipelines from batch plans: padded tensors with their lengths, split over replicas."""

import contextlib

import numpy as np
import tensorflow as tf
from threadpoolctl import threadpool_limits

from asr.data.padding import pad_batch
from asr.data.spec_augment import spec_augment

WAVEFORM_STREAM = 1  # tells waveform augmentation's random draws from SpecAugment's for the same utterance


def batch_signature(feature_dim):
    """features, feature lengths, labels, label lengths, loss weights (1 / global batch size; 0 = filler)."""
    return (tf.TensorSpec((None, None, feature_dim), tf.float32), tf.TensorSpec((None,), tf.int32),
            tf.TensorSpec((None, None), tf.int32), tf.TensorSpec((None,), tf.int32),
            tf.TensorSpec((None,), tf.float32))


def replica_slices(batch, replicas):
    """Split one global batch (utterance indices) into `replicas` slices of (positions, weight).

    Replica r gets positions r, r + replicas, ...; a replica left without an utterance gets position 0
    again with weight 0, so every replica runs the same program and the weighted sum is unchanged.
    """
    slices = []
    for r in range(replicas):
        positions = list(range(r, len(batch), replicas))
        slices.append((positions, 1.0 / len(batch)) if positions else ([0], 0.0))
    return slices


def batch_dataset(store, utterances, batches, augment=None, seed=(0,), first=0, replicas=1, local=(0,),
                  waveform=None):
    """tf.data.Dataset of BATCH_SIGNATURE tuples for batches[first:], one per local replica per batch.

    Each global batch is split over `replicas` (replica_slices); this worker loads and yields only the
    slices of its own replicas `local`, in order, so tf.distribute hands slice k to local replica k.
    SpecAugment of the utterance at position p of batch k draws from rng(*seed, k, p), waveform
    augmentation (`waveform`: an asr.augment.augmented_features.AugmentedFeatures) from rng(*seed, k, p,
    WAVEFORM_STREAM): a resumed epoch augments exactly as before, whatever the number of replicas.
    """

    def features(number, position, utterance):
        if waveform is None:
            return store[utterance.id]
        return waveform.features(utterance, np.random.default_rng([*seed, number, position, WAVEFORM_STREAM]))

    def generate():
        for number, batch in enumerate(batches[first:], start=first):
            slices = replica_slices(batch, replicas)
            for replica in local:
                positions, weight = slices[replica]
                chosen = [utterances[batch[p]] for p in positions]
                arrays = pad_batch([features(number, p, u) for p, u in zip(positions, chosen)],
                                   [u.label for u in chosen])
                if augment is not None:
                    rngs = [np.random.default_rng([*seed, number, p]) for p in positions]
                    spec_augment(arrays[0], arrays[1], augment, rngs)
                yield (*arrays, np.full(len(chosen), weight, np.float32))

    return tf.data.Dataset.from_generator(generate, output_signature=batch_signature(store.feature_dim)).prefetch(4)


@contextlib.contextmanager
def input_pipeline_threads():
    """numpy's BLAS on one thread while training. The pipeline's numpy work (the log-mels of augmented audio:
    a (T, 257) x (257, 80) matmul per utterance) runs beside TensorFlow's threads on the same cores; a BLAS
    pool of its own would spin against them for matmuls far too small to share (tools/bench_train.py
    --pipeline measures training with and without augmentation)."""
    with threadpool_limits(1, user_api="blas"):
        yield
