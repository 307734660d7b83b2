"""prepare_<corpus> on miniatures in each corpus's exact layout: splits, texts, the broken file skipped."""

import json
import re

import pytest

from asr.errors import AsrError
from data_prep.an4 import prepare_an4
from data_prep.common_voice import prepare_common_voice
from data_prep.librispeech import prepare_librispeech
from data_prep.ljspeech import prepare_ljspeech, split_of
from data_prep.timit import fold_phones, prepare_timit
from data_prep.yesno import prepare_yesno
from tests import corpus_fixtures


def manifests(out_dir):
    return {p.stem: [json.loads(line) for line in p.read_text().splitlines()] for p in out_dir.glob("*.jsonl")}


def ids(rows):
    return [r["id"] for r in rows]


def prepare_with_broken(make, prepare, tmp_path, capsys):
    """Run prepare on the fixture; check the broken item is reported by name and file, and absent."""
    corpus_dir, broken = make(tmp_path / "corpus")
    prepare(corpus_dir, tmp_path / "out")
    out, err = capsys.readouterr()
    skipped = [line for line in err.splitlines() if ": skipped " in line]
    assert any(broken in line for line in skipped), err
    found = manifests(tmp_path / "out")
    assert broken not in [i for rows in found.values() for i in ids(rows)]
    for rows in found.values():
        assert all(r["duration"] > 0.1 and r["text"] for r in rows)
    prepare(corpus_dir, tmp_path / "out")  # a second run finds the marker
    assert "nothing to do" in capsys.readouterr().out
    return found, out, err


def test_librispeech(tmp_path, capsys):
    found, out, _ = prepare_with_broken(corpus_fixtures.make_librispeech, prepare_librispeech, tmp_path, capsys)
    assert ids(found["dev_clean"]) == ["1272-128104-0000", "1272-128104-0001"]
    assert ids(found["train_clean_100"]) == ["103-1240-0000", "103-1240-0001"]
    assert found["dev_clean"][1]["text"] == "nor is mister quilter's manner"
    assert found["dev_clean"][0]["speaker"] == "1272"
    assert "official count 2703  <-- DIFFERS" in out  # counts are checked against the release


def test_librispeech_selected_parts_only(tmp_path):
    corpus_dir, _ = corpus_fixtures.make_librispeech(tmp_path / "c")
    prepare_librispeech(corpus_dir, tmp_path / "out", parts=["dev-clean"])
    assert set(manifests(tmp_path / "out")) == {"dev_clean"}
    with pytest.raises(AsrError, match="no LibriSpeech part folder test-other"):
        prepare_librispeech(corpus_dir, tmp_path / "out2", parts=["test-other"])


def test_ljspeech_split_is_fixed_by_id(tmp_path, capsys):
    found, _, err = prepare_with_broken(corpus_fixtures.make_ljspeech, prepare_ljspeech, tmp_path, capsys)
    for split, rows in found.items():
        assert rows and all(split_of(r["id"]) == split for r in rows)
    # the third (normalized) column, where the fixture writes "number 3": its digit is spelled out, not dropped
    assert found["dev"][0]["text"] == "printing in the only sense with which we are at present concerned number three"
    assert "the official release has 13100" in err
    # fixed and seeded: these ids land in these splits on every machine and in every release of the code
    assert [split_of(i) for i in ("LJ001-0001", "LJ001-0006", "LJ001-0055")] == ["train", "dev", "test"]
    shares = [split_of(f"LJ0{b:02d}-{n:04d}") for b in range(1, 11) for n in range(1, 301)]
    assert 0.02 < shares.count("test") / len(shares) < 0.06 and 0.02 < shares.count("dev") / len(shares) < 0.06


def test_common_voice(tmp_path, capsys):
    found, out, err = prepare_with_broken(corpus_fixtures.make_common_voice, prepare_common_voice, tmp_path, capsys)
    assert ids(found["train"]) == ["common_voice_en_1", "common_voice_en_5"]
    assert found["train"][0]["text"] == "the quick brown fox jumps" and found["train"][0]["speaker"] == "a1" * 8
    assert ids(found["dev"]) == ["common_voice_en_6"] and found["test"][0]["text"] == "it's a lovely day"
    assert "common_voice_en_3" in err and "voted down (1 up, 2 down)" in err
    assert "common_voice_en_4" in err and "digits" in err
    assert re.search(r"train +2 kept +3 skipped", out)  # the broken clip, the voted-down one, the digits


