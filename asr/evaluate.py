"""Decode a split with a model and score it: dev metrics during training, `asr evaluate` reports.

The network runs once per split; its per-utterance logits are then decoded by each strategy:
greedy, beam (TensorFlow's CTC beam search) and beam_lm (pyctcdecode with a word n-gram LM).
"""

import numpy as np
import tensorflow as tf

from asr.data import BATCH_SIGNATURE, load_utterances, pad_batch, plan_batches
from asr.decode import decode
from asr.losses import ctc_loss
from asr.scoring import score
from asr.split_report import write_split_report

DECODE_BATCH = 64


def predict_function(model):
    """A traced inference function (features, lengths) -> (logits, output lengths)."""
    return tf.function(lambda f, n: model((f, n), training=False), input_signature=BATCH_SIGNATURE[:2])


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
    """({id: (T'_i, V) logits cut to the true length}, mean CTC loss per utterance)."""
    logits_by_id, losses = {}, []
    for chosen, logits, out_lengths in predict_utterances(model, store, utterances):
        _, _, labels, label_lengths = pad_batch([np.zeros((1, 1))] * len(chosen), [u.label for u in chosen])
        losses.extend(np.asarray(ctc_loss(labels, label_lengths, logits, out_lengths)).tolist())
        for utt, utt_logits, length in zip(chosen, logits, out_lengths):
            logits_by_id[utt.id] = utt_logits[:length]
    return logits_by_id, float(np.mean(losses)) if losses else float("nan")


def decode_logits(logits_list, tokenizer, strategy="greedy", beam_width=16, lm_decoder=None):
    """List of (T'_i, V) arrays -> list of texts, by the named strategy."""
    if strategy == "beam_lm":
        return lm_decoder.decode(logits_list)
    texts = []
    for start in range(0, len(logits_list), DECODE_BATCH):
        group = logits_list[start:start + DECODE_BATCH]
        lengths = np.array([len(x) for x in group], np.int32)
        padded = np.zeros((len(group), max(lengths.max(), 1), group[0].shape[-1]), np.float32)
        for i, x in enumerate(group):
            padded[i, :len(x)] = x
        texts.extend(tokenizer.decode(ids) for ids in decode(padded, lengths, strategy, beam_width))
    return texts


def dev_metrics(model, store, utterances, tokenizer):
    """Dev loss, greedy WER and CER: what early stopping looks at."""
    logits_by_id, loss = utterance_logits(model, store, utterances)
    hypotheses = decode_logits([logits_by_id[u.id] for u in utterances], tokenizer)
    scores = score([u.text for u in utterances], hypotheses)
    return {"dev_loss": loss, "dev_wer": scores["wer"], "dev_cer": scores["cer"]}


class DecodedSplit:
    """One split's manifest rows, decodable utterances, skipped ones and the network's logits."""

    def __init__(self, model, model_config, tokenizer, rows, store):
        self.rows = rows
        self.utterances, self.dropped = load_utterances(rows, store, tokenizer, model_config, keep_long_labels=True)
        self.logits, self.loss = utterance_logits(model, store, self.utterances)

    def logits_list(self):
        return [self.logits[u.id] for u in self.utterances]

    def references(self):
        return [u.text for u in self.utterances]

    def report(self, out_dir, texts, strategy, extra=None):
        hypotheses = {u.id: text for u, text in zip(self.utterances, texts)}
        return write_split_report(out_dir, self.rows, hypotheses, self.dropped, strategy, extra)
