"""Decode a split with a model and score it: dev metrics during training, `asr evaluate` reports."""

from pathlib import Path

import numpy as np
import tensorflow as tf

from asr.data import BATCH_SIGNATURE, load_utterances, pad_batch, plan_batches
from asr.decode import decode
from asr.fileio import write_json, write_text
from asr.losses import ctc_loss
from asr.scoring import score, utterance_errors


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


def decode_utterances(model, store, utterances, tokenizer, strategy="greedy", beam_width=16):
    """Decode every utterance; returns (hypothesis texts by id, mean CTC loss per utterance)."""
    hypotheses, losses = {}, []
    for chosen, logits, out_lengths in predict_utterances(model, store, utterances):
        _, _, labels, label_lengths = pad_batch([np.zeros((1, 1))] * len(chosen), [u.label for u in chosen])
        losses.extend(np.asarray(ctc_loss(labels, label_lengths, logits, out_lengths)).tolist())
        for utt, ids in zip(chosen, decode(logits, out_lengths, strategy, beam_width)):
            hypotheses[utt.id] = tokenizer.decode(ids)
    return hypotheses, float(np.mean(losses)) if losses else float("nan")


def dev_metrics(model, store, utterances, tokenizer):
    """Dev loss, greedy WER and CER: what early stopping looks at."""
    hypotheses, loss = decode_utterances(model, store, utterances, tokenizer)
    scores = score([u.text for u in utterances], [hypotheses[u.id] for u in utterances])
    return {"dev_loss": loss, "dev_wer": scores["wer"], "dev_cer": scores["cer"]}


def write_decode_report(out_dir, rows, hypotheses, dropped, strategy):
    """hyp.txt (id, errors/words, ref, hyp per utterance, in manifest order) and wer.json."""
    decoded = [r for r in rows if r["id"] in hypotheses]
    lines = ["# id\terrors/ref_words\treference\thypothesis"]
    for row in decoded:
        errors, words = utterance_errors(row["text"], hypotheses[row["id"]])
        lines.append(f"{row['id']}\t{errors}/{words}\t{row['text']}\t{hypotheses[row['id']]}")
    scores = score([r["text"] for r in decoded], [hypotheses[r["id"]] for r in decoded])
    scores.update({"strategy": strategy, "skipped_utts": len(dropped),
                   "skipped": [{"id": i, "reason": why} for i, why in dropped]})
    out_dir = Path(out_dir)
    write_text(out_dir / "hyp.txt", "\n".join(lines) + "\n")
    write_json(out_dir / "wer.json", scores)
    return scores


def evaluate_split(model, model_config, tokenizer, rows, store, out_dir, strategy="greedy", beam_width=16):
    """Decode one split and write its report; utterances without features or labels are listed as skipped."""
    utterances, dropped = load_utterances(rows, store, tokenizer, model_config, keep_long_labels=True)
    hypotheses, _ = decode_utterances(model, store, utterances, tokenizer, strategy, beam_width)
    return write_decode_report(out_dir, rows, hypotheses, dropped, strategy)
