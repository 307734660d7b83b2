"""LibriSpeech (OpenSLR 12): 1000 h of read English audiobooks, 16 kHz FLAC.

On-disk layout after extraction (every archive unpacks into the same `LibriSpeech/` folder):

    LibriSpeech/<part>/<speaker>/<chapter>/<speaker>-<chapter>.trans.txt   "<speaker>-<chapter>-<utt> TEXT"
    LibriSpeech/<part>/<speaker>/<chapter>/<speaker>-<chapter>-<utt>.flac

`prepare_librispeech(corpus_dir, out_dir)` writes out_dir/<part>.jsonl for every part present, with part
names using underscores (`dev-clean` -> `dev_clean`).
"""

from pathlib import Path

from asr.errors import AsrError
from asr.fileio import read_utf8_text
from data_prep.corpus import Item, normalise_splits, write_corpus
from data_prep.download import Archive, fetch

BASE_URL = "https://www.openslr.org/resources/12"
# SHA-256 of the OpenSLR archives, as published in torchaudio's LibriSpeech dataset (_CHECKSUMS)
ARCHIVES = {
    "dev-clean": "76f87d090650617fca0cac8f88b9416e0ebf80350acb97b343a85fa903728ab3",
    "dev-other": "12661c48e8c3fe1de2c1caa4c3e135193bfb1811584f11f569dd12645aa84365",
    "test-clean": "39fde525e59672dc6d1551919b1478f724438a95aa55f874b576be21967e6c23",
    "test-other": "d09c181bba5cf717b3dee7d4d592af11a3ee3a09e08ae025c5506f6ebe961c29",
    "train-clean-100": "d4ddd1d5a6ab303066f14971d768ee43278a5f2a0aa43dc716b0e64ecbbbf6e2",
    "train-clean-360": "146a56496217e96c14334a160df97fffedd6e0a04e66b9c5af0d40be3c792ecf",
    "train-other-500": "ddb22f27f96ec163645d53215559df6aa36515f26e01dd70798188350adcb6d2",
}
# utterances per part in the official release (Panayotov et al. 2015, Table 1 / the released file lists)
OFFICIAL_COUNTS = {"dev_clean": 2703, "dev_other": 2864, "test_clean": 2620, "test_other": 2939,
                   "train_clean_100": 28539, "train_clean_360": 104014, "train_other_500": 148688}
MAX_SECONDS = 40.0  # the longest LibriSpeech utterance is about 35 s


def split_name(part):
    return part.replace("-", "_")


def download_librispeech(target, parts=tuple(ARCHIVES)):
    """Download and extract `parts` into target/; returns target/LibriSpeech."""
    for part in parts:
        if part not in ARCHIVES:
            raise AsrError(f"unknown LibriSpeech part {part!r} (known: {', '.join(ARCHIVES)})")
        fetch(Archive(f"{BASE_URL}/{part}.tar.gz", f"sha256:{ARCHIVES[part]}"), Path(target) / "archives", target)
    return Path(target) / "LibriSpeech"


def part_items(part_dir):
    """Items for every line of every <speaker>/<chapter>/*.trans.txt below part_dir."""
    items = []
    for trans in sorted(Path(part_dir).glob("*/*/*.trans.txt")):
        for line in read_utf8_text(trans).splitlines():
            utt_id, _, text = line.strip().partition(" ")
            if utt_id:
                items.append(Item(utt_id, trans.parent / f"{utt_id}.flac", text, utt_id.split("-")[0]))
    return items


def prepare_librispeech(corpus_dir, out_dir, parts=None, jobs=None):
    """out_dir/<part>.jsonl for each part (default: every part found in corpus_dir)."""
    corpus_dir = Path(corpus_dir)
    found = [p.name for p in sorted(corpus_dir.iterdir()) if p.name in ARCHIVES] if corpus_dir.is_dir() else []
    parts = parts or found
    missing = [p for p in parts if p not in found]
    if not parts or missing:
        raise AsrError(f"{corpus_dir}: no LibriSpeech part folder {', '.join(missing or ARCHIVES)} "
                       "(expected <corpus_dir>/<part>/<speaker>/<chapter>/)")
    items, rejected = normalise_splits({split_name(p): part_items(corpus_dir / p) for p in parts})
    return write_corpus("librispeech", corpus_dir, out_dir, items, OFFICIAL_COUNTS, MAX_SECONDS, jobs, rejected)
