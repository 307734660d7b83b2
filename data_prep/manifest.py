"""Manifest rows (id, audio, duration, text, speaker): writing, loading, validation, the completion marker."""

import json
import sys
from pathlib import Path

from asr.errors import AsrError
from asr.fileio import read_jsonl, write_json, write_jsonl

REQUIRED_KEYS = ("id", "audio", "duration", "text", "speaker")
DONE_MARKER = ".done.json"


def validate_rows(rows, source):
    """Raise AsrError on missing keys, duplicate ids or missing audio files."""
    seen = set()
    for row in rows:
        missing = [k for k in REQUIRED_KEYS if k not in row]
        if missing:
            raise AsrError(f"{source}: utterance {row.get('id', '?')} lacks {', '.join(missing)}")
        if row["id"] in seen:
            raise AsrError(f"{source}: duplicate utterance id {row['id']}")
        seen.add(row["id"])
        if not Path(row["audio"]).is_file():
            raise AsrError(f"{source}: audio file of {row['id']} is missing: {row['audio']}")


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
    path = Path(path)
    if not path.is_file():
        raise AsrError(f"{path}: manifest not found (run the data preparation stage first)")
    rows = read_jsonl(path)
    validate_rows(rows, str(path))
    return rows


def write_split(out_dir, split, rows, skipped, name):
    """Validate and write one split's manifest; AsrError if nothing usable was found."""
    if not rows:
        raise AsrError(f"{name}: no usable utterances found ({skipped} skipped)")
    path = Path(out_dir) / f"{split}.jsonl"
    validate_rows(rows, str(path))
    write_jsonl(path, rows)
    print(f"{name}: wrote {len(rows)} utterances to {path} ({skipped} skipped)")
    return path
