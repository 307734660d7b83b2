"""Hot-words (contextual biasing) and n-best lists of the beam decoders, and their `asr transcribe` options."""

import json

import numpy as np
import pytest

from asr.data.tokenizer import CharTokenizer
from asr.decoding.hotwords import DEFAULT_WEIGHT, HotWords, parse_hotword, parse_hotwords, read_hotword_file
from asr.decoding.lm_beam import LmDecoder
from asr.decoding.ngram_lm import arpa_unigrams
from asr.errors import AsrError
from tests.test_cli import asr
from tests.test_lm import TOY_ARPA, spelled_logits

SYMBOLS = CharTokenizer().symbols


def nbest(decoder, logits, hotwords=None, n=10):
    decoder.hotwords = HotWords(hotwords) if hotwords is not None else None
    return dict(decoder.decode_nbest(logits, n))


def test_a_hot_word_the_lm_never_saw_is_recovered():
    assert "hot" not in arpa_unigrams(TOY_ARPA)
    logits = spelled_logits("the hot sat", confusions={5: ("a", 0.45)})  # the audio leans to "hot", the LM to "hat"
    decoder = LmDecoder(TOY_ARPA, alpha=0.5, beta=1.0)
    assert decoder.decode([logits]) == ["the hat sat"]
    decoder.hotwords = HotWords({"hot": DEFAULT_WEIGHT})
    assert decoder.decode([logits]) == ["the hot sat"]


def test_a_hot_word_the_lm_finds_improbable_is_recovered():
    logits = spelled_logits("the mat ate", confusions={4: ("c", 0.6)})  # "cat ate" is in the LM text, "mat ate" not
    decoder = LmDecoder(TOY_ARPA, alpha=0.5, beta=1.0)
    assert decoder.decode([logits]) == ["the cat ate"]
    decoder.hotwords = HotWords({"mat": DEFAULT_WEIGHT})
    assert decoder.decode([logits]) == ["the mat ate"]


def test_weight_zero_is_the_plain_search():
    logits = spelled_logits("the hot sat", confusions={5: ("a", 0.45), 9: ("e", 0.4)})
    decoder = LmDecoder(TOY_ARPA, alpha=0.5, beta=1.0)
    plain = nbest(decoder, logits)
    assert len(plain) > 2 and nbest(decoder, logits, {"hot": 0.0, "sat": 0.0}) == plain
    assert nbest(decoder, logits, {"hot": 2.0}) != plain


def test_a_completed_hot_word_adds_its_weight_and_nothing_else():
    logits = spelled_logits("the hat sat", confusions={4: ("c", 0.3)})
    decoder = LmDecoder(TOY_ARPA, alpha=0.5, beta=1.0)
    plain, boosted = nbest(decoder, logits), nbest(decoder, logits, {"hat": 2.5})
    assert boosted["the hat sat"] == pytest.approx(plain["the hat sat"] + 2.5)
    assert boosted["the cat sat"] == pytest.approx(plain["the cat sat"])  # no hot-word in it
    # a hot phrase of two words earns its weight once, when both are spelled
    boosted = nbest(decoder, logits, {"hat sat": 2.5})
    assert boosted["the hat sat"] == pytest.approx(plain["the hat sat"] + 2.5)


def test_the_prefix_bonus_is_taken_back_when_the_word_is_not_completed():
    """"hat" begins the hot-word "hatch": beams spelling it carry a share of its weight while they do, but a
    hypothesis that ends with "hat", or goes on with another word, scores exactly as without hot-words."""
    decoder = LmDecoder(TOY_ARPA, alpha=0.5, beta=1.0)
    for text, confusions in (("the hat sat", {4: ("c", 0.3)}), ("a hat", {2: ("c", 0.3)})):
        logits = spelled_logits(text, confusions)
        plain, hot = nbest(decoder, logits), nbest(decoder, logits, {"hatch": 8.0, "hat on the mat": 8.0})
        assert hot.keys() == plain.keys() and len(hot) > 1
        for sentence, score in plain.items():
            assert hot[sentence] == pytest.approx(score), sentence


