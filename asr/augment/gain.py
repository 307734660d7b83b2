"""Recording level: the samples scaled by a gain in dB."""

import numpy as np

from asr.augment.steps import one_draw_step


def apply_gain(samples, db):
    return (np.asarray(samples, np.float32) * np.float32(10.0 ** (db / 20.0))).astype(np.float32)


def make(section, context):
    return one_draw_step(apply_gain, section.db, "gain {:+.1f} dB".format)
