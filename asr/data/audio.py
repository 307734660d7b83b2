"""Audio loading: any file libsndfile reads, any rate or channel count -> mono float32 at the model's rate.

Files are decoded, checked, mixed to mono and resampled block by block (`stream_audio`), so reading
holds one block whatever the file's length; `load_audio` joins the blocks. soxr's streaming resampler
gives exactly the samples of resampling the whole file at once (tests/test_audio_features.py).
"""

import contextlib
import io
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from asr.errors import AsrError
from asr.fileio import write_bytes

SAMPLE_RATE = 16000  # what models are trained at unless their FeatureConfig says otherwise
MIN_SECONDS = 0.1  # shorter than ten 10-ms frames: nothing a recogniser can learn from or hear a word in
# Full scale is ±1. Float files far beyond it still work (log-mel only shifts), but past this the power
# spectra and resampling overflow float32 and the features turn to inf: such samples are not audio levels.
MAX_ABS_SAMPLE = 1e6
BLOCK_FRAMES = 1 << 18  # frames decoded at once: 5.5 s at 48 kHz, 1 MB per channel
STDIN = "-"  # the path that means standard input


def mono(samples):
    """(N,) or (N, C) -> (N,) float32, channels averaged."""
    samples = np.asarray(samples, dtype=np.float32)
    return samples.mean(axis=1) if samples.ndim == 2 else samples


def to_mono(samples, sample_rate, target_rate=SAMPLE_RATE):
    """(N,) or (N, C) float array at `sample_rate` -> (M,) float32 mono at `target_rate`."""
    samples = mono(samples)
    if sample_rate != target_rate:
        samples = soxr.resample(samples, sample_rate, target_rate, quality="HQ")
    return samples.astype(np.float32, copy=False)


class Resampler:
    """Mono blocks at one rate -> the same signal at another, block by block (soxr's streaming resampler)."""

    def __init__(self, rate, target_rate):
        self.stream = soxr.ResampleStream(rate, target_rate, 1, dtype="float32", quality="HQ") \
            if rate != target_rate else None

    def __call__(self, block, last=False):
        """The output this block completes; last=True also flushes what the filter still holds."""
        return block if self.stream is None else self.stream.resample_chunk(block, last=last)


def open_sound(path):
    """An open sf.SoundFile; AsrError saying what is wrong (callers add the file's name)."""
    path = Path(path)
    if not path.exists():
        raise AsrError("no such file")
    if not path.is_file():
        raise AsrError("not a file")
    try:
        with open(path, "rb"):  # the OS's reason (permissions) is clearer than libsndfile's
            pass
        return sf.SoundFile(os.fsencode(path))  # bytes: a name that is not UTF-8 reaches the OS as it is
    except OSError as e:
        raise AsrError(f"cannot be read ({e.strerror})") from None
    except Exception as e:  # libsndfile reports one problem ("can't decode") through several types
        raise not_audio(e) from None


def not_audio(error):
    return AsrError(f"not a readable audio file ({str(error).split(':')[-1].strip() or 'unreadable'})")


def check_block(samples):
    """AsrError for NaN or infinite samples, or samples beyond MAX_ABS_SAMPLE."""
    if not np.all(np.isfinite(samples)):
        raise AsrError("contains NaN or infinite samples")
    peak = float(np.abs(samples).max(initial=0.0))
    if peak > MAX_ABS_SAMPLE:
        raise AsrError(f"samples reach {peak:.3g}, more than {MAX_ABS_SAMPLE:.0e} times full scale (±1): not audio "
                       "levels")


def checked_blocks(sound):
    """Yield an open file's samples as float32 blocks ((n,) or (n, C)), each checked (check_block);
    AsrError (not naming the file) for a decoding error, or when there are no samples at all."""
    frames = 0
    while True:
        try:
            block = sound.read(BLOCK_FRAMES, dtype="float32", always_2d=False)
        except Exception as e:  # noqa: BLE001 - as in open_sound
            raise not_audio(e) from None
        if len(block) == 0:
            break
        check_block(block)
        frames += len(block)
        yield block
    if frames == 0:
        raise AsrError("contains no audio samples")


