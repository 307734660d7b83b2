"""English transcript normalisation: the one rule every corpus, the LM text and synth_en share.

Written forms are spelled out as an English reader says them, then reduced to the character
vocabulary (tokenizer.CHARACTERS):

    numbers        "3" three, "1,000" one thousand, "3.5" three point five, "-2" minus two, "007" zero
                   zero seven, "21st" twenty first, a lone 1100-2099 as a year ("1999" nineteen ninety
                   nine), decades ("1990s" nineteen nineties); words by num2words
    money          "$5.50" five dollars fifty cents, "£1" one pound, "€20" twenty euros,
                   "$2 million" two million dollars
    symbols        "%" percent, "&" and
    abbreviations  Mr. Mrs. Ms. Dr. Prof. Mt. (also without the period before a capitalised name),
                   St. (saint before a capitalised name, else street), Jr. Sr. etc. vs. e.g. i.e.,
                   No. before a number

then lower case; accents folded (é e, and ß ss, æ ae, œ oe, ø o, ł l, ð d, þ th); hyphens and dashes
to spaces; other punctuation (. , ; : ! ? quotes, brackets) dropped; apostrophes kept inside words;
spaces squeezed. Any other character (a letter of another script, "#", "*", "/", "§", ...) is not
guessed at: normalize_text raises UnspellableText naming it, and the caller skips that utterance (or
LM line) saying why, instead of training on a label with a word missing.
"""

import re
import unicodedata

from num2words import num2words

from asr.data.tokenizer import CHARACTERS
from asr.errors import AsrError

LANGUAGE = "en"  # the only language these rules spell numbers and abbreviations in
# Bump when the rule changes what a transcript becomes: prepared data and LM text made under another
# version are made again (1 deleted digits and symbols; 2 spells them out).
NORMALISATION_VERSION = 2


class UnspellableText(AsrError):
    """Text holding characters the vocabulary cannot spell even after normalisation."""


def require_english(language, source):
    """Refuse a corpus in another language: its labels would be spelled by English rules."""
    if language.lower().replace("_", "-").split("-")[0] != LANGUAGE:
        raise AsrError(f"{source}: language {language!r}: transcript normalisation is English-only")


_TITLES = {"mr": "mister", "mrs": "missus", "ms": "miz", "dr": "doctor", "prof": "professor", "mt": "mount",
           "st": "saint"}
# "St." not before a name is a street ("Main St.")
_ABBREVIATIONS = {**_TITLES, "st": "street", "jr": "junior", "sr": "senior", "etc": "et cetera",
                  "vs": "versus", "e.g": "for example", "i.e": "that is"}
_TITLE = re.compile(r"\b(Mr|Mrs|Ms|Dr|Prof|Mt|St)\.?(?=\s+[A-Z])")  # before a name: "St" is a saint
_ABBREVIATION = re.compile(r"\b(e\.g|i\.e|etc|vs|jr|sr|st|dr|mrs|mr|ms|prof|mt)\.", re.IGNORECASE)
_NUMBER_SIGN = re.compile(r"\bNo\.\s*(?=\d)")


def expand_abbreviations(text):
    text = _TITLE.sub(lambda m: _TITLES[m[1].lower()], text)
    text = _ABBREVIATION.sub(lambda m: " " + _ABBREVIATIONS[m[1].lower()] + " ", text)
    return _NUMBER_SIGN.sub("number ", text)


_DIGITS = "zero one two three four five six seven eight nine".split()
_CURRENCIES = {"$": ("dollar", "dollars", "cent", "cents"), "£": ("pound", "pounds", "penny", "pence"),
               "€": ("euro", "euros", "cent", "cents")}
_AMOUNT = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"  # thousands separated by commas, or not
_MONEY = re.compile(rf"([$£€])\s?({_AMOUNT})(?:\s?(thousand|million|billion|trillion)\b)?")
_PERCENT = re.compile(rf"({_AMOUNT})\s?%")
_ORDINAL = re.compile(r"\b(\d{1,3}(?:,\d{3})+|\d+)(?:st|nd|rd|th)\b", re.IGNORECASE)  # "1,000th" too
_DECADE = re.compile(r"'?\b(\d*0)s\b")
_MINUS = re.compile(r"(?<![\w.])-(?=[$£€]?\d)")
_NUMBER = re.compile(_AMOUNT)
_DIGIT = re.compile(r"\d")


