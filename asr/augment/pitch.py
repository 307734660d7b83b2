"""Pitch shift without duration change: the tempo slowed by the pitch ratio (WSOLA), then the result
resampled back to the original length, which raises every frequency by the ratio."""

import numpy as np
import soxr

from asr.augment.signal import fit_length
from asr.augment.speed import QUALITY
from asr.augment.steps import one_draw_step
from asr.augment.tempo import change_tempo


def shift_pitch(samples, semitones, sample_rate):
    """(N,) float32 with every frequency scaled by 2 ** (semitones / 12) -> (N,) float32."""
    samples = np.asarray(samples, np.float32)
    ratio = 2.0 ** (semitones / 12.0)
    stretched = change_tempo(samples, 1.0 / ratio, sample_rate)  # ratio times longer, same pitch
    # played ratio times faster: back to the original duration, frequencies times ratio
    out = soxr.resample(stretched, sample_rate * ratio, sample_rate, quality=QUALITY)
    return fit_length(out, len(samples))


def make(section, context):
    return one_draw_step(lambda samples, semitones: shift_pitch(samples, semitones, context.sample_rate),
                         section.semitones, "pitch {:+.2f} semitones".format)
