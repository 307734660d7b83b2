"""The Augmenter: every configured waveform augmentation, applied to one utterance at a time.

Order (asr.augment.registry.TRANSFORMS): speed, tempo, pitch, formant (the talker) -> reverb (the room) -> noise
(the background, which the room does not colour: it is not where the talker is) -> telephone (the channel
carries both) -> gain (the recording level) -> clipping (the converter). Every transform draws a coin
against its probability, always, whether it is applied or not, and everything else it draws comes from the
same rng: the output is a function of the samples and the generator's state only.

    augmenter = Augmenter(config.train.augment, sample_rate, babble_source=other_utterance)
    samples = augmenter(samples, np.random.default_rng([seed, epoch, index]))
"""

import logging
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from asr.augment.registry import transform_builder, transform_names

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """What transforms are built with besides their config section."""
    sample_rate: int
    # babble noise: rng -> mono float32 samples of another utterance at sample_rate; it must choose the
    # utterance with that rng only, or the Augmenter's output stops being a function of its rng
    babble_source: Optional[Callable] = None


class Augmenter:
    """Waveform augmentation of one utterance: `augmenter(samples, rng)`; see the module docstring.

    Args:
        config: an asr.config.AugmentConfig. When not enabled the Augmenter returns its input unchanged
            (and draws nothing).
        sample_rate: of the samples it will be given.
        babble_source: `rng -> samples` of another utterance, needed when the noise sources list babble.
    """

    def __init__(self, config, sample_rate, babble_source=None):
        self.config, self.sample_rate = config, sample_rate
        context = Context(sample_rate, babble_source)
        # only transforms that can fire are built: a noise folder is not scanned when noise is off
        self.steps = [(name, getattr(config, name).probability,
                       transform_builder(name)(getattr(config, name), context) if getattr(config, name).probability
                       > 0 else None) for name in transform_names()] if config.enabled else []
        if self.steps:
            log.info("waveform augmentation: %s", ", ".join(f"{name} p={probability:g}"
                                                            for name, probability, _ in self.steps if probability))

    def chooses(self, rng):
        """Whether this utterance is augmented at all (one draw against config.probability)."""
        return bool(self.steps) and rng.random() < self.config.probability

    def __call__(self, samples, rng, applied=None):
        """(N,) float32 in [-1, 1] -> (M,) float32 in [-1, 1] (M ≠ N only after speed or tempo): the
        utterance as it is or, when `chooses(rng)`, `apply(samples, rng, applied)`."""
        samples = np.asarray(samples, np.float32)
        return self.apply(samples, rng, applied) if self.chooses(rng) else samples

    def apply(self, samples, rng, applied=None):
        """Every transform, each with its own probability (for an utterance `chooses` picked).

        `applied`: a list to which each transform applied appends what it drew, e.g. "speed x1.043".
        """
        samples = np.asarray(samples, np.float32)
        applied = [] if applied is None else applied
        for name, probability, step in self.steps:
            if rng.random() < probability:
                samples = step(samples, rng, applied)
        # Gain and noise may push peaks past full scale; a real converter clips there, and 16-bit audio
        # (what a user's file holds) cannot exceed it, so training should not see louder samples either.
        return np.clip(np.nan_to_num(samples, nan=0.0), -1.0, 1.0).astype(np.float32, copy=False)
