"""Manifest rows (id, audio, duration, text, speaker): writing, loading, validation, the completion marker."""

import json
import logging
import os
from pathlib import Path

from asr.errors import AsrError
from asr.fileio import write_json, write_jsonl

log = logging.getLogger(__name__)

REQUIRED_KEYS = ("id", "audio", "duration", "text", "speaker")
DONE_MARKER = ".done.json"


def check_rows(rows):
    """(usable rows, [(id, reason)] for the others): missing keys, repeated ids, missing audio files."""
    usable, problems, seen = [], [], set()
    for row in rows:
        row = row if isinstance(row, dict) else {}  # a JSON line holding a list or a number has no keys
        missing = [k for k in REQUIRED_KEYS if k not in row]
        utt_id = row.get("id", "?")
        if missing:
            problems.append((utt_id, f"lacks {', '.join(missing)}"))
        elif row["id"] in seen:
            problems.append((utt_id, "duplicate utterance id (the first one is used)"))
        elif not Path(row["audio"]).is_file():
            problems.append((utt_id, f"audio file is missing: {row['audio']}"))
        else:
            seen.add(row["id"])
            usable.append(row)
    return usable, problems


def validate_rows(rows, source):
    """Raise AsrError on missing keys, duplicate ids or missing audio files (for manifests we write)."""
    _, problems = check_rows(rows)
    if problems:
        raise AsrError(f"{source}: utterance {problems[0][0]}: {problems[0][1]}")


def report_skipped(name, skipped, total):
    """One summary on stderr: how many of `total` were skipped, then each by id with its reason."""
    if skipped:
        log.warning(f"{name}: {len(skipped)} of {total} utterances skipped:")
        for utt_id, reason in skipped:
            log.warning(f"{name}: skipped {utt_id}: {reason}")


WARNINGS_SHOWN = 20  # a corpus recorded through one bad channel would otherwise warn once per file


def report_warned(name, warned):
    """Kept items whose audio is doubtful (asr.data.audio_checks): a count, then the first few by id."""
    if warned:
        log.warning(f"{name}: {len(warned)} kept utterances have doubtful audio (they may train poorly):")
        for utt_id, warning in warned[:WARNINGS_SHOWN]:
            log.warning(f"{name}: warning {utt_id}: {warning}")
        if len(warned) > WARNINGS_SHOWN:
            log.warning(f"{name}: ... and {len(warned) - WARNINGS_SHOWN} more")


def write_manifests(out_dir, splits, fingerprint):
    """Validate and write {split}.jsonl for each split, then the marker recording `fingerprint`."""
    out_dir = Path(out_dir)
    for name, rows in splits.items():
        validate_rows(rows, f"{out_dir}/{name}.jsonl")
        write_jsonl(out_dir / f"{name}.jsonl", rows)
    write_json(out_dir / DONE_MARKER, {"fingerprint": fingerprint,
                                       "utterances": {k: len(v) for k, v in splits.items()}})


def is_done(out_dir, fingerprint):
    marker = Path(out_dir) / DONE_MARKER
    return marker.is_file() and json.loads(marker.read_text())["fingerprint"] == fingerprint


def load_manifest(path):
    """The usable rows of a manifest; lines that are not JSON, rows without a key, repeated ids and
    missing audio files are reported (by id, with the reason) and left out."""
    path = Path(path)
    if not path.is_file():
        raise AsrError(f"{path}: manifest not found (run the data preparation stage first)")
    rows, problems = [], []
    with open(path, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    problems.append((f"line {number}", f"not valid JSON ({e.msg})"))
    usable, row_problems = check_rows(rows)
    report_skipped(str(path), problems + row_problems, len(rows) + len(problems))
    return usable


def write_split(out_dir, split, rows, skipped, name):
    """Validate and write one split's manifest; AsrError if nothing usable was found."""
    if not rows:
        raise AsrError(f"{name}: no usable utterances found ({skipped} skipped)")
    path = Path(out_dir) / f"{split}.jsonl"
    validate_rows(rows, str(path))
    write_jsonl(path, rows)
    log.info(f"{name}: wrote {len(rows)} utterances to {path} ({skipped} skipped)")
    return path



def row_keys(path):
    """(id, absolute audio path) of each row of a manifest, read leniently (None for a missing one): a
    bad line is load_manifest's to report, not this reader's."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict):
                utt_id, audio = row.get("id"), row.get("audio")
                yield utt_id if isinstance(utt_id, str) else None, os.path.abspath(audio) if isinstance(audio, str) \
                    else None


def warn_shared_utterances(manifest_dir, stage):
    """Warn, with the count, about each manifest that shares utterances (the same id or the same audio
    file) with train.jsonl: a model scored on audio it trained on looks better than it is. Returns {split:
    rows shared}; nothing is changed."""
    train = Path(manifest_dir) / "train.jsonl"
    if not train.is_file():
        return {}
    keys = list(row_keys(train))
    train_ids, train_audio = {i for i, _ in keys} - {None}, {a for _, a in keys} - {None}
    shared = {}
    for other in sorted(Path(manifest_dir).glob("*.jsonl")):
        rows = list(row_keys(other)) if other != train else []
        count = sum(utt_id in train_ids or audio in train_audio for utt_id, audio in rows)
        if count:
            shared[other.stem] = count
            log.warning(f"asr {stage}: {other} shares {count} of its {len(rows)} utterances with {train} (the "
                        "same id or audio file): scores on it will overstate the model")
    return shared
