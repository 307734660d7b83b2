"""Log-mel features: the single feature function shared by data prep, training and `asr transcribe`."""

import librosa
import numpy as np

from asr.audio import SAMPLE_RATE, load_audio

N_MELS = 80
WIN_LENGTH = 400  # 25 ms at 16 kHz
HOP_LENGTH = 160  # 10 ms at 16 kHz -> 100 frames per second
N_FFT = 512  # next power of two above WIN_LENGTH: faster FFT, same window
FRAMES_PER_SECOND = SAMPLE_RATE // HOP_LENGTH
LOG_FLOOR = 1e-6  # keeps log() finite on digital silence
_MEL_BASIS = librosa.filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS, fmin=20, fmax=7600)
_WINDOW = np.hanning(WIN_LENGTH + 2)[1:-1].astype(np.float32)


def log_mel(samples):
    """16 kHz mono float32 samples (N,) -> log-mel features (1 + N // 160, 80) float32."""
    samples = np.asarray(samples, dtype=np.float32)
    frames = 1 + len(samples) // HOP_LENGTH
    if len(samples) < N_FFT:  # too short for one FFT: pad with silence, keep the frame count
        samples = np.pad(samples, (0, N_FFT - len(samples)))
    spectrum = librosa.stft(samples, n_fft=N_FFT, hop_length=HOP_LENGTH, win_length=WIN_LENGTH,
                            window=_WINDOW, center=True)  # (257, T) complex
    power = spectrum.real ** 2 + spectrum.imag ** 2
    mel = _MEL_BASIS @ power  # (80, 257) @ (257, T) -> (80, T)
    return np.log(mel + LOG_FLOOR).T[:frames].astype(np.float32)  # (T, 80)


def file_log_mel(path):
    """Features of an audio file, exactly as `log_mel(load_audio(path))`."""
    return log_mel(load_audio(path))
