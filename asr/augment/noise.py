"""Additive noise at a random signal-to-noise ratio, from one of the configured sources (NOISE_SOURCES).

The SNR is the speech's active power (asr.augment.signal.active_power: pauses excluded) over the noise's
mean power, so "10 dB" means the same for a clipped command and for a sentence with long pauses.
"""

import numpy as np

from asr.augment.registry import noise_source_builder
from asr.augment.signal import active_power, power
from asr.augment.steps import draw


def add_noise(samples, noise, snr_db):
    """samples + noise scaled so that active_power(samples) / power(scaled noise) is `snr_db` dB.

    Silent samples (no speech power to refer to) and silent noise come back unchanged.
    """
    samples = np.asarray(samples, np.float32)
    speech, noise_power = active_power(samples), power(noise)
    if speech == 0.0 or noise_power == 0.0:
        return samples
    scale = np.sqrt(speech / (noise_power * 10.0 ** (snr_db / 10.0)))
    return (samples + scale * noise).astype(np.float32)


def make(section, context):
    # each source built once: a folder is scanned, a babble source checked, here and not per utterance
    sources = [(name, noise_source_builder(name)(section, context)) for name in section.sources]

    def noise(samples, rng, applied):
        name, source = sources[int(rng.integers(len(sources)))]
        snr_db = draw(rng, section.snr_db)
        applied.append(f"noise {name} at {snr_db:.1f} dB SNR")
        return add_noise(samples, source(rng, len(samples)), snr_db)
    return noise
