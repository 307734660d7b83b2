"""Babble: three to six other utterances talking at once, from a callable the caller supplies (training
draws them from its own manifest), each at the same active level."""

import numpy as np

from asr.augment.signal import active_power, loop_segment
from asr.errors import AsrError

TALKERS = (3, 6)


def babble(rng, length, babble_source):
    """(length,) float32: the sum of 3-6 utterances from babble_source(rng), each from a random offset,
    looped when shorter, scaled to unit active power."""
    mixture = np.zeros(length, np.float32)
    for _ in range(int(rng.integers(TALKERS[0], TALKERS[1] + 1))):
        talker = loop_segment(babble_source(rng), length, rng)
        level = active_power(talker)
        if level > 0.0:
            mixture += talker / np.float32(np.sqrt(level))
    return mixture


def make(section, context):
    if context.babble_source is None:
        raise AsrError("noise source babble needs other utterances: build the Augmenter with a babble_source, "
                       "or leave babble out of 'train.augment.noise.sources'")
    return lambda rng, length: babble(rng, length, context.babble_source)
