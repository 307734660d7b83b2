"""Audio files a user gives as a folder (MUSAN noise, RIR collections): scanned once, read in pieces."""

from pathlib import Path

import numpy as np

from asr.augment.signal import loop_segment
from asr.data.audio import checked_blocks, mono, open_sound, to_mono
from asr.errors import AsrError


def scan(folder, suffixes, what):
    """Sorted paths of the files under `folder` (recursively) ending in one of `suffixes` (any case).

    AsrError naming the folder when it is missing or holds none; `what` says what they are for.
    """
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise AsrError(f"{folder}: {what} folder not found")
    paths = sorted(p for p in root.rglob("*") if p.suffix.lower() in suffixes and p.is_file())
    if not paths:
        raise AsrError(f"{folder}: no {' or '.join('*' + s for s in suffixes)} files under this {what} folder")
    return paths


def read_all(path, sample_rate):
    """The whole file, mono float32 at sample_rate; AsrError naming the file."""
    try:
        with open_sound(path) as sound:
            return to_mono(np.concatenate(list(checked_blocks(sound))), sound.samplerate, sample_rate)
    except AsrError as e:
        raise AsrError(f"{path}: {e}") from None


def read_piece(path, length, sample_rate, rng):
    """(length,) float32 at sample_rate from a random offset of the file, looped when the file is shorter."""
    try:
        with open_sound(path) as sound:
            needed = int(np.ceil(length * sound.samplerate / sample_rate)) + 1
            if sound.frames <= needed:
                whole = np.concatenate(list(checked_blocks(sound)))
                return loop_segment(to_mono(whole, sound.samplerate, sample_rate), length, rng)
            sound.seek(int(rng.integers(sound.frames - needed + 1)))
            piece = mono(sound.read(needed, dtype="float32", always_2d=False))
            return to_mono(piece, sound.samplerate, sample_rate)[:length]
    except AsrError as e:
        raise AsrError(f"{path}: {e}") from None
