"""What every corpus preparation shares: decode-checking audio, counting, writing manifests, assigning splits.

A corpus module lists its utterances as `Item`s per official split (e.g. LibriSpeech's `dev_clean`),
normalises English transcripts with `normalise_splits` (a transcript the vocabulary cannot spell is
rejected with the reason), and calls `write_corpus`, which decodes every audio file in parallel, skips
(and reports by name, with the reason) any item whose audio is missing, undecodable, non-finite,
implausibly short or long, or whose transcript is empty, compares the counts with the corpus's published
ones, and writes one manifest per official split plus a completion marker. `assign_splits` then builds the
recipe's own splits (`train`, `dev`, test sets) from official ones as the recipe's `splits:` config says.
"""

import hashlib
import json
import logging
import multiprocessing
from collections import namedtuple
from pathlib import Path

from asr.data.audio import MIN_SECONDS, read_samples
from asr.data.audio_checks import level_warnings
from asr.data.manifest import is_done, report_skipped, report_warned, write_manifests
from asr.data.text_normalisation import NORMALISATION_VERSION, UnspellableText, normalize_text
from asr.errors import AsrError
from asr.fileio import read_jsonl, write_jsonl
from asr.workers import worker_pool

log = logging.getLogger(__name__)

Item = namedtuple("Item", "id audio text speaker")
FORMAT_VERSION = 1  # bump when the manifests a corpus module writes change meaning


def check_item(args):
    """Worker: (item, max_seconds) -> (manifest row, None, warnings) or (None, reason, [])."""
    item, max_seconds = args
    try:
        if not item.text:
            raise AsrError("transcript is empty after normalisation")
        samples, rate = read_samples(item.audio)  # every sample decoded: a file cut short shows here
        seconds = len(samples) / rate
        if not MIN_SECONDS <= seconds <= max_seconds:
            raise AsrError(f"implausible duration {seconds:.2f} s (expected {MIN_SECONDS}-{max_seconds} s)")
    except AsrError as e:
        return None, f"{item.audio}: {e}", []
    row = {"id": item.id, "audio": str(Path(item.audio).resolve()), "duration": round(seconds, 3),
           "text": item.text, "speaker": item.speaker}
    return row, None, [f"{item.audio}: {warning}" for warning in level_warnings(samples)]


