"""Manifest from one LibriSpeech split in its on-disk layout.

    <split>/<speaker>/<chapter>/<speaker>-<chapter>.trans.txt   lines: "<speaker>-<chapter>-<utt> TEXT"
    <split>/<speaker>/<chapter>/<speaker>-<chapter>-<utt>.flac

`prepare("LibriSpeech/dev-clean", out_dir, "dev_clean")` writes out_dir/dev_clean.jsonl.
"""

from pathlib import Path

from asr.errors import AsrError
from data_prep.manifest import rows_from_items, write_split


def transcript_items(split_dir):
    """(id, flac path, text, speaker) for every line of every *.trans.txt below split_dir."""
    items = []
    for trans in sorted(Path(split_dir).glob("*/*/*.trans.txt")):
        for n, line in enumerate(trans.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            utt_id, _, text = line.partition(" ")
            if not text:
                raise AsrError(f"{trans}:{n}: expected '<utterance-id> <TRANSCRIPT>'")
            items.append((utt_id, trans.parent / f"{utt_id}.flac", text, utt_id.split("-")[0]))
    return items


def prepare(split_dir, out_dir, split):
    split_dir = Path(split_dir)
    items = transcript_items(split_dir)
    if not items:
        raise AsrError(f"{split_dir}: no <speaker>/<chapter>/*.trans.txt files (not a LibriSpeech split)")
    rows, skipped = rows_from_items(items, "librispeech")
    return write_split(out_dir, split, rows, skipped, "librispeech")
