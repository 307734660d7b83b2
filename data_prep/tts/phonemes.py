"""English text -> the phoneme alphabet of Kokoro and hibari (misaki's), by hibari-tts' G2P: its American and
British lexicons and spelling rules, a part-of-speech tagger and a small net for unknown words, all in its wheel."""

from functools import cache


def english_phonemes(text, british=False):
    """Phonemes of one normalised corpus sentence, read as a statement (it ends with a period)."""
    return _g2p(british)(f"{text}.")


@cache
def _g2p(british):
    from hibari.g2p import G2P
    return G2P(british=british)
