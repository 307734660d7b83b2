"""AN4 (CMU census database, 1991): 948 training and 130 test utterances of people spelling names and
addresses and reading numbers, 16 kHz NIST SPHERE.

On-disk layout after extraction:

    an4/etc/an4_{train,test}.fileids          "an4_clstk/fash/an251-fash-b" (relative to an4/wav, no suffix)
    an4/etc/an4_{train,test}.transcription    "<s> YES </s> (an251-fash-b)"
    an4/wav/an4_clstk/<speaker>/<id>.sph, an4/wav/an4test_clstk/<speaker>/<id>.sph

AN4 has no development set: ours holds out every fifth training speaker (sorted by name), so `dev` shares no
speaker with `train`, like `test`.
"""

import re
from pathlib import Path

from asr.errors import AsrError
from asr.fileio import read_utf8_text
from data_prep.corpus import Item, check_total, normalise_splits, write_corpus
from data_prep.download import Archive, fetch

ARCHIVE = Archive("http://www.speech.cs.cmu.edu/databases/an4/an4_sphere.tar.gz",
                  # as published by a third party (not CMU, which publishes none); a mismatch stops the download
                  "sha256:a0525579493735d32b60fb6fa5975dd0eaacde087b0a4eeb7f13b7ef33077b12")
OFFICIAL_COUNTS = {"train": 948, "test": 130}
DEV_SPEAKER_EVERY = 5
MAX_SECONDS = 30.0
_LINE = re.compile(r"^(.*)\(([^()]+)\)\s*$")


def download_an4(target):
    """Download and extract an4_sphere.tar.gz into target/; returns target/an4."""
    fetch(ARCHIVE, Path(target) / "archives", target)
    return Path(target) / "an4"


def split_items(corpus_dir, split):
    """Items of the official `split` (train or test), read from its fileids and transcription files."""
    etc = Path(corpus_dir) / "etc"
    fileids, transcription = etc / f"an4_{split}.fileids", etc / f"an4_{split}.transcription"
    for path in (fileids, transcription):
        if not path.is_file():
            raise AsrError(f"{path}: not found (expected the an4 folder with etc/ and wav/)")
    paths = {Path(line.strip()).name: line.strip() for line in read_utf8_text(fileids).splitlines() if line.strip()}
    items = []
    for n, line in enumerate(transcription.read_text(encoding="latin-1").splitlines(), 1):
        match = _LINE.match(line.strip())
        if not match:
            if line.strip():
                raise AsrError(f"{transcription}:{n}: expected '<s> TEXT </s> (utterance-id)'")
            continue
        text, utt_id = match.group(1).replace("<s>", " ").replace("</s>", " "), match.group(2)
        relative = paths.get(utt_id, f"missing-from-fileids/{utt_id}")
        items.append(Item(utt_id, Path(corpus_dir) / "wav" / f"{relative}.sph", text, Path(relative).parent.name))
    return items


def prepare_an4(corpus_dir, out_dir, jobs=None):
    """out_dir/{train,dev,test}.jsonl from the an4 folder."""
    train, test = split_items(corpus_dir, "train"), split_items(corpus_dir, "test")
    check_total("an4 train+dev", len(train), OFFICIAL_COUNTS["train"])
    speakers = sorted({i.speaker for i in train})
    dev_speakers = set(speakers[DEV_SPEAKER_EVERY - 1::DEV_SPEAKER_EVERY])
    splits, rejected = normalise_splits({"train": [i for i in train if i.speaker not in dev_speakers],
                                         "dev": [i for i in train if i.speaker in dev_speakers], "test": test})
    return write_corpus("an4", corpus_dir, out_dir, splits, {"test": OFFICIAL_COUNTS["test"]}, MAX_SECONDS, jobs,
                        rejected)
