"""Recipe configuration: typed dataclasses of plain values and the checks a value can pass alone (its type, its
range, a fixed list of choices), with unknown keys rejected.

This is the ground floor every stage builds on, so it imports none of them: a recipe is read (YAML -> a checked
RecipeConfig) by asr.recipe, which adds the checks that need the stages' registries and the settings together.
"""

import dataclasses
import math
import typing
from dataclasses import dataclass, field

from asr.config_checks import TTS_VOICES
from asr.errors import AsrError


@dataclass
class CorpusConfig:
    """How the synthetic English corpus is made (data_prep/synth_en.py)."""
    train_sentences: int = 20000
    dev_sentences: int = 400
    test_sentences: int = 400
    unseen_voice_sentences: int = 400
    accents: list = field(default_factory=lambda: [
        "en-us", "en-gb", "en-gb-x-rp", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-gbcwmd",
        "en-029", "en-us-nyc"])
    variants: list = field(default_factory=lambda: [
        "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5"])
    unseen_voices: int = 10
    min_words: int = 3
    max_words: int = 20
    rate_wpm: list = field(default_factory=lambda: [140, 190])  # espeak-ng
    pitch: list = field(default_factory=lambda: [25, 75])  # espeak-ng's 0..99 scale
    # train utterances pick an engine by these shares; dev, test and test_unseen_voices are espeak-ng's
    engines: dict = field(default_factory=lambda: {"espeak-ng": 0.6, "flite": 0.4})
    # dev drawn as train is (engines, voices, rate, volume) instead of espeak-ng's: what early stopping and
    # the LM weights are chosen on, for a model meant for more than espeak-ng
    dev_like_train: bool = False
    flite_voices: list = field(default_factory=lambda: list(TTS_VOICES["flite"]))  # every voice allowed
    festival_voices: list = field(default_factory=lambda: list(TTS_VOICES["festival"]))
    # an engine no training utterance comes from: it speaks test_unseen_engine, and adapt_unseen_engine,
    # a small set for fine-tuning examples that default training never reads
    unseen_engine: str = "festival"
    unseen_engine_sentences: int = 400
    adapt_sentences: int = 300
    # a second held-out engine, a neural one, for test_unseen_neural (none unless it is given sentences)
    unseen_neural_engine: str = "hibari"
    unseen_neural_sentences: int = 0
    kokoro_voices: int = 500  # numbered mixtures of Kokoro's voice packs, per engine (data_prep/tts/kokoro*.py)
    hibari_voices: list = field(default_factory=lambda: list(TTS_VOICES["hibari"]))
    duration_stretch: list = field(default_factory=lambda: [0.85, 1.2])  # flite and festival; > 1 is slower
    f0_mean_hz: list = field(default_factory=lambda: [85, 140])  # flite and festival; their voices are male
    neural_speed: list = field(default_factory=lambda: [0.85, 1.15])  # kokoro, hibari and pico; > 1 is faster
    volume_db: list = field(default_factory=lambda: [-12.0, 0.0])  # a gain on all but the espeak-ng test splits
    seed: int = 1234


@dataclass(frozen=True)
class FeatureConfig:
    """Every setting of the log-mel features (asr/data/features.py), and how shards group them.

    The signal settings (all but utterances_per_shard) are recorded with every shard set and every
    model (asr.provenance.feature_settings): a model is never fed, nor trained on, other features.
    """
    sample_rate: int = 16000
    n_mels: int = 80
    win_length: int = 400  # 25 ms at 16 kHz
    hop_length: int = 160  # 10 ms at 16 kHz -> 100 frames per second
    n_fft: int = 512  # next power of two above win_length: faster FFT, same window
    fmin: float = 20.0
    fmax: float = 7600.0
    log_floor: float = 1e-6  # keeps log() finite on digital silence
    utterances_per_shard: int = 2000


@dataclass
class ModelConfig:
    """The acoustic model (asr/models/): frame stacking, an encoder from the registry, the classifier.

    `layers`, `units` and `dropout` are read by the encoder; model.json keeps all of it, and
    `ModelConfig(**saved)` rebuilds the model.
    """
    stack: int = 3
    skip: int = 3
    encoder: str = "bilstm"  # a name in asr.models.registry
    layers: int = 3
    units: int = 256
    dropout: float = 0.1
    # future stacked frames the streaming encoder (lstm_lookahead) sees through its row convolution;
    # the bidirectional encoders see the whole utterance and ignore it
    lookahead: int = 0
    # output symbols: empty for characters (a-z, apostrophe, space), else a list such as TIMIT's 39 phones
    vocabulary: list = field(default_factory=list)
    # how the model normalises its log-mel input (asr.models.normalisation): "global", one mean and std of
    # the training features kept in the weights; "utterance", each utterance's own mean and std (no
    # channel level or colour carried over from training; needs the whole utterance, so no streaming)
    normalisation: str = "global"


