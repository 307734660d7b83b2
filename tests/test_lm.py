"""Word LM: estimation with IRSTLM (normalised, held-out sentences excluded) and LM beam search.

The decoder tests read tests/data/toy_3gram.arpa, IRSTLM's model of TOY_TEXT kept in the repository, so they
run without IRSTLM; only the tests of `asr lm` (estimation) need it, and one of them checks that the kept file
is still what IRSTLM makes of TOY_TEXT.
"""

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from asr.data.tokenizer import BLANK, SPACE, CharTokenizer
from asr.decoding.lm_beam import LmDecoder, log_softmax, tune_weights
from asr.decoding.ngram_lm import arpa_counts, arpa_unigrams, build_arpa, build_lm, find_tlm
from asr.decoding.word_timing import aligned_word_frames, greedy_word_frames, timed_words
from asr.errors import AsrError
from asr.evaluation.scoring import score

def irstlm_missing():
    try:
        find_tlm()  # where `asr lm` looks for it
    except AsrError:
        return True
    return False


needs_irstlm = pytest.mark.skipif(irstlm_missing(), reason="IRSTLM's tlm is not installed (make test installs it)")

TOY_TEXT = ["the cat sat on the mat", "a cat sat on a hat", "the cat ate", "a hat sat on the cat",
            "the dog sat", "a dog ate the hat"]
TOY_ARPA = Path(__file__).parent / "data" / "toy_3gram.arpa"  # build_arpa(TOY_TEXT, TOY_ARPA, order=3)


@needs_irstlm
def test_the_kept_TOY_ARPA_is_what_irstlm_makes_of_the_toy_text(tmp_path):
    build_arpa(TOY_TEXT, tmp_path / "toy.arpa", order=3)
    assert (tmp_path / "toy.arpa").read_text() == TOY_ARPA.read_text(), \
        "IRSTLM estimates TOY_TEXT otherwise now: write tests/data/toy_3gram.arpa again with build_arpa"


def test_arpa_is_normalised_for_kenlm():
    import kenlm
    model = kenlm.Model(str(TOY_ARPA))
    # the distribution covers every unigram: <unk> keeps mass for unseen words, and IRSTLM pads the very
    # first context with <s>, so <s> itself has a probability (a share that vanishes on a real corpus)
    words = arpa_unigrams(TOY_ARPA) | {"<s>", "</s>", "<unk>"}
    assert len(words) == arpa_counts(TOY_ARPA)[1]  # every 1-gram, with a back-off weight or not
    for history in ([], ["the"], ["the", "cat"], ["on", "a"]):
        state = kenlm.State()
        model.BeginSentenceWrite(state)
        for word in history:
            next_state = kenlm.State()
            model.BaseScore(state, word, next_state)
            state = next_state
        total = sum(10 ** model.BaseScore(state, w, kenlm.State()) for w in words)
        assert total == pytest.approx(1.0, abs=2e-3), history
    assert model.score("the cat sat on the mat") > model.score("mat the on sat cat the")


@needs_irstlm
def test_lm_leaves_out_every_held_out_sentence(tmp_path):
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    rows = {"train": ["the cat sat", "a dog ran"], "dev": ["zebras graze slowly"], "test": ["a dog ran"]}
    for split, texts in rows.items():
        (manifests / f"{split}.jsonl").write_text("".join(json.dumps(
            {"id": f"{split}{i}", "audio": __file__, "duration": 1.0, "text": t, "speaker": "s"}) + "\n"
            for i, t in enumerate(texts)))
    (tmp_path / "extra.txt").write_text("Zebras graze slowly!\nthe zebra sat\n")
    arpa = build_lm(tmp_path, [tmp_path / "extra.txt"], order=2)
    words = arpa_unigrams(arpa)
    assert {"the", "cat", "zebra"} <= words and "zebras" not in words and "dog" not in words


def test_a_unigram_lm_is_refused_before_any_work(tmp_path):
    with pytest.raises(AsrError, match="order 2 or more"):
        build_lm(tmp_path, order=1)