def read_samples(path):
    """(samples (N,) or (N, C) float32, rate) of `path`, every sample decoded and checked.

    Raises AsrError saying what is wrong (not naming the file: callers add it): missing, not a file,
    unreadable, not audio, empty, NaN or infinite samples, samples beyond MAX_ABS_SAMPLE.
    """
    with open_sound(path) as sound:
        return np.concatenate(list(checked_blocks(sound))), sound.samplerate


@dataclass(frozen=True, eq=False)
class InMemoryAudio:
    """Audio already in memory, readable wherever a file path is (stream_audio): (N,) or (N, C) float
    samples at `rate` (the Python API's arrays). Checked as a file's samples are when it is read."""
    samples: np.ndarray
    rate: int
    name: str = "audio array"

    def __str__(self):
        return self.name


def stream_audio(path, target_rate=SAMPLE_RATE, name=None, levels=None):
    """Yield `path` (or an InMemoryAudio) as mono float32 blocks at `target_rate`, decoded and resampled
    block by block.

    AsrError naming the file (as `name`, default the path) on any problem read_samples finds, and for
    less than MIN_SECONDS of audio; it can come after blocks were yielded, at the latest with the last.
    `levels`: an asr.data.audio_checks.LevelCheck that sees every block as decoded, channels apart.
    """
    try:
        if isinstance(path, InMemoryAudio):
            yield from resampled(memory_blocks(path.samples), path.rate, target_rate, levels)
            return
        with open_sound(path) as sound:
            yield from resampled(checked_blocks(sound), sound.samplerate, target_rate, levels)
    except AsrError as e:
        raise AsrError(f"{name or path}: {e}") from None


def memory_blocks(samples):
    """In-memory samples as checked_blocks gives a file's: float32 blocks of BLOCK_FRAMES, each checked."""
    samples = np.asarray(samples, np.float32)
    if samples.ndim not in (1, 2):
        raise AsrError(f"samples must be (N,) or (N, channels), got shape {samples.shape}")
    if len(samples) == 0:
        raise AsrError("contains no audio samples")
    for start in range(0, len(samples), BLOCK_FRAMES):
        check_block(block := samples[start:start + BLOCK_FRAMES])
        yield block


def resampled(blocks, rate, target_rate, levels):
    """Checked blocks at `rate` as mono blocks at `target_rate`; AsrError for less than MIN_SECONDS."""
    resample, frames = Resampler(rate, target_rate), 0
    for block in blocks:
        frames += len(block)
        if levels is not None:
            levels.add(block)
        yield resample(mono(block))
    if frames < MIN_SECONDS * rate:
        raise AsrError(f"too short ({1000 * frames / rate:.0f} ms of audio; at least "
                       f"{1000 * MIN_SECONDS:.0f} ms needed)")
    yield resample(np.zeros(0, np.float32), last=True)


def load_audio(path, target_rate=SAMPLE_RATE):
    """Read `path` as mono float32 at `target_rate`; raise AsrError naming the file on any problem,
    including less than MIN_SECONDS of audio."""
    return np.concatenate(list(stream_audio(path, target_rate)))


@contextlib.contextmanager
def readable_path(path):
    """`path` itself, or for STDIN a temporary file holding standard input (read twice: a pipe cannot
    be), deleted afterwards. Copied in blocks: memory stays small whatever the input's length."""
    if str(path) != STDIN:
        yield path
        return
    with tempfile.NamedTemporaryFile(prefix="asr-stdin-") as spool:
        try:
            shutil.copyfileobj(sys.stdin.buffer, spool, 1 << 20)
            spool.flush()
        except OSError as e:  # a full temporary directory, not the file the user named
            raise AsrError(f"{STDIN}: cannot be kept in {spool.name} while it is read ({e.strerror or e})") \
                from None
        yield spool.name


def write_wav(path, samples, rate=SAMPLE_RATE):
    """`samples` (float32 in [-1, 1]) as a 16-bit PCM WAV at `path`, written whole or not at all."""
    buffer = io.BytesIO()  # libsndfile's write errors are no OSError: write to memory, then to disk
    sf.write(buffer, samples, rate, subtype="PCM_16", format="WAV")
    write_bytes(Path(path), buffer.getvalue())