@dataclass
class SpecAugmentConfig:
    enabled: bool = True
    freq_masks: int = 2
    freq_width: int = 10
    time_masks: int = 2
    time_width: int = 20
    max_time_fraction: float = 0.1


@dataclass
class SpeedConfig:
    """Kaldi-style speed perturbation: tempo and pitch change together by a factor drawn from `range`."""
    probability: float = 0.5
    range: list = field(default_factory=lambda: [0.9, 1.1])


@dataclass
class TempoConfig:
    """Duration scaled by 1 / a factor drawn from `range`, pitch kept (overlap-add)."""
    probability: float = 0.0
    range: list = field(default_factory=lambda: [0.9, 1.1])


@dataclass
class PitchConfig:
    """Pitch shifted by semitones drawn from `semitones`, duration kept."""
    probability: float = 0.0
    semitones: list = field(default_factory=lambda: [-2.0, 2.0])


@dataclass
class FormantConfig:
    """Formant frequencies (the vocal tract's length) scaled by a factor drawn from `factor`, pitch and
    duration kept."""
    probability: float = 0.0
    factor: list = field(default_factory=lambda: [0.9, 1.1])


@dataclass
class ReverbConfig:
    """A room impulse response: simulated (image method, RT60 in seconds drawn from `rt60`) or, when
    `folder` is given, one of the *.wav files below it."""
    probability: float = 0.3
    rt60: list = field(default_factory=lambda: [0.2, 0.8])
    folder: str = ""


@dataclass
class NoiseConfig:
    """Additive noise from one of `sources` (asr.augment.registry) at an SNR in dB drawn from `snr_db`;
    the source `folder` reads the noise files below `folder` (MUSAN layout: any *.wav/*.flac)."""
    probability: float = 0.5
    snr_db: list = field(default_factory=lambda: [0.0, 20.0])
    sources: list = field(default_factory=lambda: ["white", "pink", "brown", "hum", "ambience"])
    folder: str = ""


@dataclass
class TelephoneConfig:
    """A telephone channel: 300-3400 Hz, 8 kHz, 8-bit mu-law."""
    probability: float = 0.1


@dataclass
class GainConfig:
    probability: float = 0.5
    db: list = field(default_factory=lambda: [-10.0, 6.0])


@dataclass
class ClippingConfig:
    """Hard clipping at a fraction of the peak drawn from `fraction`."""
    probability: float = 0.0
    fraction: list = field(default_factory=lambda: [0.3, 0.9])


@dataclass
class AugmentConfig:
    """Waveform augmentation in training (asr/augment/), off unless enabled; the sections are in the order
    asr.augment.pipeline.Augmenter applies them."""
    enabled: bool = False
    # share of the utterances drawn that are augmented at all; the others are the feature shards as they
    # are, at no cost (an augmented one costs about as much as computing its features: tools/bench_train.py)
    probability: float = 1.0
    # 0: every draw is augmented afresh by the input pipeline, beside the model on the same cores. K > 0: K
    # augmented copies of every training utterance are computed before the first epoch by every core, and
    # epoch e reads copy e mod K (asr.augment.copies): training runs at the clean pipeline's speed, and each
    # utterance has K augmented versions instead of a new one per draw (K = max_epochs: one per epoch)
    copies: int = 0
    speed: SpeedConfig = field(default_factory=SpeedConfig)
    tempo: TempoConfig = field(default_factory=TempoConfig)
    pitch: PitchConfig = field(default_factory=PitchConfig)
    formant: FormantConfig = field(default_factory=FormantConfig)
    reverb: ReverbConfig = field(default_factory=ReverbConfig)
    noise: NoiseConfig = field(default_factory=NoiseConfig)
    telephone: TelephoneConfig = field(default_factory=TelephoneConfig)
    gain: GainConfig = field(default_factory=GainConfig)
    clipping: ClippingConfig = field(default_factory=ClippingConfig)


