"""A generated background bed (air conditioning, a room's hum of activity, distant traffic): low-passed
noise whose level drifts slowly, as such sounds come and go."""

import numpy as np

from asr.augment.signal import fft_size

CORNER_HZ = (150.0, 2000.0)  # from a rumble to a hiss-free fan
DRIFT_SECONDS = (0.3, 2.0)  # time between independent levels of the envelope
DRIFT_DEPTH = (0.2, 0.8)


def ambience(rng, length, sample_rate):
    """(length,) float32: noise through a second-order low-pass at a random corner, times a slow envelope."""
    size = fft_size(max(length, 1))  # made a little longer, at a fast FFT length, and cut
    spectrum = rng.standard_normal((size // 2 + 1, 2)).view(np.complex128)[:, 0]  # (bins,) complex Gaussian
    hz = np.fft.rfftfreq(size, 1.0 / sample_rate)
    spectrum /= 1.0 + (hz / rng.uniform(*CORNER_HZ)) ** 2  # -12 dB per octave above the corner
    spectrum[0] = 0.0
    bed = np.fft.irfft(spectrum, size)[:length]
    # random levels every `step` samples, linearly joined: a smooth, slow amplitude modulation
    step = max(1, int(rng.uniform(*DRIFT_SECONDS) * sample_rate))
    knots = rng.uniform(-1.0, 1.0, length // step + 2)
    envelope = 1.0 + rng.uniform(*DRIFT_DEPTH) * np.interp(np.arange(length) / step, np.arange(len(knots)), knots)
    return (bed * envelope).astype(np.float32)


def make(section, context):
    return lambda rng, length: ambience(rng, length, context.sample_rate)