def test_the_prefix_bonus_keeps_a_hot_word_alive_through_pruning():
    """Halfway through a hot-word, its beam carries a share of the weight growing with what it spelled."""
    hot = HotWords({"hatch": 6.0, "new york": 9.0})
    assert hot.prefix_bonus(hot.advance("", "", "h")) == pytest.approx(1.0)
    assert hot.prefix_bonus("hatc") == pytest.approx(4.0) and hot.completed("hatch") == 6.0
    assert hot.completed("hatc") == 0.0 and hot.prefix_bonus(None) == 0.0
    # matches start at word starts, cross spaces within a phrase, and restart at a later word when one fails
    assert hot.advance("new", "the new", " ") == "new "
    assert hot.advance("new ", "the new ", "y") == "new y"
    assert hot.advance("new ", "new ", "h") == "h"  # "new h..." is no phrase, "h..." begins "hatch"
    assert hot.advance(None, "thea", "t") is None  # "hat" inside a word is no match
    assert hot.advance(None, "the", " ") == ""


def test_an_unknown_hot_word_is_not_charged_its_spelling():
    """A word the LM never saw is charged its spelling (a uniform letter model) on top of <unk>; a listed word
    is not: it scores as <unk> plus its weight, so a name can win with a modest weight."""
    logits = spelled_logits("the hot sat", confusions={5: ("a", 0.45)})
    decoder = LmDecoder(TOY_ARPA, alpha=0.5, beta=1.0)
    plain, boosted = nbest(decoder, logits), nbest(decoder, logits, {"hot": 1.0})
    spelling = -0.5 * np.log(len(SYMBOLS) - 1) * len("hot ")  # alpha * ln P(h, o, t, end | unknown word)
    assert boosted["the hot sat"] == pytest.approx(plain["the hot sat"] + 1.0 - spelling)
    assert boosted["the hat sat"] == pytest.approx(plain["the hat sat"])


def confusable_logits():
    return spelled_logits("the cat sat on a mat", confusions={4: ("h", 0.4), 9: ("e", 0.3), 16: ("e", 0.45),
                                                              19: ("h", 0.35)})


def test_lm_nbest_is_sorted_distinct_and_starts_with_the_best():
    logits = confusable_logits()
    decoder = LmDecoder(TOY_ARPA, alpha=0.5, beta=1.0, beam_width=16)
    kept = len(decoder.decode_nbest(logits, 16))  # the beams within PRUNE_LOGP of the best at the end
    assert kept >= 4
    for n in (1, 3, kept + 3):
        alternatives = decoder.decode_nbest(logits, n)
        texts, scores = [t for t, _ in alternatives], [s for _, s in alternatives]
        assert len(alternatives) == min(n, kept) and len(set(texts)) == len(texts)
        assert scores == sorted(scores, reverse=True) and texts[0] == decoder.decode([logits])[0]


def test_tf_beam_nbest_is_sorted_distinct_and_starts_with_the_best():
    from asr.decoding.ctc_decoders import BeamDecoder
    decoder = BeamDecoder(CharTokenizer(), beam_width=16)
    logits = confusable_logits()
    alternatives = decoder.decode_nbest(logits, 5)
    texts, scores = [t for t, _ in alternatives], [s for _, s in alternatives]
    assert 1 < len(texts) <= 5 and len(set(texts)) == len(texts) and texts[0] == decoder.decode([logits])[0]
    assert scores == sorted(scores, reverse=True) and "the cat sat on a mat" in texts


def test_chunk_alternatives_join_into_the_files_best():
    from asr.inference.transcriber import joined_nbest
    first, second = [("a b", -1.0), ("a", -2.0)], [("c", -0.5), ("b c", -3.0), ("", -4.0)]
    # "a b c" is reached twice ("a b" + "c", "a" + "b c"): once, with its best score
    assert joined_nbest(first, second, 4) == [("a b c", -1.5), ("a c", -2.5), ("a b b c", -4.0), ("a b", -5.0)]
    assert joined_nbest([("", 0.0)], first, 5) == first  # a file's first chunk


@pytest.mark.parametrize("spec, problem", [
    (":3", "empty word"), ("  ", "empty word"), ("cat:x", "must be a number, got 'x'"),
    ("cat:-1", "must be"), ("cat:1000", "must be"), ("cat:nan", "must be"), ("café", "cannot spell 'é'"),
    ("r2d2", "cannot spell '2'")])
def test_bad_hot_word_specs_are_one_line_errors(spec, problem):
    with pytest.raises(AsrError, match=problem) as error:
        parse_hotword(spec, SYMBOLS)
    assert "\n" not in str(error.value) and repr(spec) in str(error.value)


