"""Recording level: the samples scaled by a gain in dB."""

import numpy as np

from asr.augment.signal import draw


def apply_gain(samples, db):
    return (np.asarray(samples, np.float32) * np.float32(10.0 ** (db / 20.0))).astype(np.float32)


def make(section, context):
    def gain(samples, rng, applied):
        db = draw(rng, section.db)
        applied.append(f"gain {db:+.1f} dB")
        return apply_gain(samples, db)
    return gain
