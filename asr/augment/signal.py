"""Small signal helpers the augmentations share."""

import numpy as np

# Frames for the active power: 20 ms at 16 kHz, a typical syllable's fraction
ACTIVE_FRAME = 320
# Frames within this many dB of the loudest are speech; the rest are pauses. Forty decibels keeps soft
# consonants and drops the silence TTS and read speech put between phrases (a simplified ITU-T P.56).
ACTIVE_RANGE_DB = 40.0


def fft_size(n):
    """The smallest (1, 3, 5, 9, 15 or 25) x 2^k ≥ n: an FFT length numpy transforms fast, at most ~20 %
    above n. Utterance lengths are arbitrary, and an FFT of a length with a large prime factor is many
    times slower."""
    return min(base << max(0, int(np.ceil(np.log2(n / base)))) for base in (1, 3, 5, 9, 15, 25))


def fit_length(samples, length):
    """(length,) float32: `samples` cut or zero-padded at the end, so a transform keeps the input's length."""
    samples = np.asarray(samples, np.float32)
    if len(samples) >= length:
        return samples[:length]
    return np.pad(samples, (0, length - len(samples)))


def power(samples):
    """Mean square, in float64 (float32 sums lose digits over a few seconds of audio)."""
    return float(np.mean(np.square(samples, dtype=np.float64))) if len(samples) else 0.0


def active_power(samples):
    """Mean square over the active frames: those within ACTIVE_RANGE_DB of the loudest 20-ms frame.

    Pauses would otherwise count as speech and an utterance with long silences would get less noise
    at the same SNR than one without.
    """
    count = len(samples) // ACTIVE_FRAME
    if count == 0:
        return power(samples)
    frames = np.asarray(samples[:count * ACTIVE_FRAME], np.float64).reshape(count, ACTIVE_FRAME)  # (F, 320)
    energies = np.mean(frames * frames, axis=1)
    active = energies >= energies.max() * 10 ** (-ACTIVE_RANGE_DB / 10)
    return float(energies[active].mean())


def rescale(samples, reference_power):
    """`samples` scaled to mean square `reference_power` (unchanged when silent)."""
    own = power(samples)
    if own == 0.0:
        return np.asarray(samples, np.float32)
    return (samples * np.sqrt(reference_power / own)).astype(np.float32)


def loop_segment(samples, length, rng):
    """(length,) float32 of `samples` from a random offset on, repeated from the start when they run out."""
    samples = np.asarray(samples, np.float32)
    if len(samples) == 0:
        return np.zeros(length, np.float32)
    start = int(rng.integers(len(samples)))
    repeats = -(-(start + length) // len(samples))  # ceiling division
    return np.tile(samples, repeats)[start:start + length]
