"""Training features heard through the waveform augmenter: fresh log-mels from the audio at every draw.

The feature stage's shards hold the clean features; with `train.augment` on, each time the input pipeline
draws a training utterance it reads the audio, passes it through the Augmenter (asr.augment.pipeline) with a generator
seeded by the utterance's place in the epoch's plan, and computes the log-mels with the same function and
settings as the shards (asr.data.features.log_mel), so an augmented utterance differs from its shard only
by what the augmenter did. Every epoch hears other versions; a resumed run hears what the uninterrupted
one would have, since the seed depends on (seed, epoch, batch, position) only.
"""

from asr.augment.pipeline import Augmenter
from asr.data.audio import load_audio
from asr.data.batching import min_input_frames
from asr.data.features import log_mel


class AugmentedFeatures:
    """`features(utterance, rng)` -> (T, n_mels) float32: the utterance's audio augmented, as log-mels.

    audio_paths: utterance id -> audio file; store: the clean shards (used when the augmenter leaves the
    audio as it is, and when a speed-up makes it too short for its label); min_frames(utterance): fewest
    input frames CTC needs for the utterance's label.
    """

    def __init__(self, augment_config, feature_config, audio_paths, store, min_frames):
        self.feature_config, self.audio_paths = feature_config, audio_paths
        self.store, self.min_frames = store, min_frames
        self._ids = sorted(audio_paths)  # babble draws by index: the same rng picks the same talkers
        self.augmenter = Augmenter(augment_config, feature_config.sample_rate, babble_source=self.babble)

    def audio(self, utt_id):
        return load_audio(self.audio_paths[utt_id], self.feature_config.sample_rate)

    def babble(self, rng):
        """Another training utterance, chosen with rng only (babble noise mixes a few of them)."""
        return self.audio(self._ids[int(rng.integers(len(self._ids)))])

    def for_epoch(self, epoch):
        """Itself: every draw of every epoch is augmented afresh, by its own rng."""
        return self

    def features(self, utterance, rng):
        if not self.augmenter.chooses(rng):  # the shard as it is: no audio read, no features computed
            return self.store[utterance.id]
        features = self.augmented(utterance.id, rng)
        if features is None or len(features) < self.min_frames(utterance):  # sped up past what its label needs
            return self.store[utterance.id]
        return features

    def augmented(self, utt_id, rng):
        """The utterance through every transform rng draws, as log-mels; None when rng drew none."""
        applied = []
        samples = self.augmenter.apply(self.audio(utt_id), rng, applied)
        return log_mel(samples, self.feature_config) if applied else None


def training_augmentation(config, rows, store):
    """The AugmentedFeatures of a recipe config's train.augment over a split's manifest rows and shards."""
    return AugmentedFeatures(config.train.augment, config.features, {row["id"]: row["audio"] for row in rows},
                             store, label_frames(config.model))


def label_frames(model):
    """utterance -> the fewest input frames CTC needs for its label, under the model's frame stacking."""
    return lambda utterance: min_input_frames(utterance.label, model.stack, model.skip)
