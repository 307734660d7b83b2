"""One split run through the network once: its rows, decodable utterances, skipped ones and logits."""

from asr.data.batching import load_utterances
from asr.evaluation.split_report import write_split_report
from asr.models.predict import utterance_logits


class DecodedSplit:
    """The network's logits for every decodable utterance of a split; each strategy then decodes them."""

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
