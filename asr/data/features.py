"""Log-mel features: the single feature function shared by data prep, training and `asr transcribe`.

Every setting comes from a FeatureConfig (asr.config), which shards and models record; the defaults
are 80 log-mel bands of 25 ms windows every 10 ms at 16 kHz, 20-7600 Hz.
"""

import functools

import librosa
import numpy as np

from asr.config import FeatureConfig
from asr.data.audio import load_audio

DEFAULT = FeatureConfig()


@functools.lru_cache(maxsize=8)
def _mel_basis_and_window(config):
    mel = librosa.filters.mel(sr=config.sample_rate, n_fft=config.n_fft, n_mels=config.n_mels, fmin=config.fmin,
                              fmax=config.fmax)  # (n_mels, n_fft // 2 + 1)
    window = np.hanning(config.win_length + 2)[1:-1].astype(np.float32)  # Hann without its zero ends
    return mel, window


def log_mel(samples, config=DEFAULT):
    """Mono float32 samples (N,) at config.sample_rate -> log-mel features (1 + N // hop, n_mels) float32."""
    mel_basis, window = _mel_basis_and_window(config)
    samples = np.asarray(samples, dtype=np.float32)
    frames = 1 + len(samples) // config.hop_length
    if len(samples) < config.n_fft:  # too short for one FFT: pad with silence, keep the frame count
        samples = np.pad(samples, (0, config.n_fft - len(samples)))
    spectrum = librosa.stft(samples, n_fft=config.n_fft, hop_length=config.hop_length, win_length=config.win_length,
                            window=window, center=True)  # (n_fft // 2 + 1, T) complex
    power = spectrum.real ** 2 + spectrum.imag ** 2
    mel = mel_basis @ power  # (n_mels, n_fft // 2 + 1) @ (n_fft // 2 + 1, T) -> (n_mels, T)
    return np.log(mel + config.log_floor).T[:frames].astype(np.float32)  # (T, n_mels)


def file_log_mel(path, config=DEFAULT):
    """Features of an audio file, exactly as `log_mel(load_audio(path, rate), config)`."""
    return log_mel(load_audio(path, config.sample_rate), config)


def frame_seconds(config=DEFAULT):
    """Seconds between two feature frames."""
    return config.hop_length / config.sample_rate