def validate_items(items, max_seconds, name, jobs=None, rejected=()):
    """Rows for the good items (input order kept) and (id, reason) for each bad one, printed in a summary.

    An id seen before is skipped (the first item with it is kept). `rejected`: (id, reason) of items the
    caller refused before reading any audio; they join the summary.
    """
    rows, skipped, first_of, unique = [], list(rejected), {}, []
    for item in items:
        if item.id in first_of:
            skipped.append((item.id, f"{item.audio}: duplicate id (kept the first: {first_of[item.id].audio})"))
        else:
            first_of[item.id] = item
            unique.append(item)
    tasks = [(item, max_seconds) for item in unique]
    workers = min(jobs or multiprocessing.cpu_count(), len(tasks) // 64)
    if workers > 1:
        with worker_pool(workers) as pool:
            results = list(pool.imap(check_item, tasks, chunksize=16))
    else:  # a few dozen files: a process pool costs more than it saves
        results = [check_item(task) for task in tasks]
    warned = []
    for item, (row, reason, warnings) in zip(unique, results):
        if row is None:
            skipped.append((item.id, reason))
        else:
            rows.append(row)
            warned += [(item.id, warning) for warning in warnings]
    report_warned(name, warned)
    report_skipped(name, skipped, len(items) + len(rejected))
    return rows, skipped


def normalise_items(items):
    """(items with their transcripts normalised, (id, reason) for each the vocabulary cannot spell)."""
    kept, rejected = [], []
    for item in items:
        try:
            kept.append(item._replace(text=normalize_text(item.text)))
        except UnspellableText as e:
            rejected.append((item.id, f"{item.audio}: transcript has {e}"))
    return kept, rejected


def normalise_splits(items_by_split, rejected=None):
    """normalise_items over every split: (items by split, rejected by split, the unspellable added)."""
    items, rejected = {}, {split: list(pairs) for split, pairs in (rejected or {}).items()}
    for split, split_items in items_by_split.items():
        items[split], unspellable = normalise_items(split_items)
        rejected[split] = rejected.get(split, []) + unspellable
    return items, rejected


def check_total(name, found, expected):
    """Warn (not fail: a user may prepare a subset on purpose) when a corpus has an unexpected size."""
    if found != expected:
        log.warning(f"{name}: found {found} utterances, the official release has {expected}: "
                    "an incomplete or modified copy?")


def count_line(split, found, kept, expected):
    line = f"{split:<20} {kept:>8} kept {found - kept:>6} skipped"
    if expected is not None:
        line += f"   official count {expected}" + ("" if found == expected else "  <-- DIFFERS")
    return line


def fingerprint(name, corpus_dir, items_by_split):
    key = {"corpus": name, "dir": str(Path(corpus_dir).resolve()), "version": FORMAT_VERSION,
           "normalisation": NORMALISATION_VERSION,  # labels made under another rule are made again
           "splits": {split: len(items) for split, items in sorted(items_by_split.items())}}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def write_corpus(name, corpus_dir, out_dir, items_by_split, expected_counts, max_seconds, jobs=None,
                 rejected=None):
    """Validate every split's items, write out_dir/<split>.jsonl and the marker; idempotent.

    `rejected` holds, per split, (id, reason) for utterances the corpus module refused before any audio
    was read (e.g. a Common Voice clip voted down); they count as skipped in the summary.
    """
    rejected = rejected or {}
    out_dir = Path(out_dir)
    stamp = fingerprint(name, corpus_dir, items_by_split)
    if is_done(out_dir, stamp):
        log.info(f"{name}: {out_dir} is complete, nothing to do")
        return out_dir
    rows_by_split, lines = {}, []
    for split, items in items_by_split.items():
        if not items:
            raise AsrError(f"{corpus_dir}: no utterances found for split {split} (is this the {name} layout?)")
        rows, skipped = validate_items(items, max_seconds, name, jobs, rejected.get(split, ()))
        if not rows:
            raise AsrError(f"{corpus_dir}: every utterance of split {split} was skipped ({skipped[0][1]})")
        rows_by_split[split] = rows
        found = len(items) + len(rejected.get(split, []))
        lines.append(count_line(split, found, len(rows), expected_counts.get(split)))
    write_manifests(out_dir, rows_by_split, stamp)
    log.info(f"{name}: wrote {len(rows_by_split)} manifests to {out_dir}\n  " + "\n  ".join(lines))
    if any(line.endswith("DIFFERS") for line in lines):
        log.warning(f"{name}: utterance counts differ from the official release: an incomplete or modified copy?")
    return out_dir


def assign_splits(corpus_manifest_dir, manifest_dir, splits):
    """manifest_dir/<recipe split>.jsonl from the official manifests each recipe split is made of.

    `splits` maps a recipe split to a list of official splits, e.g. {"train": ["train_clean_100",
    "train_clean_360"], "dev": ["dev_clean"]}; ids are prefixed by nothing, so they must be unique
    across the official splits combined (they are in every corpus we prepare).
    """
    corpus_manifest_dir, manifest_dir = Path(corpus_manifest_dir), Path(manifest_dir)
    for recipe_split, official in splits.items():
        rows = []
        for part in official:
            path = corpus_manifest_dir / f"{part}.jsonl"
            if not path.is_file():
                raise AsrError(f"{path}: split {part} (wanted for {recipe_split}) was not prepared")
            rows += read_jsonl(path)
        ids = [r["id"] for r in rows]
        if len(set(ids)) != len(ids):
            raise AsrError(f"splits.{recipe_split}: {official} share utterance ids")
        write_jsonl(manifest_dir / f"{recipe_split}.jsonl", rows)
        log.info(f"splits: {recipe_split} = {' + '.join(official)} ({len(rows)} utterances)")
    return manifest_dir
