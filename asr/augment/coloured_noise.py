"""White, pink and brown noise. Coloured noise is made in the frequency domain: complex Gaussian bins
shaped by f ** (-slope / 2), so power falls by `slope` x 3 dB per octave (pink 1: -3 dB, brown 2: -6 dB),
and one inverse FFT turns them into samples."""

import numpy as np

from asr.augment.signal import fft_size

# Below this the shaping stays flat: a 1/f² spectrum down to 0 Hz would put nearly all the noise's power in
# a drift under the features' lowest band (20 Hz) and the "SNR" would be inaudible
FLOOR_HZ = 40.0


def white(rng, length):
    return rng.standard_normal(length, dtype=np.float32)


def coloured(rng, length, slope, sample_rate):
    """(length,) float32 noise whose power spectrum falls as f ** -slope above FLOOR_HZ."""
    size = fft_size(max(length, 1))  # made a little longer, at a fast FFT length, and cut
    spectrum = rng.standard_normal((size // 2 + 1, 2)).view(np.complex128)[:, 0]  # (bins,) complex Gaussian
    hz = np.fft.rfftfreq(size, 1.0 / sample_rate)
    spectrum *= np.maximum(hz, FLOOR_HZ) ** (-slope / 2.0)
    spectrum[0] = 0.0  # no DC offset
    return np.fft.irfft(spectrum, size)[:length].astype(np.float32)


def make_white(section, context):
    return white


def make_pink(section, context):
    return lambda rng, length: coloured(rng, length, 1.0, context.sample_rate)


def make_brown(section, context):
    return lambda rng, length: coloured(rng, length, 2.0, context.sample_rate)
