"""LJSpeech 1.1: 13,100 clips (24 h) of one speaker reading non-fiction, 22.05 kHz 16-bit WAV.

On-disk layout after extraction:

    LJSpeech-1.1/metadata.csv     "LJ001-0001|raw text|normalized text" (pipe-separated, no quoting)
    LJSpeech-1.1/wavs/LJ001-0001.wav

The corpus has no official split. Ours is fixed and seeded: a clip goes to `test` or `dev` when the
SHA-256 of "<SPLIT_SEED>:<clip id>" falls in the first 4 % or the next 4 % of the hash range, else to
`train`. Unlike a shuffled split (the keras.io CTC example draws an unseeded 90/10 one), a clip's split
depends on nothing but its id: not on file order, not on which other files are present or broken.
The text is metadata's third column, where numbers and abbreviations are written out as spoken.
"""

import hashlib
from pathlib import Path

from asr.errors import AsrError
from asr.fileio import read_utf8_text
from data_prep.corpus import Item, check_total, normalise_splits, write_corpus
from data_prep.download import Archive, fetch

ARCHIVE = Archive("https://data.keithito.com/data/speech/LJSpeech-1.1.tar.bz2",
                  # as published in torchaudio's LJSPEECH dataset (_CHECKSUMS)
                  "sha256:be1a30453f28eb8dd26af4101ae40cbf2c50413b1bb21936cbcdc6fae3de8aa5")
OFFICIAL_CLIPS = 13100
SPLIT_SEED = 1234
HELD_OUT_PERMILLE = {"test": (0, 40), "dev": (40, 80)}  # [start, end) of the 0..999 hash buckets
MAX_SECONDS = 15.0  # the longest clip is about 10.1 s


def download_ljspeech(target):
    """Download and extract LJSpeech-1.1 into target/; returns target/LJSpeech-1.1."""
    fetch(ARCHIVE, Path(target) / "archives", target)
    return Path(target) / "LJSpeech-1.1"


def split_of(clip_id, seed=SPLIT_SEED):
    bucket = int(hashlib.sha256(f"{seed}:{clip_id}".encode()).hexdigest()[:8], 16) % 1000
    for split, (start, end) in HELD_OUT_PERMILLE.items():
        if start <= bucket < end:
            return split
    return "train"


def metadata_items(corpus_dir):
    metadata = Path(corpus_dir) / "metadata.csv"
    if not metadata.is_file():
        raise AsrError(f"{metadata}: not found (expected the LJSpeech-1.1 folder with metadata.csv and wavs/)")
    items = []
    for n, line in enumerate(read_utf8_text(metadata).splitlines(), 1):
        fields = line.split("|")
        if len(fields) < 2 or not fields[0]:
            raise AsrError(f"{metadata}:{n}: expected 'id|text|normalized text'")
        spoken = fields[2] if len(fields) > 2 and fields[2].strip() else fields[1]
        items.append(Item(fields[0], Path(corpus_dir) / "wavs" / f"{fields[0]}.wav", spoken, "LJ"))
    return items


def prepare_ljspeech(corpus_dir, out_dir, jobs=None):
    """out_dir/{train,dev,test}.jsonl from an LJSpeech-1.1 folder."""
    items = metadata_items(corpus_dir)
    check_total("ljspeech", len(items), OFFICIAL_CLIPS)
    splits, rejected = normalise_splits({name: [i for i in items if split_of(i.id) == name]
                                         for name in ("train", "dev", "test")})
    return write_corpus("ljspeech", corpus_dir, out_dir, splits, {}, MAX_SECONDS, jobs, rejected)