def test_missing_lm_text_is_a_one_line_error(tmp_path):
    from asr.decoding.ngram_lm import read_text_lines
    with pytest.raises(AsrError, match="LM text file not found"):
        read_text_lines(tmp_path / "nope.txt")


def spelled_logits(text, confusions=None, frames_per_char=2):
    """(T, V) logits spelling `text` one character (then a blank) at a time; `confusions` maps a
    character position to (other character, its probability) so greedy decoding picks the other one."""
    tokenizer = CharTokenizer()
    rows = []
    for k, char in enumerate(text):
        probs = np.full(tokenizer.vocab_size, 1e-4)
        if confusions and k in confusions:
            other, p = confusions[k]
            probs[tokenizer.encode(other)[0]], probs[tokenizer.encode(char)[0]] = p, 1 - p
        else:
            probs[tokenizer.encode(char)[0]] = 1.0
        blank = np.full(tokenizer.vocab_size, 1e-4)
        blank[BLANK] = 1.0
        rows += [probs] + [blank] * (frames_per_char - 1)
    return np.log(np.array(rows, np.float32))


def test_lm_decoding_recovers_a_word_greedy_decoding_misspells():
    from asr.decoding.ctc_decoders import greedy_decode
    logits = spelled_logits("the cat sat", confusions={5: ("u", 0.6)})  # "cat" heard as "cut"
    tokenizer = CharTokenizer()
    assert tokenizer.decode(greedy_decode(logits[None], [len(logits)])[0]) == "the cut sat"
    decoder = LmDecoder(TOY_ARPA, alpha=0.5, beta=1.0)
    assert decoder.decode([logits]) == ["the cat sat"]


def test_lm_decoding_recovers_sentences_from_peaky_logits():
    sentences = ["the cat sat on the mat", "a dog ate the hat", "the mat"]
    decoder = LmDecoder(TOY_ARPA, alpha=0.5, beta=1.0)
    assert decoder.decode([spelled_logits(s, frames_per_char=k) for s, k in zip(sentences, (1, 2, 3))]) == sentences


def test_the_lm_settles_an_acoustically_ambiguous_word():
    logits = spelled_logits("the cat ate", confusions={4: ("h", 0.55)})  # "cat" or "hat", "hat" a bit louder
    decoder = LmDecoder(TOY_ARPA, alpha=0.0, beta=0.0)
    assert decoder.decode([logits]) == ["the hat ate"]  # without the LM, the acoustics decide
    decoder.set_weights(0.5, 1.0)
    assert decoder.decode([logits]) == ["the cat ate"]  # "cat ate" is in the LM text, "hat ate" is not


def test_an_unknown_word_is_kept_when_the_audio_is_sure_of_it():
    assert "zebra" not in arpa_unigrams(TOY_ARPA)
    decoder = LmDecoder(TOY_ARPA, alpha=0.5, beta=1.0)
    assert decoder.decode([spelled_logits("the zebra sat")]) == ["the zebra sat"]


def test_an_unknown_word_costs_its_spelling_on_top_of_unk():
    """<unk> is the LM's share of all unseen words together: alone, it would make a misheard "ca" (the
    start of "cat", so never a non-word while it is spelled) a likelier word than "cat"."""
    logits = spelled_logits("the cat sat")
    logits[12, [BLANK, CharTokenizer().encode("t")[0]]] = np.log([0.95, 0.05])  # the t of "cat" barely heard
    assert LmDecoder(TOY_ARPA, alpha=0.0, beta=1.0).decode([logits]) == ["the ca sat"]
    assert LmDecoder(TOY_ARPA, alpha=0.5, beta=1.0).decode([logits]) == ["the cat sat"]


def brute_force_ctc(logprobs, tokens, tokenizer):
    """The text whose CTC paths over `tokens` (every other token ruled out) have the most probability."""
    totals = {}
    for path in itertools.product(tokens, repeat=len(logprobs)):
        ids = [t for k, t in enumerate(path) if t != BLANK and (k == 0 or t != path[k - 1])]
        text = tokenizer.decode(ids)  # also squeezes spaces, as words are what counts
        totals[text] = np.logaddexp(totals.get(text, -np.inf), sum(logprobs[k, t] for k, t in enumerate(path)))
    return max(totals, key=totals.get)


