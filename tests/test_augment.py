"""Waveform augmentation (asr/augment/): determinism, what each transform does to a signal, config checks."""

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.signal
import soundfile as sf

from asr.augment import coloured_noise, registry, room
from asr.augment.formant import warp_formants
from asr.augment.noise import add_noise
from asr.augment.pipeline import Augmenter, Context
from asr.augment.pitch import shift_pitch
from asr.augment.signal import active_power, power
from asr.augment.speed import change_speed
from asr.augment.telephone import telephone_channel
from asr.augment.tempo import change_tempo
from asr.config import AugmentConfig, NoiseConfig, ReverbConfig
from asr.errors import AsrError
from asr.recipe import config_from_dict

RATE = 16000


def sine(hz, seconds=1.0, level=0.3):
    return (level * np.sin(2 * np.pi * hz * np.arange(int(seconds * RATE)) / RATE)).astype(np.float32)


def speech_like(seed=0, seconds=2.0):
    """Noise under a 4-Hz syllable envelope with a pause: has active and silent stretches."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    envelope = np.maximum(0, np.sin(2 * np.pi * 4 * np.arange(n) / RATE))
    envelope[n // 2: n // 2 + RATE // 4] = 0.0
    return (0.1 * rng.standard_normal(n) * envelope).astype(np.float32)


def dominant_hz(samples):
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return np.fft.rfftfreq(len(samples), 1 / RATE)[np.argmax(spectrum)]


def everything_on(**changes):
    config = AugmentConfig(enabled=True, **changes)
    for name in registry.transform_names():
        setattr(config, name, dataclasses.replace(getattr(config, name), probability=1.0))
    return config


def babble_source(rng):
    return speech_like(int(rng.integers(1000)), 1.0)


def steps():
    """(name, step) of every transform, and of noise from each generated source."""
    context = Context(RATE, babble_source)
    config = AugmentConfig()
    for name in registry.transform_names():
        if name != "noise":
            yield name, registry.transform_builder(name)(getattr(config, name), context)
    for source in registry.noise_source_names():
        if source != "folder":
            yield f"noise {source}", registry.transform_builder("noise")(NoiseConfig(sources=[source]), context)


@pytest.mark.parametrize("name, step", list(steps()), ids=lambda v: v if isinstance(v, str) else "")
def test_each_transform_is_deterministic_and_seed_dependent(name, step):
    samples = speech_like()
    first = step(samples, np.random.default_rng(5), [])
    again = step(samples.copy(), np.random.default_rng(5), [])
    other = step(samples, np.random.default_rng(6), [])
    assert first.dtype == np.float32 and np.all(np.isfinite(first))
    assert np.array_equal(first, again)
    if name != "telephone":  # the one transform without random values
        assert len(first) != len(other) or not np.array_equal(first, other)


def test_augmenter_is_deterministic_whatever_came_before():
    augmenter = Augmenter(everything_on(), RATE, babble_source)
    samples = speech_like()
    first = augmenter(samples, np.random.default_rng([1, 2]))
    for seed in range(5):  # other utterances in between fill caches (the reverb bank) in another order
        augmenter(speech_like(seed), np.random.default_rng(100 + seed))
    fresh = Augmenter(everything_on(), RATE, babble_source)
    assert np.array_equal(first, augmenter(samples, np.random.default_rng([1, 2])))
    assert np.array_equal(first, fresh(samples, np.random.default_rng([1, 2])))
    assert not np.array_equal(first, fresh(samples, np.random.default_rng([1, 3])))
    assert np.abs(first).max() <= 1.0 and np.all(np.isfinite(first))


def test_augmenter_reports_what_it_applied_in_order():
    applied = []
    Augmenter(everything_on(), RATE, babble_source)(speech_like(), np.random.default_rng(0), applied)
    assert [entry.split()[0] for entry in applied] == list(registry.transform_names())


def test_disabled_config_leaves_samples_untouched():
    samples = speech_like()
    rng = np.random.default_rng(0)
    out = Augmenter(AugmentConfig(), RATE)(samples, rng)
    assert out is samples or np.array_equal(out, samples)
    assert rng.random() == np.random.default_rng(0).random()  # nothing drawn


@pytest.mark.parametrize("factor", [0.9, 1.1])
def test_speed_scales_length_and_frequency(factor):
    out = change_speed(sine(500), factor, RATE)
    assert abs(len(out) - RATE / factor) <= 2
    assert dominant_hz(out) == pytest.approx(500 * factor, abs=3)


@pytest.mark.parametrize("factor", [0.9, 1.15])
def test_tempo_scales_length_and_keeps_pitch(factor):
    out = change_tempo(sine(220), factor, RATE)
    assert len(out) == round(RATE / factor)
    assert dominant_hz(out) == pytest.approx(220, abs=3)
    # no cancellation between overlapping frames: the level inside stays the sine's
    assert np.sqrt(power(out[800:-800])) == pytest.approx(0.3 / np.sqrt(2), rel=0.1)


@pytest.mark.parametrize("semitones", [-2.0, 3.0])
def test_pitch_keeps_length_and_shifts_frequency(semitones):
    out = shift_pitch(sine(300), semitones, RATE)
    assert len(out) == RATE
    assert dominant_hz(out) == pytest.approx(300 * 2 ** (semitones / 12), abs=4)


def resonance(excitation, hz, bandwidth_hz=100.0):
    """`excitation` through one formant: a two-pole resonator at `hz`, normalised to peak 0.3."""
    radius, angle = np.exp(-np.pi * bandwidth_hz / RATE), 2 * np.pi * hz / RATE
    out = scipy.signal.lfilter([1.0], [1.0, -2 * radius * np.cos(angle), radius * radius], excitation)
    return (0.3 * out / np.abs(out).max()).astype(np.float32)


def envelope_peak_hz(samples):
    """The frequency of the strongest spectral peak, averaged over 8-Hz Welch bins."""
    frequencies, density = scipy.signal.welch(samples, RATE, nperseg=2048)
    return frequencies[np.argmax(density)]


def pitch_hz(samples):
    """The autocorrelation peak between 60 and 400 Hz."""
    samples = samples - samples.mean()
    correlation = np.correlate(samples[:4000], samples[:4000], "full")[3999:]
    low, high = RATE // 400, RATE // 60
    return RATE / (low + np.argmax(correlation[low:high]))


@pytest.mark.parametrize("factor", [0.85, 1.2])
def test_formant_warp_moves_the_envelope_and_keeps_pitch_length_and_power(factor):
    # noise through a resonance: its spectrum is the envelope alone, with no harmonics to sample it
    hiss = resonance(np.random.default_rng(0).standard_normal(2 * RATE), 1000.0)
    assert envelope_peak_hz(warp_formants(hiss, factor, RATE)) == pytest.approx(1000.0 * factor, rel=0.04)
    # a 150-Hz pulse train through the same resonance: a vowel whose pitch the warp must keep
    pulses = np.zeros(2 * RATE)
    pulses[::RATE // 150] = 1.0
    vowel = resonance(pulses, 1000.0)
    out = warp_formants(vowel, factor, RATE)
    assert len(out) == len(vowel)
    assert pitch_hz(out) == pytest.approx(pitch_hz(vowel), rel=0.01)
    assert power(out) == pytest.approx(power(vowel), rel=1e-3)
    assert np.corrcoef(warp_formants(vowel, 1.0, RATE), vowel)[0, 1] > 0.999  # a factor of 1 changes nothing


@pytest.mark.parametrize("source", [s for s in registry.noise_source_names() if s != "folder"])
@pytest.mark.parametrize("snr_db", [0.0, 12.0])
def test_noise_at_the_requested_snr(source, snr_db):
    samples = speech_like()
    noise = registry.noise_source_builder(source)(NoiseConfig(), Context(RATE, babble_source))(np.random.default_rng(3),
                                                                                      len(samples))
    mixed = add_noise(samples, noise, snr_db)
    measured = 10 * np.log10(active_power(samples) / power(mixed - samples))
    assert measured == pytest.approx(snr_db, abs=0.5)


def octave_slope_db(noise):
    """Least-squares slope of the power spectrum in dB per octave, 100 Hz - 4 kHz."""
    hz = np.fft.rfftfreq(len(noise), 1 / RATE)
    spectrum = np.abs(np.fft.rfft(noise)) ** 2
    band = (hz >= 100) & (hz <= 4000)
    return np.polyfit(np.log2(hz[band]), 10 * np.log10(spectrum[band]), 1)[0]


@pytest.mark.parametrize("slope, expected", [(0.0, 0.0), (1.0, -3.0), (2.0, -6.0)])
def test_coloured_noise_slopes(slope, expected):
    noise = coloured_noise.coloured(np.random.default_rng(0), 4 * RATE, slope, RATE)
    assert octave_slope_db(noise) == pytest.approx(expected, abs=0.5)


def decay_rt60(response):
    """RT60 from the Schroeder backward integral's -5 to -25 dB slope (T20 x 3)."""
    energy = np.cumsum(response[::-1].astype(np.float64) ** 2)[::-1]
    curve = 10 * np.log10(energy / energy[0])
    fit = (curve <= -5) & (curve >= -25)
    return -60 / np.polyfit(np.arange(len(curve))[fit] / RATE, curve[fit], 1)[0]


