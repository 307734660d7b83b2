"""Log-mel features: the single feature function shared by data prep, training and `asr transcribe`.

Every setting comes from a FeatureConfig (asr.config), which shards and models record; the defaults
are 80 log-mel bands of 25 ms windows every 10 ms at 16 kHz, 20-7600 Hz.

The mel filterbank and the STFT are librosa's (Slaney mel scale and area normalisation; centred
frames with zero padding), written out in numpy: importing librosa's filters pulls in scipy.signal
and numba (1.3-1.6 s), which was most of `asr transcribe`'s start-up for a few milliseconds of work.
tests/test_audio_features.py checks both against librosa.
"""

import functools

import numpy as np

from asr.config import FeatureConfig
from asr.data.audio import load_audio

DEFAULT = FeatureConfig()

# Slaney's mel scale (librosa's default, htk=False): linear below 1 kHz, logarithmic above
MEL_LINEAR_HZ = 200.0 / 3  # Hz per mel below the break
MEL_BREAK_HZ = 1000.0
MEL_BREAK = MEL_BREAK_HZ / MEL_LINEAR_HZ
MEL_LOG_STEP = np.log(6.4) / 27.0  # log-frequency per mel above the break


def hz_to_mel(hz):
    hz = np.asarray(hz, dtype=np.float64)
    logarithmic = MEL_BREAK + np.log(np.maximum(hz, MEL_BREAK_HZ) / MEL_BREAK_HZ) / MEL_LOG_STEP
    return np.where(hz >= MEL_BREAK_HZ, logarithmic, hz / MEL_LINEAR_HZ)


def mel_to_hz(mel):
    mel = np.asarray(mel, dtype=np.float64)
    logarithmic = MEL_BREAK_HZ * np.exp(MEL_LOG_STEP * (np.maximum(mel, MEL_BREAK) - MEL_BREAK))
    return np.where(mel >= MEL_BREAK, logarithmic, MEL_LINEAR_HZ * mel)


def mel_filterbank(config):
    """(n_mels, n_fft // 2 + 1) float32 triangles, as librosa.filters.mel(norm="slaney") makes them."""
    fft_hz = np.fft.rfftfreq(config.n_fft, d=1.0 / config.sample_rate)
    edges_hz = mel_to_hz(np.linspace(hz_to_mel(config.fmin), hz_to_mel(config.fmax), config.n_mels + 2))
    widths = np.diff(edges_hz)
    ramps = np.subtract.outer(edges_hz, fft_hz)  # (n_mels + 2, bins): each edge minus each bin's frequency
    rising, falling = -ramps[:-2] / widths[:-1, None], ramps[2:] / widths[1:, None]
    weights = np.maximum(0, np.minimum(rising, falling))
    weights *= (2.0 / (edges_hz[2:] - edges_hz[:-2]))[:, None]  # equal area per band
    return weights.astype(np.float32)


@functools.lru_cache(maxsize=8)
def _mel_basis_and_window(config):
    window = np.hanning(config.win_length + 2)[1:-1].astype(np.float32)  # Hann without its zero ends
    left = (config.n_fft - config.win_length) // 2  # centred in the FFT frame, as librosa pads it
    padded = np.zeros(config.n_fft, dtype=np.float32)
    padded[left:left + config.win_length] = window
    return mel_filterbank(config), padded


def power_spectrum(samples, window, hop_length):
    """(T, n_fft // 2 + 1) float32 power of centred frames (librosa.stft(center=True, pad_mode="constant"))."""
    n_fft = len(window)
    padded = np.pad(samples, n_fft // 2)
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop_length]  # (T, n_fft), a view
    spectrum = np.fft.rfft(frames * window, axis=1).astype(np.complex64)  # (T, n_fft // 2 + 1)
    return spectrum.real ** 2 + spectrum.imag ** 2


def log_mel(samples, config=DEFAULT):
    """Mono float32 samples (N,) at config.sample_rate -> log-mel features (1 + N // hop, n_mels) float32."""
    mel_basis, window = _mel_basis_and_window(config)
    samples = np.asarray(samples, dtype=np.float32)
    frames = 1 + len(samples) // config.hop_length
    if len(samples) < config.n_fft:  # too short for one FFT: pad with silence, keep the frame count
        samples = np.pad(samples, (0, config.n_fft - len(samples)))
    mel = power_spectrum(samples, window, config.hop_length) @ mel_basis.T  # (T, bins) @ (bins, n_mels)
    return np.log(mel + config.log_floor)[:frames].astype(np.float32)  # (T, n_mels)


def file_log_mel(path, config=DEFAULT):
    """Features of an audio file, exactly as `log_mel(load_audio(path, rate), config)`."""
    return log_mel(load_audio(path, config.sample_rate), config)


def frame_seconds(config=DEFAULT):
    """Seconds between two feature frames."""
    return config.hop_length / config.sample_rate