def test_hot_word_specs_and_files(tmp_path):
    assert parse_hotword("  New   York:7.5", SYMBOLS) == ("new york", 7.5)
    assert parse_hotword("o'brien", SYMBOLS) == ("o'brien", DEFAULT_WEIGHT)
    (tmp_path / "hot.txt").write_text("# names\nzorb:3\n\nnew york\nzorb:0\n")
    hot = parse_hotwords(read_hotword_file(tmp_path / "hot.txt"), SYMBOLS)
    assert hot.weights == {"new york": DEFAULT_WEIGHT}  # the last zorb switches it off
    (tmp_path / "bad.txt").write_text("zorb\nzorb:y\n")
    with pytest.raises(AsrError, match=r"bad.txt:2 'zorb:y'"):
        parse_hotwords(read_hotword_file(tmp_path / "bad.txt"), SYMBOLS)
    with pytest.raises(AsrError, match="nope.txt: hot-word file not found"):
        read_hotword_file(tmp_path / "nope.txt")


@pytest.fixture(scope="module")
def random_model(tmp_path_factory):
    """A tiny random model exported to ONNX, and a 3-second noise file: enough for the options' plumbing."""
    from tools.bench_startup import make_model_dir, write_wav
    out = tmp_path_factory.mktemp("random_model")
    write_wav(out / "noise.wav")
    return make_model_dir(out), out / "noise.wav"


def test_transcribe_json_alternatives_with_hot_words(random_model):
    model, wav = random_model
    result = asr("transcribe", "--model", model, "--lm-arpa", TOY_ARPA, "--beam-width", "8", "--json",
                 "--nbest", "3", "--hotword", "cat:2", "--hotword", "zorb", wav)
    assert result.returncode == 0, result.stderr
    item = json.loads(result.stdout)[0]
    assert set(item) == {"file", "duration", "text", "words", "alternatives"}
    texts, scores = [a["text"] for a in item["alternatives"]], [a["score"] for a in item["alternatives"]]
    assert 1 <= len(texts) <= 3 and len(set(texts)) == len(texts) and texts[0] == item["text"]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("options, problem", [
    (["--nbest", "3"], "--nbest lists the alternatives in the JSON output: add --json"),
    (["--nbest", "0", "--json"], "--nbest must be ≥ 1, got 0"),
    (["--nbest", "2", "--json", "--strategy", "greedy"], "alternatives (n-best lists) need a beam search"),
    (["--nbest", "9", "--json", "--beam-width", "8", "LM"], "9 alternatives asked for, more than the beam width 8"),
    (["--hotword", "cat", "--strategy", "greedy"], "hot-words need the word-LM beam search (beam_lm), not greedy"),
    (["--hotword", "cat:lots", "LM"], "--hotword 'cat:lots': the weight after ':' must be a number"),
    (["--hotword", "café", "LM"], "--hotword 'café': the model cannot spell 'é'"),
    (["--hotwords", "missing.txt", "LM"], "missing.txt: hot-word file not found"),
    (["--hotword", "cat"], "lm_weights.json: no tuned LM for this run")])  # alone, hot-words mean the run's LM
def test_transcribe_option_errors_are_one_line(random_model, options, problem):
    model, wav = random_model
    options = [str(TOY_ARPA) if o == "LM" else o for o in options]
    if str(TOY_ARPA) in options:
        options.insert(options.index(str(TOY_ARPA)), "--lm-arpa")
    result = asr("transcribe", "--model", model, *options, wav)
    lines = result.stderr.splitlines()
    assert result.returncode == 1 and result.stdout == "" and len(lines) == 1, result.stderr
    assert lines[0].startswith("asr transcribe: ") and problem in lines[0]


def test_transcribe_json_with_plain_beam_lists_alternatives_without_word_times(random_model):
    model, wav = random_model  # TensorFlow's beam search keeps no word frames: the JSON leaves `words` out
    result = asr("transcribe", "--model", model, "--strategy", "beam", "--beam-width", "8", "--json", "--nbest", "2",
                 "--backend", "tf", wav)
    assert result.returncode == 0, result.stderr
    item = json.loads(result.stdout)[0]
    assert set(item) == {"file", "duration", "text", "alternatives"}
    assert item["alternatives"][0]["text"] == item["text"]
