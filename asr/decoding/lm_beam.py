"""Beam search with a word n-gram LM (our CTC prefix beam search over KenLM), and the dev-set tuning
of its weights.

score(text) = log P_ctc(text | audio) + alpha * log P_lm(text) + beta * words(text) [+ hot-word weights]

alpha (LM weight) and beta (word-insertion bonus) depend on the model and the LM, so they are chosen
on dev by a small grid and then applied unchanged to the other splits. The search itself is in
asr.decoding.prefix_beam, the hot-words the user may list in asr.decoding.hotwords.
"""

import logging
from pathlib import Path

import kenlm
import numpy as np

from asr.config import DecodeConfig
from asr.data.tokenizer import CharTokenizer
from asr.decoding.ngram_lm import arpa_unigrams
from asr.decoding.prefix_beam import LmScoring, prefix_beam_nbest, prefix_beam_search
from asr.decoding.word_timing import aligned_word_frames
from asr.errors import AsrError
from asr.runtime import native_stderr_silenced

log = logging.getLogger(__name__)

ALPHAS = (0.3, 0.5, 0.7, 1.0, 1.3)
BETAS = (0.0, 1.0, 2.0, 3.0)


def log_softmax(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


class WordLm:
    """A KenLM word n-gram model read from an ARPA file: cached queries (one per word and LM context, kept
    across utterances and weight settings) and the set of every prefix of its words."""

    CACHE_LIMIT = 500_000  # (context, word) entries, ~150 MB; then it starts over

    def __init__(self, arpa_path):
        if not Path(arpa_path).is_file():
            raise AsrError(f"{arpa_path}: LM file not found")
        try:
            with native_stderr_silenced():  # KenLM draws a progress bar of the ARPA loading on stderr
                self.model = kenlm.Model(str(arpa_path))
            words = arpa_unigrams(arpa_path)
        except (OSError, RuntimeError, ValueError, UnicodeDecodeError) as e:
            raise AsrError(f"{arpa_path}: not a readable ARPA language model ({str(e).splitlines()[0][:120]})") \
                from None
        if not words:
            raise AsrError(f"{arpa_path}: not a readable ARPA language model (no words in its \\1-grams: section)")
        self.words = words
        self.prefixes = {word[:k] for word in words for k in range(1, len(word) + 1)}
        self._cache = {}

    def start(self):
        state = kenlm.State()
        self.model.BeginSentenceWrite(state)
        return state

    def score(self, state, word):
        """(log10 P(word | state), the state after it); a word outside the vocabulary gets <unk>'s score."""
        key = (state, word)
        hit = self._cache.get(key)
        if hit is None:
            if len(self._cache) >= self.CACHE_LIMIT:
                self._cache.clear()
            next_state = kenlm.State()
            hit = self._cache[key] = (self.model.BaseScore(state, word, next_state), next_state)
        return hit


class LmDecoder:
    """Decodes (T', V) logits of one utterance with the LM at `arpa_path`; see the module docstring.
    hotwords: an asr.decoding.hotwords.HotWords the search favours (None: none)."""

    def __init__(self, arpa_path, alpha=0.5, beta=1.0, beam_width=DecodeConfig.beam_width, tokenizer=None,
                 hotwords=None):
        self.lm = WordLm(arpa_path)
        self.tokenizer = tokenizer or CharTokenizer()
        self.alpha, self.beta, self.beam_width = alpha, beta, beam_width
        self.hotwords = hotwords

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
        self.alpha, self.beta = alpha, beta

    def _scoring(self):
        return LmScoring(self.lm, self.alpha, self.beta, self.tokenizer.symbols, self.hotwords)

    def _text(self, logprobs):
        return prefix_beam_search(logprobs, self._scoring(), self.beam_width)

    def decode_nbest(self, logits, n):
        """The n best distinct [(text, score), ...] of (T', V) logits, best first; score: log P_ctc + the
        weighted LM score + beta per word + hot-word weights, as the search ranks them."""
        logprobs = log_softmax(np.asarray(logits, np.float32))
        return prefix_beam_nbest(logprobs, self._scoring(), self.beam_width, n)

    def best_beam(self, logits):
        """(text, [(word, (first frame, last frame)), ...]) of the best beam."""
        logprobs = log_softmax(np.asarray(logits, np.float32))
        text = self._text(logprobs)
        return text, aligned_word_frames(logprobs, text, self.tokenizer)

    decode_with_frames = best_beam

    def decode(self, logits_list):
        """List of (T'_i, V) logit arrays (true lengths) -> list of texts."""
        return [self._text(log_softmax(np.asarray(logits, np.float32))) for logits in logits_list]


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
