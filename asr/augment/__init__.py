"""Waveform augmentation applied on the fly in training: speed, tempo, pitch, formants, reverb, noise, telephone, gain,
clipping. `asr.augment.pipeline.Augmenter` applies them; `asr.augment.registry` lists them by name;
`asr.augment.augmented_features` hears training utterances through it, as log-mels."""