@dataclass
class TrainConfig:
    """Optimisation and data pipeline (asr/training/, asr/data/)."""
    max_epochs: int = 10
    batch_frames: int = 16000
    max_batch_utterances: int = 64
    peak_learning_rate: float = 1e-3
    warmup_steps: int = 300
    final_learning_rate_fraction: float = 0.05
    clipnorm: float = 5.0
    early_stopping_metric: str = "dev_wer"
    patience: int = 3
    checkpoint_every_steps: int = 100
    checkpoint_every_minutes: float = 10.0  # whichever comes first: a crash loses at most this much
    # auto: mixed_float16 on a GPU, float32 on a CPU; or float32, mixed_float16, mixed_bfloat16
    precision: str = "auto"
    max_skipped_batches: int = 20  # stop when this many batches in a row have a non-finite loss
    spec_augment: SpecAugmentConfig = field(default_factory=SpecAugmentConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    seed: int = 1234


@dataclass
class DecodeConfig:
    """Defaults of `asr evaluate` and `asr transcribe` (model.json keeps them for transcription)."""
    strategy: str = "greedy"  # a name in asr.decoding.strategies
    beam_width: int = 32
    chunk_seconds: float = 20.0  # transcription cuts longer files into pieces


@dataclass
class RecipeConfig:
    corpus: CorpusConfig = field(default_factory=CorpusConfig)
    # recipe split -> the corpus's official splits it is made of, e.g. {train: [train_clean_100, ...]};
    # empty when the corpus preparation writes the recipe's splits itself (synth_en)
    splits: dict = field(default_factory=dict)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    decode: DecodeConfig = field(default_factory=DecodeConfig)


PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")
NORMALISATIONS = ("global", "utterance")
# allowed values known here; the settings whose values are a registry's names are asr.recipe's
CHOICES = {"train.early_stopping_metric": ("dev_wer", "dev_loss"), "train.precision": PRECISIONS,
           "model.normalisation": NORMALISATIONS}
RENAMED = {"model.cell": "model.encoder (bilstm or bigru)", "train.specaugment": "train.spec_augment.enabled"}


# Allowed ranges of every numeric setting: (lowest, highest, lowest excluded, highest excluded); None: no bound.
COUNT, NON_NEGATIVE, POSITIVE, FRACTION = (1, None, False, False), (0, None, False, False), \
    (0, None, True, False), (0, 1, False, False)
RANGES = {
    **{f"corpus.{k}": COUNT for k in ("train_sentences", "dev_sentences", "test_sentences", "min_words",
                                      "max_words", "kokoro_voices")},
    **{f"corpus.{k}": NON_NEGATIVE for k in ("unseen_voice_sentences", "unseen_voices", "unseen_engine_sentences",
                                             "unseen_neural_sentences", "adapt_sentences", "seed")},
    **{f"features.{k}": COUNT for k in ("sample_rate", "n_mels", "win_length", "hop_length", "n_fft",
                                        "utterances_per_shard")},
    "features.fmin": NON_NEGATIVE, "features.fmax": POSITIVE, "features.log_floor": POSITIVE,
    **{f"model.{k}": COUNT for k in ("stack", "skip", "layers", "units")},
    "model.dropout": (0, 1, False, True), "model.lookahead": NON_NEGATIVE,
    **{f"train.spec_augment.{k}": NON_NEGATIVE for k in ("freq_masks", "freq_width", "time_masks", "time_width")},
    "train.spec_augment.max_time_fraction": FRACTION,
    **{f"train.{k}": COUNT for k in ("max_epochs", "batch_frames", "max_batch_utterances", "patience",
                                     "checkpoint_every_steps", "max_skipped_batches")},
    **{f"train.{k}": POSITIVE for k in ("peak_learning_rate", "clipnorm", "checkpoint_every_minutes")},
    "train.warmup_steps": NON_NEGATIVE, "train.final_learning_rate_fraction": FRACTION, "train.seed": NON_NEGATIVE,
    "train.augment.probability": FRACTION, "train.augment.copies": NON_NEGATIVE,
    # every augmentation's section (asr.recipe holds the sections to the augmentation registry)
    **{f"train.augment.{f.name}.probability": FRACTION for f in dataclasses.fields(AugmentConfig)
       if dataclasses.is_dataclass(f.type)},
    "decode.beam_width": COUNT,
    "decode.chunk_seconds": (1.0, None, False, False),  # a chunk must hold speech, and shorter ones never end
}


# Settings that are a [low, high] range to draw from: both ends inside these bounds, low ≤ high
INTERVALS = {
    "train.augment.speed.range": (0.5, 2.0, False, False), "train.augment.tempo.range": (0.5, 2.0, False, False),
    "train.augment.pitch.semitones": (-12.0, 12.0, False, False),  # an octave either way
    "train.augment.formant.factor": (0.5, 2.0, False, False),  # a child's formants are ~1.5x a man's
    "train.augment.reverb.rt60": (0.05, 2.0, False, False),  # simulation cost grows with RT60 cubed
    "train.augment.noise.snr_db": (-20.0, 80.0, False, False),
    "train.augment.gain.db": (-60.0, 40.0, False, False),
    "train.augment.clipping.fraction": (0, 1, True, False),
    "corpus.rate_wpm": (80, 450, False, False), "corpus.pitch": (0, 99, False, False),
    "corpus.duration_stretch": (0.5, 2.0, False, False), "corpus.f0_mean_hz": (50, 300, False, False),
    "corpus.volume_db": (-40, 0, False, False),  # a gain above 0 dB could clip
    "corpus.neural_speed": (0.5, 2.0, False, False),
}


def describe_range(bounds):
    low, high, low_open, high_open = bounds
    if high is None:
        return f"{'>' if low_open else '≥'} {low}"
    return f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"


def check_range(value, bounds, label):
    """AsrError "<label> must be ≥ 1, got 0" unless `value` is finite and inside `bounds` (a RANGES value)."""
    low, high, low_open, high_open = bounds
    inside = math.isfinite(value) and (value > low if low_open else value >= low) and \
        (high is None or (value < high if high_open else value <= high))
    if not inside:
        raise AsrError(f"{label} must be {describe_range(bounds)}, got {value!r}")
    return value


# `asr train --strategy` (asr/distribution.py); a command-line choice, not a recipe setting
DISTRIBUTIONS = ("default", "mirrored", "multiworker")


def _build(cls, values, where, source):
    if not isinstance(values, dict):
        raise AsrError(f"{source}: '{where or 'top level'}' must be a mapping of keys to values")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in values.items():
        name = f"{where}.{key}" if where else key
        if name in RENAMED:
            raise AsrError(f"{source}: '{name}' is now '{RENAMED[name]}'")
        if key not in fields:
            raise AsrError(f"{source}: unknown key '{name}' (known: {', '.join(fields)})")
        kind = hints[key]
        if dataclasses.is_dataclass(kind):
            kwargs[key] = _build(kind, value, name, source)
        else:
            kwargs[key] = _check_value(kind, value, name, source)
    return cls(**kwargs)


def _check_value(kind, value, name, source):
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise AsrError(f"{source}: '{name}' must be {kind.__name__}, got {value!r}")
    if name in CHOICES:
        check_choice(value, CHOICES[name], name, source)
    if name in RANGES:
        check_range(value, RANGES[name], f"{source}: '{name}'")
    if name in INTERVALS:
        value = _check_interval(value, INTERVALS[name], name, source)
    return value


def check_choice(value, choices, name, source):
    """AsrError "<source>: '<name>' must be one of a, b, got 'c'" unless `value` is in `choices`."""
    if value not in choices:
        raise AsrError(f"{source}: '{name}' must be one of {', '.join(choices)}, got {value!r}")


def check_items(values, choices, name, source):
    """AsrError naming the first of a list setting's `values` that is not in `choices`."""
    for value in values:
        if value not in choices:
            raise AsrError(f"{source}: '{name}' items must be among {', '.join(choices)}, got {value!r}")


def _check_interval(value, bounds, name, source):
    """[low, high] as floats; AsrError unless both are numbers within `bounds` and low ≤ high."""
    if len(value) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        raise AsrError(f"{source}: '{name}' must be [low, high], got {value!r}")
    for end in value:
        check_range(end, bounds, f"{source}: '{name}' ends")
    if value[0] > value[1]:
        raise AsrError(f"{source}: '{name}' must be [low, high] with low ≤ high, got {value!r}")
    return [float(v) for v in value]


def build_config(values, source="config"):
    """A RecipeConfig from a dict of sections, every key known and every value of its type, range and
    fixed choices; AsrError names `source` and the key. Not the whole check: asr.recipe.config_from_dict is."""
    return _build(RecipeConfig, values or {}, "", source)


def config_to_dict(config):
    return dataclasses.asdict(config)
