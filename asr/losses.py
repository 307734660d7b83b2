"""CTC loss on true lengths (blank = 0), kept in float32 whatever the compute precision."""

import numpy as np
from keras import ops

from asr.tokenizer import BLANK


def ctc_loss(labels, label_lengths, logits, logit_lengths):
    """Per-utterance CTC negative log-likelihood (B,) over the first `logit_lengths` frames only.

    labels (B, L) int, label_lengths (B,), logits (B, T', V), logit_lengths (B,).
    """
    return ops.ctc_loss(ops.cast(labels, "int32"), ops.cast(logits, "float32"),
                        ops.cast(label_lengths, "int32"), ops.cast(logit_lengths, "int32"), mask_index=BLANK)


def ctc_min_frames(label):
    """Fewest output frames CTC needs for `label`: one per token plus a blank between repeats."""
    label = np.asarray(label)
    return int(len(label) + np.count_nonzero(label[1:] == label[:-1]))
