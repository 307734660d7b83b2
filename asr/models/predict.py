"""The network over padded batches: a traced TensorFlow inference function, and logits of a whole split."""

import numpy as np
import tensorflow as tf

from asr.data.batching import plan_batches
from asr.data.dataset import batch_signature
from asr.data.padding import pad_batch
from asr.models.ctc_loss import ctc_loss


def predict_function(model):
    """A traced inference function (features, lengths) -> (logits, output lengths)."""
    return tf.function(lambda f, n: model((f, n), training=False),
                       input_signature=batch_signature(model.feature_dim)[:2])


def tf_predictor(model):
    """(features, lengths) -> (logits, out_lengths) numpy arrays, computed by TensorFlow."""
    predict = predict_function(model)
    return lambda features, lengths: tuple(t.numpy() for t in predict(features, lengths))


def predict_utterances(model, store, utterances, batch_frames=32000, max_utterances=64):
    """Yield (utterances, logits (B, T', V) array, output lengths (B,)) batch by batch, shortest first."""
    predict = predict_function(model)
    plan = plan_batches([u.num_frames for u in utterances], batch_frames, max_utterances)
    for batch in plan:
        chosen = [utterances[i] for i in batch]
        features, lengths = pad_batch([store[u.id] for u in chosen])
        logits, out_lengths = predict(features, lengths)
        yield chosen, logits.numpy(), out_lengths.numpy()


def utterance_logits(model, store, utterances):
    """({id: (T'_i, V) logits cut to the true length}, mean CTC loss per utterance, over those whose label
    fits their frames: scoring keeps the others, whose loss is infinite; a NaN stays in the mean)."""
    logits_by_id, losses = {}, []
    for chosen, logits, out_lengths in predict_utterances(model, store, utterances):
        _, _, labels, label_lengths = pad_batch([np.zeros((1, 1))] * len(chosen), [u.label for u in chosen])
        losses.extend(np.asarray(ctc_loss(labels, label_lengths, logits, out_lengths)).tolist())
        for utt, utt_logits, length in zip(chosen, logits, out_lengths):
            logits_by_id[utt.id] = utt_logits[:length]
    losses = [loss for loss in losses if not np.isposinf(loss)]
    return logits_by_id, float(np.mean(losses)) if losses else float("nan")
