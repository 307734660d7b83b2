"""Training data: utterances with labels, length-bucketed batches, padding that carries lengths.

Batches are planned in Python (sort by length, pack up to a padded-frame budget, shuffle the batch order
with rng(seed, epoch)), so an epoch's batch list is known in advance and a resumed run can skip exactly
the batches it already trained on. tf.data turns the plan into prefetched tensors.
"""

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from asr.features import N_MELS
from asr.losses import ctc_min_frames


@dataclass
class Utterance:
    id: str
    num_frames: int
    label: np.ndarray  # (L,) int32 token ids
    text: str


def load_utterances(rows, store, tokenizer, model_config, keep_long_labels=False):
    """Manifest rows -> (Utterance list, dropped list of (id, reason)) for utterances CTC can learn.

    For scoring, `keep_long_labels` keeps utterances too short for their label: they still count as errors.
    """
    kept, dropped = [], []
    for row in rows:
        if row["id"] not in store:
            dropped.append((row["id"], "no features (audio failed in the feature stage)"))
            continue
        try:
            label = np.array(tokenizer.encode(row["text"]), dtype=np.int32)
        except ValueError as e:
            dropped.append((row["id"], str(e)))
            continue
        frames = store.num_frames(row["id"])
        out_frames = (frames - model_config.stack) // model_config.skip + 1
        if not keep_long_labels and (len(label) == 0 or ctc_min_frames(label) > out_frames):
            dropped.append((row["id"], f"label needs {ctc_min_frames(label)} output frames, has {out_frames}"))
            continue
        kept.append(Utterance(row["id"], frames, label, row["text"]))
    return kept, dropped


def plan_batches(lengths, batch_frames, max_utterances, seed=None):
    """Index lists of similar-length utterances, each with padded size max_len * n <= batch_frames.

    With a seed, ties are broken randomly and the batch order is shuffled; without one, the plan is
    sorted by length (for evaluation).
    """
    lengths = np.asarray(lengths)
    rng = np.random.default_rng(seed) if seed is not None else None
    jitter = rng.random(len(lengths)) if rng is not None else np.zeros(len(lengths))
    order = np.lexsort((jitter, lengths))
    batches, current = [], []
    for index in order:
        n, longest = len(current) + 1, lengths[index]  # lengths ascend, so the newest is the longest
        if current and (n * longest > batch_frames or n > max_utterances):
            batches.append(current)
            current = []
        current.append(int(index))
    if current:
        batches.append(current)
    if rng is not None:
        rng.shuffle(batches)
    return batches


def pad_batch(features, labels=None):
    """Lists of (T_i, 80) arrays [and (L_i,) labels] -> zero-padded arrays plus their true lengths."""
    feat_lengths = np.array([len(f) for f in features], dtype=np.int32)
    padded = np.zeros((len(features), max(feat_lengths.max(), 1), N_MELS), dtype=np.float32)
    for i, f in enumerate(features):
        padded[i, :len(f)] = f
    if labels is None:
        return padded, feat_lengths
    label_lengths = np.array([len(label) for label in labels], dtype=np.int32)
    padded_labels = np.zeros((len(labels), label_lengths.max()), dtype=np.int32)
    for i, label in enumerate(labels):
        padded_labels[i, :len(label)] = label
    return padded, feat_lengths, padded_labels, label_lengths


def spec_augment(features, lengths, config, rng):
    """Mask random frequency bands and time spans in place, time masks within each true length.

    Masked values are set to the utterance's mean so CMVN sees an unremarkable value.
    """
    for i, length in enumerate(lengths):
        utt = features[i, :length]
        fill = utt.mean()
        for _ in range(config.freq_masks):
            width = rng.integers(0, config.freq_width + 1)
            start = rng.integers(0, N_MELS - width + 1)
            utt[:, start:start + width] = fill
        max_width = min(config.time_width, int(config.max_time_fraction * length))
        for _ in range(config.time_masks):
            width = rng.integers(0, max_width + 1)
            start = rng.integers(0, max(length - width, 0) + 1)
            utt[start:start + width] = fill
    return features


BATCH_SIGNATURE = (tf.TensorSpec((None, None, N_MELS), tf.float32), tf.TensorSpec((None,), tf.int32),
                   tf.TensorSpec((None, None), tf.int32), tf.TensorSpec((None,), tf.int32))


def batch_dataset(store, utterances, batches, augment=None, seed=(0,), first=0):
    """tf.data.Dataset of (features, feature_lengths, labels, label_lengths) for batches[first:].

    SpecAugment for batch k draws from rng(*seed, k), so a resumed epoch augments exactly as before.
    """

    def generate():
        for number, batch in enumerate(batches[first:], start=first):
            chosen = [utterances[i] for i in batch]
            arrays = pad_batch([store[u.id] for u in chosen], [u.label for u in chosen])
            if augment is not None:
                spec_augment(arrays[0], arrays[1], augment, np.random.default_rng([*seed, number]))
            yield arrays

    return tf.data.Dataset.from_generator(generate, output_signature=BATCH_SIGNATURE).prefetch(4)
