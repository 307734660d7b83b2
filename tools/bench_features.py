"""Feature extraction speed: `python tools/bench_features.py [--seconds 600]`.

Prints how many times faster than real time asr.data.features.log_mel runs on one core, on synthetic audio,
excluding file reading (see `asr transcribe` for end-to-end figures), and the same with the spectrum taken
over all of an utterance's frames at once (the reference: numpy's rfft without asr's blocks), alternating,
best of three rounds.
"""

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from asr.data import features
from asr.data.audio import SAMPLE_RATE


def seconds_for(utterances, block_frames):
    features.FFT_BLOCK_FRAMES = block_frames
    start = time.perf_counter()
    for samples in utterances:
        features.log_mel(samples)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="audio length per utterance batch")
    parser.add_argument("--utterance-seconds", type=float, default=4.0)
    args = parser.parse_args()
    threadpool_limits(1)  # one core, as the figure is per core
    rng = np.random.default_rng(0)
    utterances = [rng.normal(scale=0.1, size=int(args.utterance_seconds * SAMPLE_RATE)).astype(np.float32)
                  for _ in range(int(args.seconds / args.utterance_seconds))]
    features.log_mel(utterances[0])  # warm-up: first call builds caches
    blocked, whole = features.FFT_BLOCK_FRAMES, 1 << 30
    best = {blocked: float("inf"), whole: float("inf")}
    for _ in range(3):
        for block_frames in best:
            best[block_frames] = min(best[block_frames], seconds_for(utterances, block_frames))
    features.FFT_BLOCK_FRAMES = blocked
    audio = len(utterances) * args.utterance_seconds
    for name, block_frames in ((f"log_mel (rfft in blocks of {blocked} frames)", blocked),
                               ("reference (rfft of all frames at once)", whole)):
        print(f"{name}: {audio:.0f} s of audio in {best[block_frames]:.2f} s on one core = "
              f"{audio / best[block_frames]:.0f}x real time")
    print(f"blocks: {best[whole] / best[blocked]:.2f}x as fast as the reference")


if __name__ == "__main__":
    main()
