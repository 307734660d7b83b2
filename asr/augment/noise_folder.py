"""Noise from a user's folder of recordings in MUSAN layout: any *.wav or *.flac below it, recursively.

The folder is scanned once, when the Augmenter is built; each utterance reads one random file from a random
offset (looped when the file is shorter), so memory holds one piece at a time whatever the collection's size.
"""

from asr.augment.audio_folder import read_piece, scan
from asr.augment.signal import fit_length

SUFFIXES = (".wav", ".flac")


def make(section, context):
    paths = scan(section.folder, SUFFIXES, "noise")

    def folder(rng, length):
        path = paths[int(rng.integers(len(paths)))]
        return fit_length(read_piece(path, length, context.sample_rate, rng), length)
    return folder
