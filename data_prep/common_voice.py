"""Mozilla Common Voice, English: crowd-sourced read sentences, MP3 clips, official train/dev/test.

On-disk layout after extraction (the release folder name carries the version and date):

    cv-corpus-<version>-<date>/en/{train,dev,test,validated,invalidated,other}.tsv
    cv-corpus-<version>-<date>/en/clips/common_voice_en_<n>.mp3

The TSVs are tab-separated with a header; the columns we read are `client_id` (the speaker), `path`,
`sentence`, `up_votes` and `down_votes` (found by name: the column set grew over releases). The official
train/dev/test hold validated clips only; a row whose down votes reach its up votes is skipped and reported
anyway, and so is a sentence with digits, whose spoken form the text does not tell (readers say "101" as
"one oh one" or "a hundred and one"). Transcripts are normalised by English rules, so a release in another
language (the folder is named by its locale, and newer TSVs have a `locale` column) is refused.

Downloads need the user to accept the licence terms on the Common Voice site, which then gives a
per-user link and the archive's SHA-256: `download_common_voice(target, url, sha256)` takes both.
"""

import csv
import re
from pathlib import Path

from asr.data.text_normalisation import require_english
from asr.errors import AsrError
from asr.fileio import utf8_lines
from data_prep.corpus import Item, normalise_items, write_corpus
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
    found = sorted(p for p in Path(target).glob("cv-corpus-*/*") if p.is_dir())
    if not found:
        raise AsrError(f"{target}: the archive held no cv-corpus-*/<locale> folder")
    for folder in found:
        require_english(folder.name, folder)
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
    reader = csv.DictReader(utf8_lines(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise AsrError(f"{tsv}: header lacks column(s) {', '.join(missing)}")
    items, rejected = [], []
    for row in reader:
        if row.get("locale"):
            require_english(row["locale"], tsv)
        utt_id = Path(row["path"] or "").stem
        up, down = _votes(row)
        sentence = row["sentence"] or ""
        if down >= up:
            rejected.append((utt_id, f"{tsv}: voted down ({up} up, {down} down)"))
        elif _DIGIT.search(sentence):
            rejected.append((utt_id, f"{tsv}: sentence has digits, spoken form unknown: {sentence!r}"))
        else:
            items.append(Item(utt_id, Path(corpus_dir) / "clips" / row["path"], sentence, row["client_id"][:16]))
    items, unspellable = normalise_items(items)
    return items, rejected + unspellable


def prepare_common_voice(corpus_dir, out_dir, jobs=None):
    """out_dir/{train,dev,test}.jsonl from a cv-corpus-*/en folder."""
    corpus_dir = Path(corpus_dir)
    if corpus_dir.resolve().parent.name.startswith("cv-corpus-"):  # a release's folder is named by its locale
        require_english(corpus_dir.resolve().name, corpus_dir)
    items, rejected = {}, {}
    for split in SPLITS:
        items[split], rejected[split] = tsv_items(corpus_dir, split)
    return write_corpus("common_voice", corpus_dir, out_dir, items, {}, MAX_SECONDS, jobs, rejected)
