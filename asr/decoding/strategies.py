"""Decoding strategies: the one table that `asr evaluate`, `asr transcribe`, the config's `decode:`
section, the results table and the HTML report read.

A strategy turns the network's logits of utterances ((T'_i, V) arrays cut to their true lengths) into
text. `make_decoder(name, ...)` returns an object with
    decode(logits_list) -> [text, ...]
    decode_with_frames(logits) -> (text, [(word, (first frame, last frame)), ...] or None)
and, if it keeps several hypotheses (nbest), decode_nbest(logits, n) -> [(text, score), ...] (best first,
distinct texts); if it favours hot-words (hotwords), a `hotwords` attribute (asr.decoding.hotwords).
Strategies are listed by import path, so naming them (the CLI, config checks) imports no TensorFlow.
Add one with `register_strategy(Strategy("name", "my.module:make_decoder", "what it does"))`; its factory
takes (tokenizer, beam_width, lm) and returns such a decoder.
"""

from dataclasses import dataclass

from asr.errors import AsrError
from asr.registry import Registry, resolve


@dataclass(frozen=True)
class Strategy:
    name: str
    factory: object  # "module:function" or the function: (tokenizer, beam_width, lm) -> decoder
    summary: str
    uses_lm: bool = False  # decodes with a word LM (`--lm ARPA`); `asr evaluate` tunes its weights on dev
    word_frames: bool = False  # knows which frames spelled each word, so it can time words
    nbest: bool = False  # lists alternatives: decode_nbest
    hotwords: bool = False  # favours the user's hot-words: a `hotwords` attribute


STRATEGIES = Registry("decoding strategy", {s.name: s for s in (
    Strategy("greedy", "asr.decoding.ctc_decoders:GreedyDecoder", "best path: argmax, merge repeats, drop blanks",
             word_frames=True),
    Strategy("beam", "asr.decoding.ctc_decoders:BeamDecoder", "TensorFlow's CTC beam search, no LM", nbest=True),
    Strategy("beam_lm", "asr.decoding.lm_beam:LmDecoder.for_strategy",
             "prefix beam search with a word n-gram LM (KenLM)", uses_lm=True, word_frames=True, nbest=True,
             hotwords=True),
)})
strategy_names, strategy = STRATEGIES.names, STRATEGIES.get


def register_strategy(entry):
    return STRATEGIES.register(entry.name, entry)


def make_decoder(name, tokenizer, beam_width, lm=None):
    """A decoder for strategy `name`; `lm` is what a uses_lm strategy decodes with (an ARPA path or the
    tuned weights of a run, see asr.decoding.lm_beam.LmDecoder.for_strategy)."""
    chosen = strategy(name)
    if chosen.uses_lm and lm is None:
        raise AsrError(f"decoding strategy {name} needs a word LM (--lm)")
    return resolve(chosen.factory)(tokenizer, beam_width, lm)
