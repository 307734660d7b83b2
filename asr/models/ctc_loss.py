"""CTC loss on true lengths (blank = 0), kept in float32 whatever the compute precision."""

from keras import ops

from asr.data.tokenizer import BLANK


def ctc_loss(labels, label_lengths, logits, logit_lengths):
    """Per-utterance CTC negative log-likelihood (B,) over the first `logit_lengths` frames only.

    labels (B, L) int, label_lengths (B,), logits (B, T', V), logit_lengths (B,).
    """
    return ops.ctc_loss(ops.cast(labels, "int32"), ops.cast(logits, "float32"),
                        ops.cast(label_lengths, "int32"), ops.cast(logit_lengths, "int32"), mask_index=BLANK)
