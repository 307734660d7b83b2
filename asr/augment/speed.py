"""Speed perturbation (Ko et al., 2015, as Kaldi's recipes do it): the waveform resampled by a factor, so
tempo and pitch change together and the length becomes length / factor."""

import numpy as np
import soxr

from asr.augment.steps import one_draw_step

# soxr's medium quality: its ~-100 dB stopband is far below what log-mel features resolve, at about half
# the cost of HQ
QUALITY = "MQ"


def change_speed(samples, factor, sample_rate):
    """(N,) float32 played `factor` times faster -> (≈ N / factor,) float32."""
    # read as if recorded at sample_rate * factor, written at sample_rate: same waveform, rate scaled
    out = soxr.resample(np.asarray(samples, np.float32), sample_rate * factor, sample_rate, quality=QUALITY)
    return out.astype(np.float32, copy=False)


def make(section, context):
    return one_draw_step(lambda samples, factor: change_speed(samples, factor, context.sample_rate),
                         section.range, "speed x{:.3f}".format)
