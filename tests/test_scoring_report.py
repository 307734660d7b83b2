"""Alignments and S/D/I counts against hand-computed cases; bootstrap statistics; the split report files."""

import json

import numpy as np
import pytest

from asr.evaluation.alignment import align_words, count_marks, error_tallies, format_alignment
from asr.evaluation.significance import bootstrap_ci, probability_b_better
from asr.evaluation.split_report import write_split_report


@pytest.mark.parametrize("ref, hyp, expected", [
    ("a b c d", "a x c d e", [("a", "a", "C"), ("b", "x", "S"), ("c", "c", "C"), ("d", "d", "C"), (None, "e", "I")]),
    ("one two three", "one three", [("one", "one", "C"), ("two", None, "D"), ("three", "three", "C")]),
    ("a b", "", [("a", None, "D"), ("b", None, "D")]),
    ("", "x y", [(None, "x", "I"), (None, "y", "I")]),
    ("same words", "same words", [("same", "same", "C"), ("words", "words", "C")]),
])
def test_alignment_matches_hand_computed_cases(ref, hyp, expected):
    assert align_words(ref, hyp) == expected


def test_counts_and_tallies_of_hand_computed_alignments():
    pairs = [align_words("the cat sat", "the bat sat down"), align_words("a cat ran", "a bat"),
             align_words("go now", "now")]
    assert [count_marks(p) for p in pairs] == [{"C": 2, "S": 1, "D": 0, "I": 1}, {"C": 1, "S": 1, "D": 1, "I": 0},
                                               {"C": 1, "S": 0, "D": 1, "I": 0}]
    substitutions, deletions, insertions = error_tallies(pairs)
    assert substitutions == {("cat", "bat"): 2}
    assert deletions == {"ran": 1, "go": 1} and insertions == {"down": 1}


def test_sclite_style_lines_pad_columns_and_mark_errors():
    ref, hyp, marks = format_alignment(align_words("the cat sat", "the bat sat down"))
    assert ref == "REF:  the CAT sat ****"
    assert hyp == "HYP:  the BAT sat DOWN"
    assert marks == "EVAL:     S       I"


def test_bootstrap_interval_is_deterministic_for_a_seed_and_brackets_the_wer():
    rng = np.random.default_rng(3)
    words = rng.integers(3, 12, size=300)
    errors = rng.binomial(words, 0.2)
    wer = errors.sum() / words.sum()
    first, again = bootstrap_ci(errors, words, seed=5), bootstrap_ci(errors, words, seed=5)
    assert first == again and bootstrap_ci(errors, words, seed=6) != first
    assert first[0] < wer < first[1] and first[1] - first[0] < 0.1


def test_bootstrap_interval_collapses_when_every_utterance_has_the_same_wer():
    low, high = bootstrap_ci([1, 2, 3], [4, 8, 12])
    assert low == pytest.approx(0.25) and high == pytest.approx(0.25)


def test_paired_comparison():
    words = [5] * 50
    worse, better = [2] * 50, [1] * 50
    assert probability_b_better(worse, better, words) == 1.0
    assert probability_b_better(better, worse, words) == 0.0
    mixed = [1, 3] * 25  # same total as worse: B better in about half the resamplings
    p = probability_b_better(worse, mixed, words, seed=1)
    assert p == probability_b_better(worse, mixed, words, seed=1) and 0.2 < p < 0.8


def test_split_report_files(tmp_path):
    rows = [{"id": "u1", "text": "the cat sat", "speaker": "s1", "duration": 1.0},
            {"id": "u2", "text": "a dog ran home", "speaker": "s2", "duration": 1.5},
            {"id": "u3", "text": "no features", "speaker": "s2", "duration": 1.0}]
    hyps = {"u1": "the cat sat", "u2": "a dog ran hum"}
    scores = write_split_report(tmp_path, rows, hyps, [("u3", "no features")], "greedy")
    assert scores["wer"] == pytest.approx(1 / 7, abs=1e-4) and scores["substitutions"] == 1
    assert scores["wer_ci95"][0] <= scores["wer"] <= scores["wer_ci95"][1] and scores["skipped_utts"] == 1
    assert json.loads((tmp_path / "wer.json").read_text()) == scores
    alignments = (tmp_path / "alignments.txt").read_text()
    assert alignments.index("id: u2") < alignments.index("id: u1")  # worst first
    assert "HYP:  a dog ran HUM" in alignments
    speakers = (tmp_path / "speakers.tsv").read_text().splitlines()
    assert speakers[1].startswith("s2\t1\t4\t1\t25.00%") and speakers[2].startswith("s1\t1\t3\t0\t0.00%")
    assert "1: home -> hum" in (tmp_path / "errors.txt").read_text()
    utterances = [json.loads(line) for line in (tmp_path / "utterances.jsonl").read_text().splitlines()]
    assert [(u["id"], u["errors"], u["words"]) for u in utterances] == [("u1", 0, 3), ("u2", 1, 4)]
