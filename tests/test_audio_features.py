import numpy as np
import pytest
import soundfile as sf

from asr.config import FeatureConfig
from asr.data.audio import SAMPLE_RATE, load_audio
from asr.data.features import file_log_mel, log_mel
from asr.errors import AsrError


def tone(seconds, rate, freq=440.0):
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_shape_and_finite_on_silence():
    features = log_mel(np.zeros(SAMPLE_RATE, np.float32))
    assert features.shape == (1 + SAMPLE_RATE // 160, 80)
    assert np.all(np.isfinite(features))


def test_every_feature_setting_is_honoured():
    config = FeatureConfig(sample_rate=8000, n_mels=40, win_length=200, hop_length=80, n_fft=256, fmax=3800.0)
    features = log_mel(tone(1.0, 8000), config)
    assert features.shape == (1 + 8000 // 80, 40) and np.all(np.isfinite(features))
    assert not np.allclose(log_mel(tone(1.0, 8000), FeatureConfig(**{**vars(config), "fmin": 300.0})), features)


def test_file_and_array_give_the_same_features(tmp_path):
    samples = tone(1.3, SAMPLE_RATE)
    path = tmp_path / "a.wav"
    sf.write(path, samples, SAMPLE_RATE, subtype="FLOAT")
    np.testing.assert_array_equal(file_log_mel(path), log_mel(samples))


@pytest.mark.parametrize("rate, channels", [(48000, 2), (8000, 1), (44100, 2), (22050, 1)])
def test_any_rate_and_channels_become_16k_mono(tmp_path, rate, channels):
    samples = np.stack([tone(1.0, rate)] * channels, axis=1) if channels > 1 else tone(1.0, rate)
    path = tmp_path / "x.flac"
    sf.write(path, samples, rate)
    loaded = load_audio(path)
    assert loaded.ndim == 1 and abs(len(loaded) - SAMPLE_RATE) <= 2
    spectrum = np.abs(np.fft.rfft(loaded))
    assert abs(np.argmax(spectrum) * SAMPLE_RATE / len(loaded) - 440) < 3  # pitch survives resampling


@pytest.mark.parametrize("content, reason", [
    (None, "no such file"),
    (b"", "not a readable audio file"),
    (b"this is not audio at all" * 10, "not a readable audio file"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", "not a readable audio file"),
])
def test_bad_audio_is_one_line_naming_the_file(tmp_path, content, reason):
    path = tmp_path / "bad.wav"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(AsrError) as error:
        load_audio(path)
    assert str(path) in str(error.value) and reason in str(error.value)


def test_zero_length_audio(tmp_path):
    path = tmp_path / "empty.wav"
    sf.write(path, np.zeros(0, np.float32), SAMPLE_RATE)
    with pytest.raises(AsrError, match="no audio samples"):
        load_audio(path)


@pytest.mark.parametrize("config", [
    FeatureConfig(),
    FeatureConfig(sample_rate=8000, n_mels=40, win_length=200, hop_length=80, n_fft=256, fmax=3800.0),
    FeatureConfig(fmin=0.0, fmax=8000.0, win_length=512),
])
def test_features_are_librosas(config):
    """log_mel writes librosa's mel filterbank and STFT out in numpy (librosa's import is slow): same numbers."""
    import librosa  # a dependency, imported here for its slow import
    reference = librosa.filters.mel(sr=config.sample_rate, n_fft=config.n_fft, n_mels=config.n_mels,
                                    fmin=config.fmin, fmax=config.fmax)
    from asr.data.features import mel_filterbank
    np.testing.assert_allclose(mel_filterbank(config), reference, rtol=1e-5, atol=1e-9)
    window = np.hanning(config.win_length + 2)[1:-1].astype(np.float32)
    for n in (100, config.n_fft, config.n_fft + 1, 16001):
        samples = np.random.default_rng(n).normal(scale=0.1, size=n).astype(np.float32)
        padded = np.pad(samples, (0, max(0, config.n_fft - n)))
        power = np.abs(librosa.stft(padded, n_fft=config.n_fft, hop_length=config.hop_length,
                                    win_length=config.win_length, window=window, center=True)) ** 2
        expected = np.log(reference @ power + config.log_floor).T[:1 + n // config.hop_length]
        np.testing.assert_allclose(log_mel(samples, config), expected, atol=2e-5)


def streamed(path, rate=SAMPLE_RATE):
    from asr.data.audio import stream_audio
    return np.concatenate(list(stream_audio(path, rate)))


@pytest.mark.parametrize("rate, channels", [(44100, 2), (48000, 1), (8000, 1), (16000, 2)])
def test_resampling_block_by_block_gives_the_whole_file_resampled(tmp_path, rate, channels, monkeypatch):
    """soxr's streaming resampler carries its filter state across blocks: no seam at block edges."""
    from asr.data import audio
    from asr.data.audio import to_mono
    samples = np.random.default_rng(rate).normal(scale=0.1, size=(int(2.3 * rate), channels)).astype(np.float32)
    path = tmp_path / "x.wav"
    sf.write(path, samples, rate, subtype="FLOAT")
    whole = to_mono(samples, rate)
    for block_frames in (1000, 4097, audio.BLOCK_FRAMES):
        monkeypatch.setattr(audio, "BLOCK_FRAMES", block_frames)
        blocks = streamed(path)
        assert len(blocks) == len(whole)
        np.testing.assert_allclose(blocks, whole, rtol=0, atol=1e-7)


@pytest.mark.parametrize("damage, reason", [
    (lambda x: x.__setitem__(30000, np.nan), "contains NaN or infinite samples"),
    (lambda x: x.__setitem__(30000, 1e30), "more than 1e+06 times full scale"),
])
def test_a_bad_sample_in_a_late_block_is_one_line_naming_the_file(tmp_path, damage, reason, monkeypatch):
    from asr.data import audio
    monkeypatch.setattr(audio, "BLOCK_FRAMES", 4000)
    samples = tone(2.0, SAMPLE_RATE)
    damage(samples)
    path = tmp_path / "late.wav"
    sf.write(path, samples, SAMPLE_RATE, subtype="FLOAT")
    for read in (load_audio, streamed):
        with pytest.raises(AsrError) as error:
            read(path)
        assert str(error.value).startswith(f"{path}: ") and reason in str(error.value)


def test_a_short_file_read_block_by_block_is_too_short(tmp_path, monkeypatch):
    from asr.data import audio
    monkeypatch.setattr(audio, "BLOCK_FRAMES", 100)
    path = tmp_path / "short.wav"
    sf.write(path, tone(0.05, 44100), 44100)
    with pytest.raises(AsrError, match=f"{path}: too short \\(50 ms of audio; at least 100 ms needed\\)"):
        streamed(path)
