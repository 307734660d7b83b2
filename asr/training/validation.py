"""What early stopping looks at: dev loss and greedy WER/CER after every epoch."""

from asr.decoding.ctc_decoders import GreedyDecoder
from asr.evaluation.scoring import score
from asr.models.predict import utterance_logits


def dev_metrics(model, store, utterances, tokenizer):
    """{"dev_loss", "dev_wer", "dev_cer"} of the model on the dev utterances."""
    logits_by_id, loss = utterance_logits(model, store, utterances)
    hypotheses = GreedyDecoder(tokenizer).decode([logits_by_id[u.id] for u in utterances])
    scores = score([u.text for u in utterances], hypotheses)
    return {"dev_loss": loss, "dev_wer": scores["wer"], "dev_cer": scores["cer"]}
