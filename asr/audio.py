"""Audio loading: any file libsndfile reads, any rate or channel count -> 16 kHz mono float32."""

from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from asr.errors import AsrError

SAMPLE_RATE = 16000


def to_16k_mono(samples, sample_rate):
    """(N,) or (N, C) float array at `sample_rate` -> (M,) float32 at 16 kHz."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 2:
        samples = samples.mean(axis=1)  # (N, C) -> (N,)
    if sample_rate != SAMPLE_RATE:
        samples = soxr.resample(samples, sample_rate, SAMPLE_RATE, quality="HQ")
    return samples.astype(np.float32, copy=False)


def load_audio(path):
    """Read `path` as 16 kHz mono float32; raise AsrError naming the file on any problem."""
    if not Path(path).is_file():
        raise AsrError(f"{path}: no such file")
    try:
        samples, rate = sf.read(str(path), dtype="float32", always_2d=False)
    except (sf.LibsndfileError, RuntimeError, TypeError) as e:
        reason = str(e).split(":")[-1].strip() or "unreadable"
        raise AsrError(f"{path}: not a readable audio file ({reason})") from None
    if samples.size == 0:
        raise AsrError(f"{path}: contains no audio samples")
    if not np.all(np.isfinite(samples)):
        raise AsrError(f"{path}: contains NaN or infinite samples")
    return to_16k_mono(samples, rate)
