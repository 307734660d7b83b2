"""Hot-words (contextual biasing) for the word-LM beam search: words or phrases the user expects to hear.

A hot phrase (one word or several) of weight W adds W (natural-log units, as the search's scores) to
every hypothesis that completes it, on top of the LM's score. While a beam spells a prefix of it, the
beam carries a share of W that grows with the characters spelled (W * spelled / (characters + 1), the
word-ending space or end of utterance bringing the last share), so that the phrase survives pruning
before it is complete; that share is part of the beam's pruning score only, never of its committed
words, so a beam that turns away from the phrase has it taken back. A listed word is a word: the search
does not charge its spelling as an unknown word's (asr.decoding.prefix_beam), so names the LM never saw
are scored like its <unk> plus W, instead of losing to words it knows whatever W is.

Matches start at word starts; where several listed phrases fit the end of a text, the longest is followed.
"""

from pathlib import Path

from asr.config import check_range
from asr.errors import AsrError

DEFAULT_WEIGHT = 5.0  # nats: enough to overturn a few orders of magnitude of LM probability (docs/transcribe.md)
WEIGHT_RANGE = (0.0, 100.0, False, False)  # 0 switches a phrase off; 100 nats already overrules any audio


class HotWords:
    """The hot phrases of one search: {phrase: weight}, phrases normalised ("new york"), weights > 0."""

    def __init__(self, weights):
        self.weights = {phrase: w for phrase, w in weights.items() if w > 0}
        self.words = {word for phrase in self.weights for word in phrase.split(" ")}
        self.word_prefixes = {word[:k] for word in self.words for k in range(1, len(word) + 1)}
        self.max_weight = max(self.weights.values(), default=0.0)
        self.max_words = max((phrase.count(" ") + 1 for phrase in self.weights), default=1)
        self.bonus = {}  # every proper prefix of a phrase (its trailing space too) -> the largest share it earns
        for phrase, weight in self.weights.items():
            for k in range(1, len(phrase) + 1):
                share = weight * k / (len(phrase) + 1)
                self.bonus[phrase[:k]] = max(self.bonus.get(phrase[:k], 0.0), share)

    def __bool__(self):
        return bool(self.weights)

    def advance(self, match, text, char):
        """The match after `char` follows `text`, whose match was `match`: the longest end of text + char
        that starts at a word start and is a prefix of a phrase ("" right after a space), or None."""
        if match is not None and match + char in self.bonus:
            return match + char
        if match is None and char != " ":  # no end of text is a phrase prefix, so no longer one is (mid-word)
            return None
        extended = text + char
        starts, end = [], len(extended)
        while len(starts) < self.max_words:  # the starts of its last max_words words, latest first
            space = extended.rfind(" ", 0, end)
            starts.append(space + 1)
            if space < 0:
                break
            end = space
        for start in reversed(starts):  # the earliest start: the longest candidate
            candidate = extended[start:]
            if not candidate or candidate in self.bonus:
                return candidate
        return None

    def prefix_bonus(self, match):
        return self.bonus.get(match, 0.0) if match else 0.0

    def completed(self, match):
        """The weight a word ending now earns: that of the phrase `match` spells whole, else 0."""
        return self.weights.get(match, 0.0) if match else 0.0


def parse_hotword(spec, symbols, where="--hotword"):
    """"word[:weight]" (a phrase may hold spaces) -> (normalised phrase, weight); AsrError naming the spec."""
    phrase, colon, weight_text = spec.rpartition(":")
    if not colon:
        phrase, weight = spec, DEFAULT_WEIGHT
    else:
        try:
            weight = float(weight_text)
        except ValueError:
            raise AsrError(f"{where} {spec!r}: the weight after ':' must be a number, got {weight_text!r}") from None
        check_range(weight, WEIGHT_RANGE, f"{where} {spec!r}: the weight")
    phrase = " ".join(phrase.lower().split())
    if not phrase:
        raise AsrError(f"{where} {spec!r}: empty word")
    unknown = sorted({c for c in phrase if c != " " and c not in symbols})
    if unknown:
        raise AsrError(f"{where} {spec!r}: the model cannot spell {' '.join(map(repr, unknown))} (its letters: "
                       f"{''.join(s for s in symbols[1:] if s != ' ')})")
    return phrase, weight


def read_hotword_file(path):
    """The specs of a hot-word file, one `word[:weight]` a line (blank lines and # comments skipped), each
    with where it comes from: [(spec, "FILE:LINE"), ...]."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise AsrError(f"{path}: hot-word file not found") from None
    except UnicodeDecodeError:
        raise AsrError(f"{path}: not a UTF-8 text file") from None
    return [(line.strip(), f"{path}:{n}") for n, line in enumerate(lines, 1)
            if line.strip() and not line.lstrip().startswith("#")]


def parse_hotwords(located_specs, symbols):
    """HotWords of [(spec "word[:weight]", where it was given), ...]; a phrase given twice keeps its last
    weight."""
    return HotWords(dict(parse_hotword(spec, symbols, where) for spec, where in located_specs))
