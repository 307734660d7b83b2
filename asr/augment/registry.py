"""The augmentation registries: transforms in the order the Augmenter applies them, and noise sources.

A transform entry names a builder `make(section, context) -> step`: `section` is its AugmentConfig section,
`context` an asr.augment.pipeline.Context (sample rate, babble source), and `step(samples, rng, applied)`
returns the transformed float32 samples, appending what it drew to the list `applied`. Entries are import
paths, so listing the names (config checks) imports nothing.

Adding an augmentation: one module with its builder, one line here, one config section in asr/config.py.
"""

from asr.registry import Registry

# the order is the order of application: the speaker (speed, tempo, pitch, formant), the room (reverb), the
# background (noise), the channel (telephone), the recording level (gain), the converter (clipping)
TRANSFORMS = Registry("augmentation", {
    "speed": "asr.augment.speed:make",
    "tempo": "asr.augment.tempo:make",
    "pitch": "asr.augment.pitch:make",
    "formant": "asr.augment.formant:make",
    "reverb": "asr.augment.reverb:make",
    "noise": "asr.augment.noise:make",
    "telephone": "asr.augment.telephone:make",
    "gain": "asr.augment.gain:make",
    "clipping": "asr.augment.clipping:make",
})
transform_names, transform_builder = TRANSFORMS.names, TRANSFORMS.get

# noise source -> builder `make(section, context) -> source(rng, length) -> float32 noise`, any level
NOISE_SOURCES = Registry("noise source", {
    "white": "asr.augment.coloured_noise:make_white",
    "pink": "asr.augment.coloured_noise:make_pink",
    "brown": "asr.augment.coloured_noise:make_brown",
    "hum": "asr.augment.hum:make",
    "ambience": "asr.augment.ambience:make",
    "babble": "asr.augment.babble:make",
    "folder": "asr.augment.noise_folder:make",
})
register_noise_source, noise_source_names, noise_source_builder = \
    NOISE_SOURCES.register, NOISE_SOURCES.names, NOISE_SOURCES.get