def test_without_lm_weights_it_is_plain_prefix_beam_search():
    tokenizer = CharTokenizer()
    tokens = [BLANK, SPACE] + tokenizer.encode("at")  # "a", "t", "at", "ta", "a t", "aa" ...
    decoder = LmDecoder(TOY_ARPA, alpha=0.0, beta=0.0, beam_width=1000)
    rng = np.random.default_rng(0)
    texts = []
    for _ in range(12):
        logits = np.full((7, tokenizer.vocab_size), -30.0, np.float32)
        logits[:, tokens] = rng.normal(0, 1.5, (7, len(tokens)))
        logits[:, BLANK] += 0.5  # blanks between repeated letters are likelier then, as in a trained model
        texts.append(brute_force_ctc(log_softmax(logits), tokens, tokenizer))
        assert decoder.decode([logits]) == texts[-1:]
    assert len(set(texts)) > 6 and any("aa" in t or "tt" in t for t in texts), texts  # repeats, words


def test_word_frames_of_the_best_beam():
    logits = spelled_logits("the cat", frames_per_char=2)  # t _ h _ e _ ' ' _ c _ a _ t _
    decoder = LmDecoder(TOY_ARPA)
    assert decoder.decode_with_frames(logits) == ("the cat", [("the", (0, 4)), ("cat", (8, 12))])
    long = " ".join(TOY_TEXT)  # over 127 alignment states
    logits = spelled_logits(long)
    assert aligned_word_frames(logits, long, CharTokenizer()) == greedy_word_frames(logits, CharTokenizer())
    held = spelled_logits("aat ccaa", frames_per_char=1)  # characters held over frames: a word's first
    assert aligned_word_frames(held, "at ca", CharTokenizer()) == [("at", (0, 2)), ("ca", (4, 7))]  # to last


def test_weight_tuning_picks_the_best_grid_point():
    logits = [spelled_logits("the cat sat", {5: ("u", 0.6)}), spelled_logits("a dog ate", {3: ("b", 0.7)})]
    decoder = LmDecoder(TOY_ARPA)
    tuned = tune_weights(decoder, logits, ["the cat sat", "a dog ate"], score, alphas=(0.0, 0.5), betas=(0.0, 1.0))
    assert tuned["wer"] == min(g["wer"] for g in tuned["grid"]) == 0.0 and len(tuned["grid"]) == 4
    assert (decoder.alpha, decoder.beta) == (tuned["alpha"], tuned["beta"]) and tuned["alpha"] == 0.5


def test_unreadable_arpa_is_a_one_line_error(tmp_path):
    (tmp_path / "bad.arpa").write_text("\\data\\\nngram 1=2\n\n\\1-grams:\n-1.0 a\n")
    with pytest.raises(AsrError, match="bad.arpa"):
        LmDecoder(tmp_path / "bad.arpa")
    with pytest.raises(AsrError, match="nope.arpa: LM file not found"):
        LmDecoder(tmp_path / "nope.arpa")


def test_greedy_word_frames_and_times():
    logits = spelled_logits("ab cd")  # a _ b _ ' ' _ c _ d _ : 10 frames
    assert greedy_word_frames(logits, CharTokenizer()) == [("ab", (0, 2)), ("cd", (6, 8))]
    words = timed_words(greedy_word_frames(logits, CharTokenizer()), logits, 0.03, offset_seconds=1.0)
    assert [(w["word"], w["start"], w["end"]) for w in words] == [("ab", 1.0, 1.09), ("cd", 1.18, 1.27)]
    assert all(0.99 < w["confidence"] <= 1.0 for w in words)
    unsure = spelled_logits("ab", {0: ("c", 0.4)})
    assert timed_words(greedy_word_frames(unsure, CharTokenizer()), unsure, 0.03)[0]["confidence"] < 0.85