@pytest.mark.parametrize("rt60", [0.3, 0.7])
def test_room_response_starts_with_direct_path_and_decays_at_rt60(rt60):
    for seed in range(3):
        response = room.random_room_response(np.random.default_rng(seed), rt60, RATE)
        assert np.argmax(np.abs(response)) == 0 and response[0] == pytest.approx(1.0)
        assert decay_rt60(response) == pytest.approx(rt60, rel=0.15)


def test_reverb_keeps_alignment_and_level():
    step = registry.transform_builder("reverb")(ReverbConfig(), Context(RATE))
    clicks = np.zeros(RATE, np.float32)
    clicks[[4000, 12000]] = 0.5
    out = step(clicks, np.random.default_rng(0), [])
    assert len(out) == RATE and np.argmax(np.abs(out[:8000])) == 4000
    assert power(out) == pytest.approx(power(clicks), rel=1e-3)


def test_telephone_band_and_length():
    samples = speech_like(seconds=1.0) + sine(6000, 1.0, 0.1)
    out = telephone_channel(samples, RATE)
    assert len(out) == len(samples)
    hz = np.fft.rfftfreq(len(out), 1 / RATE)
    spectrum = np.abs(np.fft.rfft(out)) ** 2
    assert spectrum[hz > 4000].sum() < 1e-3 * spectrum.sum()
    assert spectrum[(hz > 500) & (hz < 3000)].sum() > 0.5 * spectrum.sum()


