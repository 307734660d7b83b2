"""Feature extraction speed: `python tools/bench_features.py [--seconds 600]`.

Prints how many times faster than real time asr.data.features.log_mel runs on one core, on synthetic audio,
excluding file reading (see `asr transcribe` for end-to-end figures).
"""

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from asr.data.audio import SAMPLE_RATE
from asr.data.features import log_mel


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="audio length per utterance batch")
    parser.add_argument("--utterance-seconds", type=float, default=4.0)
    args = parser.parse_args()
    threadpool_limits(1)  # one core, as the figure is per core
    rng = np.random.default_rng(0)
    utterances = [rng.normal(scale=0.1, size=int(args.utterance_seconds * SAMPLE_RATE)).astype(np.float32)
                  for _ in range(int(args.seconds / args.utterance_seconds))]
    log_mel(utterances[0])  # warm-up: first call builds caches
    start = time.perf_counter()
    for samples in utterances:
        log_mel(samples)
    elapsed = time.perf_counter() - start
    audio = len(utterances) * args.utterance_seconds
    print(f"log_mel: {audio:.0f} s of audio in {elapsed:.2f} s on one core = {audio / elapsed:.0f}x real time")


if __name__ == "__main__":
    main()