def test_common_voice_missing_column_is_one_line(tmp_path):
    folder = tmp_path / "en"
    folder.mkdir()
    for split in ("train", "dev", "test"):
        (folder / f"{split}.tsv").write_text("path\tsentence\nx.mp3\thello\n")
    with pytest.raises(AsrError, match=r"train.tsv: header lacks column\(s\) client_id, up_votes, down_votes"):
        prepare_common_voice(folder, tmp_path / "out")


def test_timit_splits_and_phone_folding(tmp_path, capsys):
    found, _, _ = prepare_with_broken(corpus_fixtures.make_timit, prepare_timit, tmp_path, capsys)
    assert ids(found["train"]) == ["fcjf0_si1027", "mrfk0_sx16"]  # SA sentences left out
    assert ids(found["dev"]) == ["faks0_sx43"] and ids(found["test"]) == ["mdab0_si1039"]
    assert found["test"][0]["text"] == "sil b ih ah sil"  # bcl->sil, ix->ih, q dropped, ax-h->ah, h#->sil


def test_timit_folding_table():
    assert fold_phones("h# pau epi tcl t ux zh eng em el nx axr hv ao".split()) == "sil t uw sh ng m l n er hh aa"
    with pytest.raises(AsrError, match="unknown TIMIT phone 'xx'"):
        fold_phones(["xx"])


def test_timit_lower_case_copy(tmp_path):
    corpus_dir, _ = corpus_fixtures.make_timit(tmp_path / "c")
    lower = tmp_path / "timit"
    for path in sorted(corpus_dir.rglob("*")):
        target = lower / str(path.relative_to(corpus_dir)).lower()
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.write_bytes(path.read_bytes())
    prepare_timit(lower, tmp_path / "out")
    assert ids(manifests(tmp_path / "out")["test"]) == ["mdab0_si1039"]


def test_an4_dev_speakers_held_out(tmp_path, capsys):
    found, _, _ = prepare_with_broken(corpus_fixtures.make_an4, prepare_an4, tmp_path, capsys)
    assert ids(found["dev"]) == ["cen2-fhes-b"]  # every fifth training speaker (sorted): fhes
    assert {r["speaker"] for r in found["train"]}.isdisjoint(r["speaker"] for r in found["dev"])
    assert found["train"][1]["text"] == "rubout g m e f three nine"
    assert ids(found["test"]) == ["an406-fcaw-b"]


def test_yesno(tmp_path, capsys):
    found, _, _ = prepare_with_broken(corpus_fixtures.make_yesno, prepare_yesno, tmp_path, capsys)
    assert len(found["test"]) == 6 and len(found["train"]) + len(found["dev"]) == 5
    row = found["test"][0]
    assert row["text"].split() == ["yes" if d == "1" else "no" for d in row["id"].split("_")]


def test_wrong_folder_is_one_clear_error(tmp_path):
    for prepare, message in [(prepare_librispeech, "no LibriSpeech part folder"),
                             (prepare_ljspeech, "metadata.csv: not found"),
                             (prepare_common_voice, "train.tsv: not found"), (prepare_timit, "no TEST/ folder"),
                             (prepare_an4, "an4_train.fileids: not found"), (prepare_yesno, "no utterances found")]:
        with pytest.raises(AsrError, match=message):
            prepare(tmp_path, tmp_path / "out")


def test_cli_prepare_assigns_recipe_splits(tmp_path, capsys):
    from asr.cli import main
    corpus_dir, _ = corpus_fixtures.make_librispeech(tmp_path / "c")
    config = tmp_path / "conf.yaml"
    config.write_text("splits:\n  train: [train_clean_100]\n  dev: [dev_clean]\n")
    assert main(["prepare", "--corpus", "librispeech", "--config", str(config), "--data-dir", str(tmp_path / "data"),
                 "--source", str(corpus_dir)]) in (0, None)
    recipe = manifests(tmp_path / "data" / "manifests")
    assert ids(recipe["train"]) == ["103-1240-0000", "103-1240-0001"] and len(recipe["dev"]) == 2
    assert set(manifests(tmp_path / "data" / "corpus_manifests")) == {"train_clean_100", "dev_clean"}
    assert main(["prepare", "--corpus", "timit", "--data-dir", str(tmp_path / "d2"), "--download"]) == 1
    assert "cannot be downloaded" in capsys.readouterr().err
