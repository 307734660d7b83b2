"""Mains hum: a 50 or 60 Hz fundamental and its harmonics, whose level wobbles slowly (loads switching on
the line, a fan's mechanical beat)."""

import math

import numpy as np

MAINS_HZ = (50.0, 60.0)  # Europe/Asia/Africa, the Americas
HARMONICS = 8  # up to 400-480 Hz: the buzz of transformers and ground loops
WOBBLE_HZ = (0.1, 1.0)
WOBBLE_DEPTH = (0.02, 0.2)


def hum(rng, length, sample_rate):
    """(length,) float32 hum, harmonic h at a random level ≤ 1/h and random phase."""
    fundamental = MAINS_HZ[int(rng.integers(len(MAINS_HZ)))]
    orders = np.arange(1, HARMONICS + 1)
    levels = rng.uniform(0.1, 1.0, HARMONICS) / orders
    phases = rng.uniform(0, 2 * np.pi, HARMONICS)
    # the steady tone repeats every sample_rate / gcd samples (320 at 50 Hz, 800 at 60 Hz, 16 kHz):
    # compute one period and tile it, 50 times fewer sines than the whole utterance
    period = sample_rate // math.gcd(int(sample_rate), int(fundamental))
    t = np.arange(period) / sample_rate
    tones = np.sin(2 * np.pi * fundamental * np.outer(orders, t) + phases[:, None])  # (H, period)
    steady = np.tile(levels @ tones, -(-length // period))[:length]
    t = np.arange(length) / sample_rate
    wobble = 1.0 + rng.uniform(*WOBBLE_DEPTH) * np.sin(2 * np.pi * rng.uniform(*WOBBLE_HZ) * t
                                                       + rng.uniform(0, 2 * np.pi))
    return (steady * wobble).astype(np.float32)


def make(section, context):
    return lambda rng, length: hum(rng, length, context.sample_rate)
