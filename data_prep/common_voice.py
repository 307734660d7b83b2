"""Mozilla Common Voice, English: crowd-sourced read sentences, MP3 clips, official train/dev/test.

On-disk layout after extraction (the release folder name carries the version and date):

    cv-corpus-<version>-<date>/en/{train,dev,test,validated,invalidated,other}.tsv
    cv-corpus-<version>-<date>/en/clips/common_voice_en_<n>.mp3

The TSVs are tab-separated with a header; the columns we read are `client_id` (the speaker), `path`,
`sentence`, `up_votes` and `down_votes` (found by name: the column set grew over releases). The official
train/dev/test hold validated clips only; a row whose down votes reach its up votes is skipped and reported
anyway, and so is a sentence with digits, whose spoken form the text does not tell.

Downloads need the user to accept the licence terms on the Common Voice site, which then gives a
per-user link and the archive's SHA-256: `download_common_voice(target, url, sha256)` takes both.
"""

import csv
import re
from pathlib import Path

from asr.data.tokenizer import normalize_text
from asr.errors import AsrError
from data_prep.corpus import Item, write_corpus
from data_prep.download import Archive, fetch

SPLITS = ("train", "dev", "test")
REQUIRED_COLUMNS = ("client_id", "path", "sentence", "up_votes", "down_votes")
MAX_SECONDS = 30.0  # clips are capped at 10 s by the recording site; early releases ran a little longer
_DIGIT = re.compile(r"[0-9]")
csv.field_size_limit(1 << 24)


def download_common_voice(target, url, sha256):
    """Download the archive from the link the Common Voice site gave you, verify it, extract into target/."""
    if not url or not sha256:
        raise AsrError("Common Voice needs --url and --sha256 from the dataset page (its downloads need "
                       "you to accept the terms there)")
    fetch(Archive(url, f"sha256:{sha256}"), Path(target) / "archives", target)
    found = sorted(Path(target).glob("cv-corpus-*/en"))
    if not found:
        raise AsrError(f"{target}: the archive held no cv-corpus-*/en folder (not the English release?)")
    return found[-1]


def _votes(row):
    try:
        return int(row["up_votes"] or 0), int(row["down_votes"] or 0)
    except ValueError:
        return 0, 0


def tsv_items(corpus_dir, split):
    """(items, rejected) of one official TSV: rejected are (id, reason) pairs."""
    tsv = Path(corpus_dir) / f"{split}.tsv"
    if not tsv.is_file():
        raise AsrError(f"{tsv}: not found (expected the cv-corpus-*/en folder with *.tsv and clips/)")
    with open(tsv, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise AsrError(f"{tsv}: header lacks column(s) {', '.join(missing)}")
        items, rejected = [], []
        for row in reader:
            utt_id = Path(row["path"] or "").stem
            up, down = _votes(row)
            sentence = row["sentence"] or ""
            if down >= up:
                rejected.append((utt_id, f"{tsv}: voted down ({up} up, {down} down)"))
            elif _DIGIT.search(sentence):
                rejected.append((utt_id, f"{tsv}: sentence has digits, spoken form unknown: {sentence!r}"))
            else:
                items.append(Item(utt_id, Path(corpus_dir) / "clips" / row["path"], normalize_text(sentence),
                                  row["client_id"][:16]))
    return items, rejected


def prepare_common_voice(corpus_dir, out_dir, jobs=None):
    """out_dir/{train,dev,test}.jsonl from a cv-corpus-*/en folder."""
    items, rejected = {}, {}
    for split in SPLITS:
        items[split], rejected[split] = tsv_items(corpus_dir, split)
    return write_corpus("common_voice", corpus_dir, out_dir, items, {}, MAX_SECONDS, jobs, rejected)
