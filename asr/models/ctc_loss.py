"""CTC loss on true lengths (blank = 0), kept in float32 whatever the compute precision.

TensorFlow computes CTC for dense labels (what keras.ops.ctc_loss passes) as a loop of small ops over the
frames. Its native kernel (the op Keras 2's ctc_batch_cost ran) takes the labels as a SparseTensor and the
blank as the last class: the same losses and gradients, ~7x faster at a training batch's size (64 x 84
output frames: 16 ms against 114 ms), which was 15 % of a bfloat16 training step. The kernel is CPU-only; on
a GPU TensorFlow places it on the CPU. tf.nn.ctc_loss would pick cuDNN's CTC there, which refuses labels of
more than 256 symbols (a long LibriSpeech utterance has more).
The kernel refuses a whole batch when one label is empty or cannot be aligned to its frames. Training never
gives it one (asr.data.batching drops them); scoring keeps them: an empty label's loss is that of blanks in
every frame, computed here, and a label needing more frames than it has is infinitely unlikely. The kernel is
handed a one-symbol label for both and its loss set aside.
"""

import tensorflow as tf

from asr.data.tokenizer import BLANK


def ctc_loss(labels, label_lengths, logits, logit_lengths):
    """Per-utterance CTC negative log-likelihood (B,) over the first `logit_lengths` frames only; inf for an
    utterance whose label needs more frames than it has.

    labels (B, L) int, label_lengths (B,), logits (B, T', V), logit_lengths (B,).
    """
    labels = tf.pad(tf.cast(labels, tf.int32), [[0, 0], [0, 1]])  # at least one column for the stand-in label
    logits = tf.pad(tf.cast(logits, tf.float32), [[0, 0], [0, 1], [0, 0]])  # and one frame for it to take
    label_lengths, logit_lengths = tf.cast(label_lengths, tf.int32), tf.cast(logit_lengths, tf.int32)
    empty = label_lengths == 0
    alignable = logit_lengths >= min_frames(labels, label_lengths)
    for_kernel = ~empty & alignable
    stand_in = tf.one_hot(0, tf.shape(labels)[1], on_value=BLANK + 1, off_value=BLANK, dtype=tf.int32)
    labels = tf.where(for_kernel[:, None], labels, stand_in)  # a one-symbol label the kernel accepts
    kept = tf.sequence_mask(tf.where(for_kernel, label_lengths, 1), tf.shape(labels)[1])
    sparse = tf.SparseTensor(tf.where(kept), tf.boolean_mask(labels, kept), tf.shape(labels, out_type=tf.int64))
    loss = native_ctc(sparse, logits, tf.where(for_kernel, logit_lengths, tf.maximum(logit_lengths, 1)))
    return tf.where(empty, all_blank_loss(logits, logit_lengths), tf.where(alignable, loss, float("inf")))


def native_ctc(labels, logits, logit_lengths):
    """TensorFlow's CTC kernel with our blank (BLANK) moved to the last class, where the kernel wants it."""
    logits = tf.concat([logits[:, :, :BLANK], logits[:, :, BLANK + 1:], logits[:, :, BLANK:BLANK + 1]], axis=2)
    values = tf.where(labels.values < BLANK, labels.values, labels.values - 1)
    return tf.compat.v1.nn.ctc_loss(tf.SparseTensor(labels.indices, values, labels.dense_shape), logits, logit_lengths,
                                    time_major=False)


def all_blank_loss(logits, logit_lengths):
    """(B,) -log P(blank in every frame): the CTC loss of an empty label."""
    blank = tf.nn.log_softmax(logits)[:, :, BLANK]
    return -tf.reduce_sum(blank * tf.sequence_mask(logit_lengths, tf.shape(logits)[1], tf.float32), axis=1)


def min_frames(labels, label_lengths):
    """(B,) fewest frames CTC needs for each padded label: asr.data.batching.ctc_min_frames, in the graph."""
    pairs = tf.sequence_mask(label_lengths - 1, tf.maximum(tf.shape(labels)[1] - 1, 0))  # (i, i + 1) both real
    repeats = tf.cast(labels[:, 1:] == labels[:, :-1], tf.int32) * tf.cast(pairs, tf.int32)
    return label_lengths + tf.reduce_sum(repeats, axis=1)
