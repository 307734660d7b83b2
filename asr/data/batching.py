"""Utterances with labels, and length-bucketed batch plans.

Batches are planned in Python (sort by length, pack up to a padded-frame budget, shuffle the batch order
with rng(seed, epoch)), so an epoch's batch list is known in advance and a resumed run can skip exactly
the batches it already trained on. asr.data.dataset turns a plan into prefetched tensors.
"""

from dataclasses import dataclass

import numpy as np


def ctc_min_frames(label):
    """Fewest output frames CTC needs for `label`: one per token plus a blank between repeats."""
    label = np.asarray(label)
    return int(len(label) + np.count_nonzero(label[1:] == label[:-1]))


def min_input_frames(label, stack, skip):
    """Fewest feature frames whose stacked, skipped output frames CTC can align `label` to."""
    return (ctc_min_frames(label) - 1) * skip + stack


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
        if not keep_long_labels and (len(label) == 0 or frames < min_input_frames(label, model_config.stack,
                                                                                  model_config.skip)):
            out_frames = (frames - model_config.stack) // model_config.skip + 1
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