def write_wav(path, samples, rate=RATE):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, samples, rate)


def test_noise_folder_reads_files_recursively(tmp_path):
    write_wav(tmp_path / "noise" / "free-sound" / "a.wav", sine(1000, 0.3))  # shorter than the speech: looped
    write_wav(tmp_path / "noise" / "sound-bible" / "b.flac", sine(4000, 3.0), 8000)  # 2 kHz at 8 kHz: resampled
    (tmp_path / "noise" / "LICENSE").write_text("not audio")
    source = registry.noise_source_builder("folder")(NoiseConfig(folder=str(tmp_path / "noise")), Context(RATE))
    peaks = {round(dominant_hz(source(np.random.default_rng(seed), RATE))) for seed in range(8)}
    assert peaks == {1000, 2000}


@pytest.mark.parametrize("make, message", [
    (lambda tmp: tmp / "missing", "missing: noise folder not found"),
    (lambda tmp: tmp, "no *.wav or *.flac files under this noise folder"),
])
def test_bad_noise_folder_is_one_line(tmp_path, make, message):
    folder = make(tmp_path)
    with pytest.raises(AsrError) as error:
        registry.noise_source_builder("folder")(NoiseConfig(folder=str(folder)), Context(RATE))
    assert message in str(error.value) and "\n" not in str(error.value)


def test_babble_without_a_source_is_one_line():
    with pytest.raises(AsrError, match="babble_source"):
        Augmenter(AugmentConfig(enabled=True, noise=NoiseConfig(sources=["babble"])), RATE)


def test_reverb_from_a_folder_starts_at_the_peak(tmp_path):
    response = np.zeros(4000, np.float32)
    response[[700, 900]] = [0.8, 0.3]
    write_wav(tmp_path / "rirs" / "room.wav", response)
    step = registry.transform_builder("reverb")(ReverbConfig(folder=str(tmp_path / "rirs")), Context(RATE))
    click = np.zeros(RATE, np.float32)
    click[1000] = 0.5
    applied = []
    out = step(click, np.random.default_rng(0), applied)
    assert np.argmax(np.abs(out)) == 1000 and abs(out[1200]) > 0.1 and applied == ["reverb room.wav"]


