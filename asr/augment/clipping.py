"""An overdriven converter: the samples hard-clipped at a fraction of their peak."""

import numpy as np

from asr.augment.steps import one_draw_step


def clip_at(samples, fraction):
    """Samples clipped to ± fraction x their peak."""
    samples = np.asarray(samples, np.float32)
    limit = np.float32(fraction * float(np.abs(samples).max(initial=0.0)))
    return np.clip(samples, -limit, limit)


def make(section, context):
    return one_draw_step(clip_at, section.fraction, "clipping at {:.2f} of peak".format)
