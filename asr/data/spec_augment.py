"""SpecAugment (Park et al., 2019): random frequency-band and time-span masks on log-mel features."""


def spec_augment(features, lengths, config, rngs):
    """Mask random frequency bands and time spans in place, time masks within each true length.

    Utterance i draws from rngs[i], so its masks do not depend on which batch or replica it lands in.
    Masked values are set to the utterance's mean so CMVN sees an unremarkable value.
    """
    for utt, length, rng in zip(features, lengths, rngs):
        utt = utt[:length]
        fill = utt.mean()
        for _ in range(config.freq_masks):
            width = rng.integers(0, config.freq_width + 1)
            start = rng.integers(0, utt.shape[1] - width + 1)
            utt[:, start:start + width] = fill
        max_width = min(config.time_width, int(config.max_time_fraction * length))
        for _ in range(config.time_masks):
            width = rng.integers(0, max_width + 1)
            start = rng.integers(0, max(length - width, 0) + 1)
            utt[start:start + width] = fill
    return features
