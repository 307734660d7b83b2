"""Log-mel features: the single feature function shared by data prep, training and `asr transcribe`.

Every setting comes from a FeatureConfig (asr.config), which shards and models record; the defaults
are 80 log-mel bands of 25 ms windows every 10 ms at 16 kHz, 20-7600 Hz.

`LogMelStream` computes the same frames from samples that arrive in pieces (streaming recognition).

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
# numpy's rfft (2.4, float32 rows) takes ~4x as long per frame over more than 64 frames at once as over 64 or
# fewer, so the spectrum is taken in blocks: log_mel 2.5x faster (`python tools/bench_features.py` prints both)
FFT_BLOCK_FRAMES = 64


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


def power_spectrum(windowed):
    """|rfft|^2 of each row of (T, n_fft) float32 -> (T, n_fft // 2 + 1) float32, FFT_BLOCK_FRAMES rows at a time."""
    power = np.empty((len(windowed), windowed.shape[1] // 2 + 1), np.float32)
    for start in range(0, len(windowed), FFT_BLOCK_FRAMES):
        spectrum = np.fft.rfft(windowed[start:start + FFT_BLOCK_FRAMES], axis=1)
        power[start:start + FFT_BLOCK_FRAMES] = spectrum.real ** 2 + spectrum.imag ** 2
    return power


def frames_log_mel(frames, config=DEFAULT):
    """Windows of samples (T, n_fft), frame t starting at sample t * hop - n_fft // 2 -> (T, n_mels) float32."""
    mel_basis, window = _mel_basis_and_window(config)
    power = power_spectrum(frames * window)  # (T, n_fft // 2 + 1)
    return np.log(power @ mel_basis.T + config.log_floor).astype(np.float32)  # (T, bins) @ (bins, n_mels)


def framed(padded, n_fft, hop_length, count):
    """The first `count` windows (count, n_fft) of padded samples, every hop_length: a view, no copy."""
    if count == 0:
        return np.zeros((0, n_fft), np.float32)
    return np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop_length][:count]


def log_mel(samples, config=DEFAULT):
    """Mono float32 samples (N,) at config.sample_rate -> log-mel features (1 + N // hop, n_mels) float32.

    Frames are centred (librosa.stft(center=True, pad_mode="constant")): frame t covers the n_fft samples
    around sample t * hop, zeros before the start and after the end.
    """
    samples = np.asarray(samples, dtype=np.float32)
    frames = 1 + len(samples) // config.hop_length
    padded = np.pad(samples, (config.n_fft // 2, config.n_fft // 2 + max(config.n_fft - len(samples), 0)))
    return frames_log_mel(framed(padded, config.n_fft, config.hop_length, frames), config)


class LogMelStream:
    """log_mel of samples that arrive in pieces: the frames are log_mel's frames of all the samples.

    Frame t is complete once sample t * hop + n_fft // 2 has arrived; `finish` pads the end with zeros, as
    log_mel does, for the last frames. Holds less than one window of samples between calls.
    """

    def __init__(self, config=DEFAULT):
        self.config = config
        self.held = np.zeros(config.n_fft // 2, np.float32)  # from the start of the next frame's window on
        self.received = self.emitted = 0

    def accept(self, samples):
        """Mono float32 samples -> the (n, n_mels) frames they complete (n may be 0)."""
        n_fft, hop = self.config.n_fft, self.config.hop_length
        self.held = np.concatenate([self.held, np.asarray(samples, np.float32)])
        self.received += len(samples)
        return self._emit(max(0, (len(self.held) - n_fft) // hop + 1))

    def finish(self):
        """The frames left at the end of the samples (the zeros after them complete their windows)."""
        count = 1 + self.received // self.config.hop_length - self.emitted
        needed = (count - 1) * self.config.hop_length + self.config.n_fft
        self.held = np.pad(self.held, (0, max(needed - len(self.held), 0)))
        return self._emit(max(count, 0))

    def _emit(self, count):
        features = frames_log_mel(framed(self.held, self.config.n_fft, self.config.hop_length, count), self.config)
        self.held = self.held[count * self.config.hop_length:]
        self.emitted += count
        return features


def file_log_mel(path, config=DEFAULT):
    """Features of an audio file, exactly as `log_mel(load_audio(path, rate), config)`."""
    return log_mel(load_audio(path, config.sample_rate), config)


def frame_seconds(config=DEFAULT):
    """Seconds between two feature frames."""
    return config.hop_length / config.sample_rate
