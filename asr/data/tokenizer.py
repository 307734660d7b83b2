"""Tokenizers: characters, or a list of symbols such as phones.

Token 0 is the CTC blank, written down here once. Text reaches the character tokenizer normalised
(asr/data/text_normalisation.py).
"""

BLANK = 0
BLANK_SYMBOL = "<b>"
CHARACTERS = " 'abcdefghijklmnopqrstuvwxyz"
SPACE = 1 + CHARACTERS.index(" ")  # the word separator's id


class CharTokenizer:
    """Maps normalised text to ids 1..len(CHARACTERS) and back; id 0 is the CTC blank."""

    spells_words = True  # words are letter sequences between SPACE tokens (LM decoding, word timings)

    def __init__(self, characters=CHARACTERS):
        self.characters = characters
        self.symbols = [BLANK_SYMBOL] + list(characters)
        self._ids = {c: i + 1 for i, c in enumerate(characters)}

    @property
    def vocab_size(self):
        return len(self.symbols)

    def encode(self, text):
        """Normalised text -> list of ids; raises ValueError on a character outside the vocabulary."""
        try:
            return [self._ids[c] for c in text]
        except KeyError as e:
            raise ValueError(f"character {e.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids):
        """Ids (blank and padding ids <= 0 skipped) -> text with single spaces."""
        return " ".join("".join(self.symbols[i] for i in ids if i > BLANK).split())


class SymbolTokenizer:
    """Maps space-separated symbols (e.g. TIMIT phones) to ids 1..len(symbols) and back; id 0 is the blank.

    A hypothesis is a symbol sequence, so WER over it is the symbol (phone) error rate.
    """

    spells_words = False

    def __init__(self, symbols):
        self.symbols = [BLANK_SYMBOL] + list(symbols)
        self._ids = {s: i + 1 for i, s in enumerate(symbols)}

    @property
    def vocab_size(self):
        return len(self.symbols)

    def encode(self, text):
        """'sil b ah' -> list of ids; raises ValueError on a symbol outside the vocabulary."""
        try:
            return [self._ids[s] for s in text.split()]
        except KeyError as e:
            raise ValueError(f"symbol {e.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids):
        return " ".join(self.symbols[i] for i in ids if i > BLANK)


def make_tokenizer(vocabulary=()):
    """The tokenizer of a model config's `vocabulary`: characters when empty, else those symbols."""
    return SymbolTokenizer(vocabulary) if vocabulary else CharTokenizer()