def spell_number(written, year=True):
    """'1,000' -> one thousand, '3.50' -> three point five zero, '007' -> zero zero seven, '1999' a year."""
    whole, _, fraction = written.replace(",", "").partition(".")
    if (len(whole) > 1 and whole.startswith("0")) or len(whole) > 15:  # a code, not a quantity
        words = " ".join(_DIGITS[int(d)] for d in whole)
    elif year and "," not in written and not fraction and len(whole) == 4 and 1100 <= int(whole) <= 2099:
        words = num2words(int(whole), lang=LANGUAGE, to="year")
    else:
        words = num2words(int(whole), lang=LANGUAGE)
    if fraction:  # read digit by digit: "3.14" is three point one four
        words += " point " + " ".join(_DIGITS[int(d)] for d in fraction)
    return words


def spell_money(match):
    """'$5.50' -> five dollars fifty cents, '$1' -> one dollar, '$2.5 million' -> two point five million dollars."""
    one, many, cent, cents = _CURRENCIES[match[1]]
    amount, scale = match[2].replace(",", ""), match[3]
    whole, _, fraction = amount.partition(".")
    if scale or len(fraction) > 2:
        return f" {spell_number(amount, year=False)} {scale or ''} {many} "
    units, hundredths = int(whole), int(fraction.ljust(2, "0"))
    parts = []
    if units or not hundredths:  # "$0.50" is fifty cents, "$0" zero dollars
        parts.append(f"{spell_number(whole, year=False)} {one if units == 1 else many}")
    if hundredths:
        parts.append(f"{num2words(hundredths, lang=LANGUAGE)} {cent if hundredths == 1 else cents}")
    return f" {' '.join(parts)} "


def _plural(words):
    return words[:-1] + "ies" if words.endswith("y") else words + "s"


def spell_numbers(text):
    """Money, percentages, ordinals, decades, then every other number, spelled out in words."""
    if not _DIGIT.search(text):  # most text: six regular expressions saved
        return text
    text = _MINUS.sub(" minus ", text)  # first: "-5%" is minus five percent
    text = _MONEY.sub(spell_money, text)
    text = _PERCENT.sub(lambda m: f" {spell_number(m[1], year=False)} percent ", text)
    text = _ORDINAL.sub(lambda m: f" {num2words(int(m[1].replace(',', '')), lang=LANGUAGE, to='ordinal')} ", text)
    text = _DECADE.sub(lambda m: f" {_plural(spell_number(m[1]))} ", text)
    return _NUMBER.sub(lambda m: f" {spell_number(m[0])} ", text)


# letters NFKD leaves whole, spelled the way English writes them; typographic apostrophes
_LATIN_FOLDS = str.maketrans({"ß": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o",
                              "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th",
                              "ı": "i", "’": "'", "‘": "'", "`": "'", "´": "'", "&": " and "})
_SILENT = '.,;:!?"¡¿'  # punctuation no one pronounces; dashes, brackets and quotes go by category
_SILENT_CATEGORIES = {"Pd", "Ps", "Pe", "Pi", "Pf"}
_ASCII_SILENT = str.maketrans({c: " " for c in _SILENT + "-()[]{}"})  # the categories' ASCII members
_VOCABULARY = set(CHARACTERS)
_SHOWN = 5  # unspellable characters named in a message (a sentence in another script has dozens)


def _fold_non_ascii(text):
    """Accents off (é -> e), non-ASCII dashes, brackets, quotes and silent marks to spaces."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(" " if c in _SILENT or unicodedata.category(c) in _SILENT_CATEGORIES else c
                   for c in text if not unicodedata.combining(c))


def reduce_to_vocabulary(text):
    """Fold accents and case, drop unspoken punctuation; raises UnspellableText on anything else left."""
    text = text.translate(_LATIN_FOLDS)
    if not text.isascii():  # most text is ASCII: skip the per-character pass
        text = _fold_non_ascii(text)
    words = [w.strip("'") for w in text.lower().translate(_ASCII_SILENT).split()]
    text = " ".join(w for w in words if w)
    unknown = sorted(set(text) - _VOCABULARY)
    if unknown:
        shown = " ".join(map(repr, unknown[:_SHOWN])) + (" ..." if len(unknown) > _SHOWN else "")
        raise UnspellableText(f"characters the vocabulary cannot spell: {shown}")
    return text


def normalize_text(text):
    """The module's rule: English written text -> words over CHARACTERS; raises UnspellableText."""
    if not text.isascii():  # compatibility forms first, so that "²" is a digit the number rules see
        text = unicodedata.normalize("NFKC", text)
    return reduce_to_vocabulary(spell_numbers(expand_abbreviations(text)))
