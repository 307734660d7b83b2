"""yesno (OpenSLR 1): 60 recordings of one man saying eight Hebrew "yes" (ken) or "no" (lo), 8 kHz WAV.

On-disk layout after extraction: `waves_yesno/0_1_0_0_1_0_1_1.wav`, the file name being the words
(1 = yes, 0 = no). Transcripts use the English words. Split (fixed, as in lhotse's recipe): files in
sorted order, even positions train and odd positions test; every sixth training file is held out as `dev`,
giving 25 / 5 / 30. A smoke test on real speech: minutes to train, and a recogniser should reach 0 % WER.
"""

import re
from pathlib import Path

from data_prep.corpus import Item, check_total, write_corpus
from data_prep.download import Archive, fetch

ARCHIVE = Archive("https://www.openslr.org/resources/1/waves_yesno.tar.gz",
                  # as published in torchaudio's YESNO dataset (_RELEASE_CONFIGS)
                  "sha256:30301975fd8c5cac4040c261c0852f57cfa8adbbad2ce78e77e4986957445f27")
OFFICIAL_FILES = 60
OFFICIAL_COUNTS = {"train": 25, "dev": 5, "test": 30}
MAX_SECONDS = 10.0
_NAME = re.compile(r"^[01](_[01]){7}$")
WORDS = {"0": "no", "1": "yes"}


def download_yesno(target):
    """Download and extract waves_yesno into target/; returns target/waves_yesno."""
    fetch(ARCHIVE, Path(target) / "archives", target)
    return Path(target) / "waves_yesno"


def prepare_yesno(corpus_dir, out_dir, jobs=None):
    """out_dir/{train,dev,test}.jsonl from the waves_yesno folder."""
    files = sorted(p for p in Path(corpus_dir).glob("*.wav") if _NAME.match(p.stem))
    check_total("yesno", len(files), OFFICIAL_FILES)
    items = [Item(p.stem, p, " ".join(WORDS[w] for w in p.stem.split("_")), "yesno") for p in files]
    train = items[0::2]
    splits = {"train": [i for n, i in enumerate(train) if n % 6 != 5],
              "dev": train[5::6], "test": items[1::2]}
    return write_corpus("yesno", corpus_dir, out_dir, splits, OFFICIAL_COUNTS, MAX_SECONDS, jobs)