@pytest.mark.parametrize("augment, message", [
    ({"speed": {"probability": 1.5}}, "'train.augment.speed.probability' must be in [0, 1], got 1.5"),
    ({"gain": {"db": [6, -6]}}, "'train.augment.gain.db' must be [low, high] with low ≤ high"),
    ({"tempo": {"range": [0.9]}}, "'train.augment.tempo.range' must be [low, high], got [0.9]"),
    ({"speed": {"range": [0.0, 1.1]}}, "'train.augment.speed.range' ends must be in [0.5, 2.0], got 0.0"),
    ({"noise": {"sources": ["white", "purple"]}}, "'train.augment.noise.sources' items must be among"),
    ({"noise": {"sources": ["folder"]}}, "'train.augment.noise.folder' is given exactly when"),
    ({"reverb": {"rooms": 3}}, "unknown key 'train.augment.reverb.rooms'"),
])
def test_bad_augment_config_is_one_line(augment, message):
    with pytest.raises(AsrError) as error:
        config_from_dict({"train": {"augment": augment}})
    assert message in str(error.value) and "\n" not in str(error.value)


def test_augment_config_from_yaml_values():
    config = config_from_dict({"train": {"augment": {"enabled": True, "pitch": {"semitones": [-1, 2]},
                                                     "noise": {"sources": ["pink", "babble"]}}}})
    assert config.train.augment.enabled and config.train.augment.pitch.semitones == [-1.0, 2.0]
    assert config.train.augment.noise.sources == ["pink", "babble"]
    assert not config_from_dict({}).train.augment.enabled


def run_preview(*args):
    repo = Path(__file__).resolve().parents[1]
    return subprocess.run([sys.executable, str(repo / "tools" / "augment_preview.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=120, cwd=repo)


def test_preview_writes_wavs_pngs_and_what_was_applied(tmp_path):
    config = tmp_path / "augment.yaml"
    config.write_text("train:\n  augment:\n    enabled: true\n    noise: {probability: 1.0, sources: [babble]}\n")
    for name in ("a", "b"):
        write_wav(tmp_path / f"{name}.wav", speech_like(ord(name), 1.0))
    result = run_preview("--config", config, "--audio", tmp_path / "a.wav", tmp_path / "b.wav", "--count", 3,
                         "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 3 and all("noise babble at" in line for line in lines)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "000_a.png", "000_a.wav", "001_b.png", "001_b.wav", "002_a.png", "002_a.wav"]
    assert sf.info(str(tmp_path / "out" / "001_b.wav")).subtype == "PCM_16"
    missing = run_preview("--config", config, "--audio", tmp_path / "nope.wav", "--out", tmp_path / "out")
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"augment_preview: {tmp_path / 'nope.wav'}: no such file"


@pytest.mark.parametrize("length", [0, 1, 100, 1601])
@pytest.mark.parametrize("silent", [False, True])
def test_short_and_silent_inputs_stay_finite(length, silent):
    augmenter = Augmenter(everything_on(), RATE, babble_source)
    samples = np.zeros(length, np.float32) if silent else speech_like(seconds=length / RATE)
    for seed in range(5):
        out = augmenter(samples, np.random.default_rng(seed))
        assert out.dtype == np.float32 and np.all(np.isfinite(out)) and np.abs(out).max(initial=0) <= 1


def test_a_registered_noise_source_is_a_config_choice():
    registry.register_noise_source("test_square", lambda section, context: lambda rng, length: np.sign(
        np.sin(2 * np.pi * 100 * np.arange(length) / context.sample_rate)).astype(np.float32))
    config = config_from_dict({"train": {"augment": {"enabled": True, "noise": {
        "probability": 1.0, "snr_db": [-10, -10], "sources": ["test_square"]}}}}).train.augment
    applied = []
    out = Augmenter(config, RATE)(sine(1000, level=0.01), np.random.default_rng(0), applied)
    assert "noise test_square at -10.0 dB SNR" in applied and dominant_hz(out) == pytest.approx(100, abs=2)


def test_every_augment_range_has_bounds():
    from asr.config import INTERVALS
    ranges = [f"train.augment.{name}.{f.name}" for name in registry.transform_names()
              for f in dataclasses.fields(getattr(AugmentConfig(), name))
              if f.name not in ("probability", "sources", "folder")]
    assert sorted(ranges) == sorted(k for k in INTERVALS if k.startswith("train.augment."))
