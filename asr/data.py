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


def spec_augment(features, lengths, config, rngs):
    """Mask random frequency bands and time spans in place, time masks within each true length.

    Utterance i draws from rngs[i], so its masks do not depend on which batch or replica it lands in.
    Masked values are set to the utterance's mean so CMVN sees an unremarkable value.
    """
    for utt, length, rng in zip(features, lengths, rngs):
        utt = utt[:length]
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


# features, feature lengths, labels, label lengths, loss weights (1 / global batch size; 0 = filler)
BATCH_SIGNATURE = (tf.TensorSpec((None, None, N_MELS), tf.float32), tf.TensorSpec((None,), tf.int32),
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


def batch_dataset(store, utterances, batches, augment=None, seed=(0,), first=0, replicas=1, local=(0,)):
    """tf.data.Dataset of BATCH_SIGNATURE tuples for batches[first:], one per local replica per batch.

    Each global batch is split over `replicas` (replica_slices); this worker loads and yields only the
    slices of its own replicas `local`, in order, so tf.distribute hands slice k to local replica k.
    SpecAugment of the utterance at position p of batch k draws from rng(*seed, k, p): a resumed epoch
    augments exactly as before, whatever the number of replicas.
    """

    def generate():
        for number, batch in enumerate(batches[first:], start=first):
            slices = replica_slices(batch, replicas)
            for replica in local:
                positions, weight = slices[replica]
                chosen = [utterances[batch[p]] for p in positions]
                arrays = pad_batch([store[u.id] for u in chosen], [u.label for u in chosen])
                if augment is not None:
                    rngs = [np.random.default_rng([*seed, number, p]) for p in positions]
                    spec_augment(arrays[0], arrays[1], augment, rngs)
                yield (*arrays, np.full(len(chosen), weight, np.float32))

    return tf.data.Dataset.from_generator(generate, output_signature=BATCH_SIGNATURE).prefetch(4)
