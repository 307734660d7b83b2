"""Where to cut a long recording: in the middle of its pauses, so no word is split between two pieces.

A file longer than `chunk_seconds` is cut in every pause, and a piece still too long at the quietest
frame in the last quarter of each chunk-sized window; energies are per feature hop (10 ms by default).
"""

import numpy as np

from asr.config import FeatureConfig

SAMPLE_RATE, HOP = FeatureConfig.sample_rate, FeatureConfig.hop_length  # the defaults; callers pass the model's
PAUSE_FRAMES = 21  # energy is averaged over 210 ms so cuts fall inside pauses, not at their edges
PAUSE_LEVEL = 0.05  # a pause: smoothed energy below 5 % of the file's median frame energy
MIN_CHUNK_SECONDS = 0.5


def frame_energy(samples, hop=HOP):
    """Per-hop (10 ms) energy averaged over PAUSE_FRAMES frames: (N,) samples -> (N // hop,)."""
    frames = len(samples) // hop
    energy = (samples[:frames * hop].reshape(frames, hop) ** 2).mean(axis=1)  # (N,) -> (F,)
    return np.convolve(energy, np.ones(PAUSE_FRAMES) / PAUSE_FRAMES, mode="same")


def pause_cuts(energy, hop=HOP):
    """Sample positions in the middle of every pause (a run of frames below PAUSE_LEVEL)."""
    quiet = energy < PAUSE_LEVEL * max(np.median(energy), 1e-12)
    edges = np.flatnonzero(np.diff(quiet.astype(np.int8)))  # run starts and ends
    starts, ends = edges[quiet[edges + 1]] + 1, edges[~quiet[edges + 1]] + 1
    return [((a + b) // 2) * hop for a in starts for b in ends[ends > a][:1]]


def chunk_bounds(num_samples, chunk_seconds, energy, sample_rate=SAMPLE_RATE, hop=HOP):
    """(start, end) sample ranges covering the file, each at most about chunk_seconds long.

    A file within the limit stays whole. A longer one is cut in the middle of every pause (the model
    was trained on single sentences), and a piece still too long is cut at the quietest 10 ms in the
    last quarter of each chunk-sized window. Pieces shorter than MIN_CHUNK_SECONDS join a neighbour.
    """
    limit = int(chunk_seconds * sample_rate)
    if num_samples <= limit:
        return [(0, num_samples)]
    cuts, pauses = [], pause_cuts(energy, hop)
    for start, end in zip([0] + pauses, pauses + [num_samples]):
        while end - start > limit:
            lo, hi = (start + limit * 3 // 4) // hop, (start + limit) // hop
            start = (lo + int(np.argmin(energy[lo:hi]))) * hop if hi > lo else start + limit
            cuts.append(start)
        cuts.append(end)
    shortest = MIN_CHUNK_SECONDS * sample_rate
    bounds, start = [], 0
    for cut in cuts[:-1]:  # the last cut is the file's end
        if cut - start >= shortest and num_samples - cut >= shortest:
            bounds.append((start, cut))
            start = cut
    return bounds + [(start, num_samples)]
