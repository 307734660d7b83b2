"""An overdriven converter: the samples hard-clipped at a fraction of their peak."""

import numpy as np

from asr.augment.signal import draw


def clip_at(samples, fraction):
    """Samples clipped to ± fraction x their peak."""
    samples = np.asarray(samples, np.float32)
    limit = np.float32(fraction * float(np.abs(samples).max(initial=0.0)))
    return np.clip(samples, -limit, limit)


def make(section, context):
    def clipping(samples, rng, applied):
        fraction = draw(rng, section.fraction)
        applied.append(f"clipping at {fraction:.2f} of peak")
        return clip_at(samples, fraction)
    return clipping
