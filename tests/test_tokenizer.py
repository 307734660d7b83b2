import pytest

from asr.data.tokenizer import BLANK, CharTokenizer, SymbolTokenizer, make_tokenizer


def test_round_trip_and_blank():
    tok = CharTokenizer()
    text = "it's a quarter till four"
    ids = tok.encode(text)
    assert BLANK == 0 and BLANK not in ids
    assert tok.decode(ids) == text
    assert tok.vocab_size == 29


def test_decode_skips_blank_and_padding():
    tok = CharTokenizer()
    assert tok.decode([0, *tok.encode("ab"), 0, -1]) == "ab"


def test_unknown_character_is_named():
    with pytest.raises(ValueError, match="'Z'"):
        CharTokenizer().encode("aZ")


def test_symbol_tokenizer_for_phones():
    tok = make_tokenizer(["aa", "b", "sil"])
    assert isinstance(tok, SymbolTokenizer) and tok.vocab_size == 4 and not tok.spells_words
    assert tok.encode("sil b aa sil") == [3, 2, 1, 3]
    assert tok.decode([BLANK, 3, 2, BLANK, 1]) == "sil b aa"
    with pytest.raises(ValueError, match="symbol 'zz' is not in the vocabulary"):
        tok.encode("sil zz")
    assert isinstance(make_tokenizer([]), CharTokenizer)
