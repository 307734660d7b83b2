"""Where to cut a long recording: in the middle of its pauses, so no word is split between two pieces.

A file longer than `chunk_seconds` is cut in every pause, and a piece still too long at the quietest
frame in the last quarter of each chunk-sized window; energies are per feature hop (10 ms by default).
A file read block by block gets the same cuts: its hop energies are gathered in a first pass (four
bytes per hop), and `cut_stream` then cuts a second pass of its blocks.
"""

import numpy as np

from asr.config import FeatureConfig

SAMPLE_RATE, HOP = FeatureConfig.sample_rate, FeatureConfig.hop_length  # the defaults; callers pass the model's
PAUSE_FRAMES = 21  # energy is averaged over 210 ms so cuts fall inside pauses, not at their edges
PAUSE_LEVEL = 0.05  # a pause: smoothed energy below 5 % of the file's median frame energy
MIN_CHUNK_SECONDS = 0.5


def hop_energies(blocks, hop=HOP):
    """(mean energy of every whole hop, number of samples) of a signal given as a sequence of blocks."""
    energies, rest, count = [], np.zeros(0, np.float32), 0
    for block in blocks:
        count += len(block)
        samples = np.concatenate([rest, block])
        frames = len(samples) // hop
        energies.append((samples[:frames * hop].reshape(frames, hop) ** 2).mean(axis=1))  # (n,) -> (n // hop,)
        rest = samples[frames * hop:]  # a hop split between two blocks is completed by the next
    return (np.concatenate(energies) if energies else np.zeros(0, np.float32)), count


def smoothed(energy):
    """Hop energies averaged over PAUSE_FRAMES frames."""
    return np.convolve(energy, np.ones(PAUSE_FRAMES) / PAUSE_FRAMES, mode="same")


def frame_energy(samples, hop=HOP):
    """Per-hop (10 ms) energy averaged over PAUSE_FRAMES frames: (N,) samples -> (N // hop,)."""
    return smoothed(hop_energies([samples], hop)[0])


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


def cut_stream(blocks, bounds):
    """Yield (start, samples[start:end]) for the consecutive (start, end) `bounds` of a signal given as
    blocks, holding one piece and one block at a time."""
    blocks, held, held_start = iter(blocks), [], 0  # held: blocks from sample held_start on
    for start, end in bounds:
        while held_start + sum(map(len, held)) < end:
            block = next(blocks, None)
            if block is None:
                break
            held.append(block)
        samples = np.concatenate(held) if held else np.zeros(0, np.float32)
        yield start, samples[start - held_start:end - held_start]
        held, held_start = [samples[end - held_start:]], end
