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


def read_samples(path):
    """(samples (N,) or (N, C) float32, rate) of `path`, every sample decoded and checked.

    Raises AsrError saying what is wrong (not naming the file: callers add it): missing, not a file,
    unreadable, not audio, empty, NaN or infinite samples.
    """
    path = Path(path)
    if not path.exists():
        raise AsrError("no such file")
    if not path.is_file():
        raise AsrError("not a file")
    try:
        with open(path, "rb"):  # the OS's reason (permissions) is clearer than libsndfile's
            pass
        samples, rate = sf.read(str(path), dtype="float32", always_2d=False)
    except OSError as e:
        raise AsrError(f"cannot be read ({e.strerror})") from None
    except Exception as e:  # libsndfile reports one problem ("can't decode") through several types
        reason = str(e).split(":")[-1].strip() or "unreadable"
        raise AsrError(f"not a readable audio file ({reason})") from None
    if samples.size == 0:
        raise AsrError("contains no audio samples")
    if not np.all(np.isfinite(samples)):
        raise AsrError("contains NaN or infinite samples")
    return samples, rate


def load_audio(path):
    """Read `path` as 16 kHz mono float32; raise AsrError naming the file on any problem."""
    try:
        samples, rate = read_samples(path)
    except AsrError as e:
        raise AsrError(f"{path}: {e}") from None
    return to_16k_mono(samples, rate)
