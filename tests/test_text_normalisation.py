"""The one English normalisation: written forms spelled out, the unspellable refused with the reason."""

import json

import pytest

from asr.data.text_normalisation import UnspellableText, normalize_text, require_english
from asr.errors import AsrError
from data_prep import common_voice, folder
from data_prep.common_voice import prepare_common_voice
from data_prep.corpus import Item, normalise_items
from tests import corpus_fixtures
from tests.test_data_prep import write_tone


@pytest.mark.parametrize("raw, expected", [
    ("He turns a blind-eye.", "he turns a blind eye"),
    ("  'Quoted'  words, here; ", "quoted words here"),
    ("the president's point man", "the president's point man"),
    ("the president’s “point” man", "the president's point man"),
    ("Café déjà vu!", "cafe deja vu"),
    ("Straße, encyclopædia, Bjørn", "strasse encyclopaedia bjorn"),
    ("", ""),
])
def test_what_was_done_before_is_still_done(raw, expected):
    assert normalize_text(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("I have 3 cats", "i have three cats"),
    ("Dr. Smith paid $5", "doctor smith paid five dollars"),
    ("3.5 kg", "three point five kg"),
    ("in 1999", "in nineteen ninety nine"),
    ("in 2005", "in two thousand and five"),
    ("1,000,000 people", "one million people"),
    ("the 3rd and the 21st", "the third and the twenty first"),
    ("the 1990s", "the nineteen nineties"),
    ("agent 007", "agent zero zero seven"),
    ("-5 degrees", "minus five degrees"),
    ("-5% and -$5", "minus five percent and minus five dollars"),  # the sign survives percent and money
    ("the 1,000th visitor", "the one thousandth visitor"),  # not "one zeroth"
    ("x² or x²", "x two or x two"),  # compatibility forms are digits before the number rules run
    ("$5.50", "five dollars fifty cents"),
    ("$1 or $0.01", "one dollar or one cent"),
    ("£20 and €3", "twenty pounds and three euros"),
    ("$2.5 million", "two point five million dollars"),
    ("50% off", "fifty percent off"),
    ("rock & roll", "rock and roll"),
    ("Mr Smith met Mrs. Jones and Ms. Lee", "mister smith met missus jones and miz lee"),
    ("St. Louis is on Main St.", "saint louis is on main street"),
    ("apples, pears etc. vs. e.g. plums", "apples pears et cetera versus for example plums"),
    ("John Smith, Jr. lives at No. 5", "john smith junior lives at number five"),
])
def test_written_forms_are_spelled_out(raw, expected):
    assert normalize_text(raw) == expected


@pytest.mark.parametrize("raw, named", [
    ("a § b", "'§'"), ("#1 hit", "'#'"), ("a*b", "'*'"), ("and/or", "'/'"), ("Москва", "'м'"), ("東京", "'京'")])
def test_unspellable_characters_are_named_not_dropped(raw, named):
    with pytest.raises(UnspellableText, match=f"characters the vocabulary cannot spell: .*{named}"):
        normalize_text(raw)


def test_an_unspellable_transcript_is_rejected_with_its_reason():
    items = [Item("utt1", "a.wav", "I have 3 cats", "s"), Item("utt123", "b.wav", "see § 4", "s")]
    kept, rejected = normalise_items(items)
    assert kept == [Item("utt1", "a.wav", "i have three cats", "s")]
    assert rejected == [("utt123", "b.wav: transcript has characters the vocabulary cannot spell: '§'")]


def test_folder_skips_unspellable_and_non_utf8_transcripts(tmp_path, capsys):
    src = tmp_path / "d"
    for name, text in [("ok", "Room 101".encode()), ("symbol", "50 § 3".encode()),
                       ("latin1", "café".encode("latin-1"))]:
        write_tone(src / "spk" / f"{name}.wav")
        (src / "spk" / f"{name}.txt").write_bytes(text)
    rows = [json.loads(line) for line in folder.prepare(src, tmp_path / "m").read_text().splitlines()]
    assert [(r["id"], r["text"]) for r in rows] == [("spk-ok", "room one hundred and one")]
    err = capsys.readouterr().err
    assert "skipped spk-symbol: " in err and "transcript has characters the vocabulary cannot spell: '§'" in err
    assert f"skipped spk-latin1: {src / 'spk' / 'latin1.txt'}: not UTF-8 text" in err


def test_a_transcripts_tsv_that_is_not_utf8_is_one_line_naming_it(tmp_path):
    src = tmp_path / "d"
    write_tone(src / "a.wav")
    (src / "transcripts.tsv").write_bytes("a.wav\tcafé\n".encode("latin-1"))
    with pytest.raises(AsrError, match=r"transcripts.tsv: not UTF-8 text \(byte 0xe9\)") as e:
        folder.prepare(src, tmp_path / "m")
    assert "\n" not in str(e.value)


def test_non_english_is_refused():
    require_english("en", "x")
    require_english("en-GB", "x")
    with pytest.raises(AsrError, match="x: language 'de': transcript normalisation is English-only"):
        require_english("de", "x")


def test_common_voice_in_another_language_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(common_voice, "fetch", lambda *args: None)  # the archive held a German release
    (tmp_path / "dl" / "cv-corpus-17.0-2024-03-15" / "de").mkdir(parents=True)
    with pytest.raises(AsrError, match="language 'de': transcript normalisation is English-only"):
        common_voice.download_common_voice(tmp_path / "dl", "https://example.org/cv.tar.gz", "0" * 64)
    english, _ = corpus_fixtures.make_common_voice(tmp_path / "c")
    german = english.rename(english.parent / "de")
    with pytest.raises(AsrError, match="language 'de': transcript normalisation is English-only"):
        prepare_common_voice(german, tmp_path / "out")
    renamed = german.rename(tmp_path / "my_copy")  # no locale in the folder name: the TSVs' locale column tells
    for tsv in renamed.glob("*.tsv"):
        tsv.write_text(tsv.read_text().replace("\ten\t", "\tde\t"))
    with pytest.raises(AsrError, match="train.tsv: language 'de': transcript normalisation is English-only"):
        prepare_common_voice(renamed, tmp_path / "out")


def test_lm_text_is_normalised_alike_and_unspellable_lines_are_counted(tmp_path, caplog):
    from asr.decoding.ngram_lm import read_text_lines
    text = tmp_path / "extra.txt"
    text.write_text("I have 3 cats\nsee § 4\n\nCafé & bar\n", encoding="utf-8")
    assert read_text_lines(text) == ["i have three cats", "cafe and bar"]
    assert "extra.txt: left out 1 of 4 lines with characters the vocabulary cannot spell (first: line 2:" in caplog.text
    text.write_bytes("caf\xe9\n".encode("latin-1"))
    with pytest.raises(AsrError, match="extra.txt: not UTF-8 text"):
        read_text_lines(text)


def test_a_large_tsv_read_line_by_line_names_itself_when_not_utf8(tmp_path):
    from asr.fileio import utf8_lines
    tsv = tmp_path / "train.tsv"
    tsv.write_bytes(("path\tsentence\n" + "a.mp3\tfine\n" * 5000 + "b.mp3\tcaf\xe9\n").encode("latin-1"))
    lines = utf8_lines(tsv)
    assert next(lines) == "path\tsentence\n"  # read as it goes, not all at once
    with pytest.raises(AsrError, match=r"train.tsv: not UTF-8 text \(byte 0xe9\); save it as UTF-8"):
        list(lines)
