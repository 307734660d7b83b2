"""Audio loading: any file libsndfile reads, any rate or channel count -> mono float32 at the model's rate."""

from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from asr.errors import AsrError

SAMPLE_RATE = 16000  # what models are trained at unless their FeatureConfig says otherwise
MIN_SECONDS = 0.1  # shorter than ten 10-ms frames: nothing a recogniser can learn from or hear a word in
# Full scale is ±1. Float files far beyond it still work (log-mel only shifts), but past this the power
# spectra and resampling overflow float32 and the features turn to inf: such samples are not audio levels.
MAX_ABS_SAMPLE = 1e6


def to_mono(samples, sample_rate, target_rate=SAMPLE_RATE):
    """(N,) or (N, C) float array at `sample_rate` -> (M,) float32 mono at `target_rate`."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 2:
        samples = samples.mean(axis=1)  # (N, C) -> (N,)
    if sample_rate != target_rate:
        samples = soxr.resample(samples, sample_rate, target_rate, quality="HQ")
    return samples.astype(np.float32, copy=False)


def read_samples(path):
    """(samples (N,) or (N, C) float32, rate) of `path`, every sample decoded and checked.

    Raises AsrError saying what is wrong (not naming the file: callers add it): missing, not a file,
    unreadable, not audio, empty, NaN or infinite samples, samples beyond MAX_ABS_SAMPLE.
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
    peak = float(np.abs(samples).max())
    if peak > MAX_ABS_SAMPLE:
        raise AsrError(f"samples reach {peak:.3g}, more than {MAX_ABS_SAMPLE:.0e} times full scale (±1): not audio "
                       "levels")
    return samples, rate


def load_audio(path, target_rate=SAMPLE_RATE):
    """Read `path` as mono float32 at `target_rate`; raise AsrError naming the file on any problem,
    including less than MIN_SECONDS of audio."""
    try:
        samples, rate = read_samples(path)
    except AsrError as e:
        raise AsrError(f"{path}: {e}") from None
    if len(samples) < MIN_SECONDS * rate:
        raise AsrError(f"{path}: too short ({1000 * len(samples) / rate:.0f} ms of audio; at least "
                       f"{1000 * MIN_SECONDS:.0f} ms needed)")
    return to_mono(samples, rate, target_rate)
