"""CTC beam search with a word n-gram LM (pyctcdecode + KenLM), and the dev-set tuning of its weights.

score(text) = log P_ctc(text | audio) + alpha * log P_lm(text) + beta * words(text)

alpha (LM weight) and beta (word-insertion bonus) depend on the model and the LM, so they are chosen
on dev by a small grid and then applied unchanged to the other splits.
"""

import logging
from pathlib import Path

import numpy as np

from asr.config import DecodeConfig
from asr.data.tokenizer import BLANK, CharTokenizer
from asr.errors import AsrError
from asr.runtime import native_stderr_silenced

log = logging.getLogger(__name__)

ALPHAS = (0.3, 0.5, 0.7, 1.0, 1.3)
BETAS = (0.0, 1.0, 2.0, 3.0)


def pyctcdecode_labels(tokenizer):
    """pyctcdecode's label list: "" for the CTC blank, " " for the word separator."""
    return ["" if i == BLANK else symbol for i, symbol in enumerate(tokenizer.symbols)]


def log_softmax(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


class LmDecoder:
    """Decodes (T', V) logits of one utterance with the LM at `arpa_path`; see the module docstring."""

    def __init__(self, arpa_path, alpha=0.5, beta=1.0, beam_width=DecodeConfig.beam_width, tokenizer=None):
        try:
            from pyctcdecode import build_ctcdecoder
        except ImportError:
            raise AsrError("LM decoding needs pyctcdecode and kenlm (`pip install --no-deps pyctcdecode "
                           "pygtrie kenlm`; see README)") from None
        if not Path(arpa_path).is_file():
            raise AsrError(f"{arpa_path}: LM file not found")
        tokenizer = tokenizer or CharTokenizer()
        try:
            with native_stderr_silenced():  # KenLM draws a progress bar of the ARPA loading on stderr
                # pyctcdecode reads the LM's words from the ARPA file's 1-grams itself
                self.decoder = build_ctcdecoder(pyctcdecode_labels(tokenizer), kenlm_model_path=str(arpa_path),
                                                alpha=alpha, beta=beta)
        except (OSError, RuntimeError, ValueError, IndexError) as e:
            raise AsrError(f"{arpa_path}: not a readable ARPA language model ({str(e).splitlines()[0][:120]})") \
                from None
        self.alpha, self.beta, self.beam_width = alpha, beta, beam_width

    @classmethod
    def for_strategy(cls, tokenizer, beam_width, lm):
        """The beam_lm strategy's decoder. lm: an ARPA path (default weights), or the dict of a run's
        lm_weights.json (the ARPA path and the weights and beam width `asr evaluate` tuned)."""
        if not tokenizer.spells_words:
            raise AsrError("LM decoding needs a character model (this one outputs symbols such as phones)")
        if isinstance(lm, dict):
            return cls(lm["arpa"], lm["alpha"], lm["beta"], lm.get("beam_width", beam_width), tokenizer)
        return cls(lm, beam_width=beam_width, tokenizer=tokenizer)

    def set_weights(self, alpha, beta):
        self.decoder.reset_params(alpha=alpha, beta=beta)
        self.alpha, self.beta = alpha, beta

    def best_beam(self, logits):
        """(text, [(word, (first frame, last frame)), ...]) of the best beam."""
        text, _, word_frames, _, _ = self.decoder.decode_beams(log_softmax(np.asarray(logits, np.float32)),
                                                               beam_width=self.beam_width)[0]
        return " ".join(text.split()), word_frames

    decode_with_frames = best_beam

    def decode(self, logits_list):
        """List of (T'_i, V) logit arrays (true lengths) -> list of texts."""
        return [self.best_beam(logits)[0] for logits in logits_list]


def tune_weights(decoder, logits_list, references, score_fn, alphas=ALPHAS, betas=BETAS):
    """Grid search of (alpha, beta) minimising WER on the given (dev) utterances.

    Returns {"alpha", "beta", "wer", "grid": [{"alpha", "beta", "wer"}, ...]}; ties keep the smaller
    alpha and beta. The decoder is left set to the best weights.
    """
    grid = []
    for alpha in alphas:
        for beta in betas:
            decoder.set_weights(alpha, beta)
            wer = score_fn(references, decoder.decode(logits_list))["wer"]
            grid.append({"alpha": alpha, "beta": beta, "wer": wer})
            log.info(f"evaluate: LM weights alpha={alpha} beta={beta}: dev WER {wer:.2%}")
    best = min(grid, key=lambda g: (g["wer"], g["alpha"], g["beta"]))
    decoder.set_weights(best["alpha"], best["beta"])
    return {"alpha": best["alpha"], "beta": best["beta"], "wer": best["wer"], "grid": grid}
