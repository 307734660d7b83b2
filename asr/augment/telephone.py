"""A narrow-band telephone channel (G.711): the 300-3400 Hz band, sampled at 8 kHz, 8-bit mu-law.

The result is resampled back to the input's rate and length, sample for sample, so features and
transcript alignment stay as they were; only what a phone line loses is gone.
"""

import numpy as np
import soxr

from asr.augment.signal import fft_size, fit_length

PHONE_RATE = 8000
BAND_HZ = (300.0, 3400.0)
EDGE_HZ = 100.0  # raised-cosine skirts around the band: a brick wall would ring through the utterance
MU = 255.0  # G.711's mu-law: 8-bit codes, logarithmic steps, fine for quiet speech, coarse for loud
QUALITY = "MQ"


def band_pass(samples, rate):
    """The samples with only BAND_HZ kept, by shaping their spectrum (one FFT each way)."""
    size = fft_size(max(len(samples), 1))  # zero-padded to a fast FFT length
    spectrum = np.fft.rfft(samples, size)
    hz = np.fft.rfftfreq(size, 1.0 / rate)
    below = np.clip((hz - (BAND_HZ[0] - EDGE_HZ)) / EDGE_HZ, 0.0, 1.0)  # 0 below the skirt, 1 inside
    above = np.clip(((BAND_HZ[1] + EDGE_HZ) - hz) / EDGE_HZ, 0.0, 1.0)
    gain = np.sin(0.5 * np.pi * below) ** 2 * np.sin(0.5 * np.pi * above) ** 2
    return np.fft.irfft(spectrum * gain, size)[:len(samples)].astype(np.float32)


def mu_law(samples):
    """The samples through an 8-bit mu-law encoder and decoder (clipped at full scale, as a codec's input)."""
    x = np.clip(samples, -1.0, 1.0)
    compressed = np.sign(x) * np.log1p(MU * np.abs(x)) / np.log1p(MU)  # in [-1, 1]
    codes = np.round((compressed + 1.0) * 127.5)  # 0..255
    expanded = codes / 127.5 - 1.0
    return (np.sign(expanded) * np.expm1(np.abs(expanded) * np.log1p(MU)) / MU).astype(np.float32)


def telephone_channel(samples, sample_rate):
    """(N,) float32 at sample_rate -> (N,) float32 at sample_rate as heard through a telephone line."""
    samples = np.asarray(samples, np.float32)
    narrow = soxr.resample(samples, sample_rate, PHONE_RATE, quality=QUALITY)
    decoded = mu_law(band_pass(narrow, PHONE_RATE))
    return fit_length(soxr.resample(decoded, PHONE_RATE, sample_rate, quality=QUALITY), len(samples))


def make(section, context):
    def telephone(samples, rng, applied):
        applied.append("telephone")
        return telephone_channel(samples, context.sample_rate)
    return telephone
