import numpy as np
import pytest

from asr.data.batching import ctc_min_frames
from asr.decoding.ctc_decoders import beam_decode, greedy_decode
from asr.models.ctc_loss import ctc_loss


def test_ctc_loss_uses_true_lengths():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(1, 12, 6)).astype(np.float32)
    labels = np.array([[1, 2, 3]], np.int32)
    alone = np.asarray(ctc_loss(labels, [3], logits, [12]))
    # pad logits with garbage frames and labels with junk ids: the loss must not move
    padded_logits = np.concatenate([logits, 50 * rng.normal(size=(1, 8, 6)).astype(np.float32)], axis=1)
    padded_labels = np.array([[1, 2, 3, 5, 5]], np.int32)
    padded = np.asarray(ctc_loss(padded_labels, [3], padded_logits, [12]))
    np.testing.assert_allclose(padded, alone, rtol=1e-5)
    # and it does move when the lengths claim the padding is real
    assert abs(float(np.asarray(ctc_loss(padded_labels, [3], padded_logits, [20]))[0]) - float(alone[0])) > 1e-3


@pytest.mark.parametrize("label, frames", [([1, 2, 3], 3), ([1, 1, 2], 4), ([4, 4, 4], 5), ([], 0)])
def test_ctc_min_frames(label, frames):
    assert ctc_min_frames(label) == frames


def test_the_loss_agrees_with_the_loop_over_frames_and_refuses_labels_too_long_for_their_frames():
    """The native kernel's losses and gradients are those of TensorFlow's loop over frames (keras.ops.ctc_loss,
    dense labels) on utterances of every length; a label needing more frames than it has (a repeat needs a
    blank between) gets an infinite loss and no gradient, and the batch's other utterances their own."""
    import tensorflow as tf
    from asr.models.ctc_loss import min_frames
    rng = np.random.default_rng(1)
    logits = tf.constant(rng.normal(size=(6, 30, 8)).astype(np.float32))
    label_lengths = np.array([12, 5, 1, 0, 9, 4], np.int32)
    labels = rng.integers(1, 8, size=(6, 12)).astype(np.int32)
    labels[5, :4] = [3, 3, 3, 3]  # needs 7 frames
    logit_lengths = np.array([30, 17, 3, 8, 25, 6], np.int32)
    assert np.asarray(min_frames(labels, label_lengths)).tolist() == \
        [ctc_min_frames(label[:n]) for label, n in zip(labels, label_lengths)]
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(logits)
        ours = ctc_loss(labels, label_lengths, logits, logit_lengths)
        reference = reference_loss(labels, label_lengths, logits, logit_lengths)
        ours_alignable, reference_alignable = (tf.reduce_sum(loss[:5]) for loss in (ours, reference))
    assert np.isinf(ours[5]) and np.all(np.isfinite(ours[:5]))
    np.testing.assert_allclose(ours[:5], reference[:5], rtol=1e-5)
    gradient, expected = (tape.gradient(loss, logits) for loss in (ours_alignable, reference_alignable))
    np.testing.assert_allclose(gradient, expected, atol=1e-5)
    assert not np.any(tape.gradient(ours, logits)[5])
    nothing_said = ctc_loss(np.zeros((2, 0), np.int32), [0, 0], logits[:2], [30, 4])  # a batch of silences
    np.testing.assert_allclose(nothing_said, reference_loss(np.zeros((2, 1), np.int32), [0, 0], logits[:2], [30, 4]),
                               rtol=1e-5)


def reference_loss(labels, label_lengths, logits, logit_lengths):
    import keras
    return keras.ops.ctc_loss(labels, logits, label_lengths, logit_lengths, mask_index=0)


def one_hot_logits(path, vocab=5):
    logits = np.full((len(path), vocab), -10.0, np.float32)
    logits[np.arange(len(path)), path] = 10.0
    return logits


def test_greedy_merges_repeats_then_drops_blanks_within_length():
    path = [1, 1, 0, 1, 2, 2, 0, 0, 3, 3]
    logits = one_hot_logits(path)[None]
    assert greedy_decode(logits, [10]) == [[1, 1, 2, 3]]
    assert greedy_decode(logits, [6]) == [[1, 1, 2]]


def test_beam_agrees_with_greedy_on_confident_outputs():
    paths = [[1, 0, 1, 2, 2, 0, 3, 0], [4, 4, 0, 0, 2, 0, 0, 0]]
    logits = np.stack([one_hot_logits(p) for p in paths])
    assert beam_decode(logits, [8, 5], beam_width=4) == greedy_decode(logits, [8, 5]) == [[1, 1, 2, 3], [4, 2]]


def test_the_loss_runs_the_kernel_without_cudnn_s_label_limit():
    """The graph holds TensorFlow's own CTC kernel (CTCLoss: any label length, placed on the CPU beside a GPU),
    not cuDNN's (CTCLossV2, which tf.nn.ctc_loss picks on a GPU for sparse labels and which refuses labels of
    more than 256 symbols); a 300-symbol label is scored."""
    import tensorflow as tf
    rng = np.random.default_rng(2)
    labels, logits = rng.integers(1, 8, size=(1, 300)).astype(np.int32), rng.normal(size=(1, 700, 8)).astype(np.float32)
    graph = tf.function(ctc_loss).get_concrete_function(labels, [300], logits, [700]).graph.as_graph_def()
    ops = {node.op for node in graph.node} | {node.op for f in graph.library.function for node in f.node_def}
    assert "CTCLoss" in ops and "CTCLossV2" not in ops  # also inside the functions tf.nn.ctc_loss would add
    assert np.isfinite(np.asarray(ctc_loss(labels, [300], logits, [700]))).all()


def test_a_batch_without_frames_is_scored():
    """Logits of no frames at all (scoring an utterance shorter than one output frame): an empty label's loss
    is 0, any other label's infinite, and the kernel is not handed a batch it refuses."""
    losses = np.asarray(ctc_loss(np.array([[3], [0]], np.int32), [1, 0], np.zeros((2, 0, 8), np.float32), [0, 0]))
    assert np.isinf(losses[0]) and losses[1] == 0
