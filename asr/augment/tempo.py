"""Tempo change without pitch change: WSOLA (Verhelst & Roelands, 1993), waveform-similarity overlap-add.

Frames of 20 ms are laid down every 10 ms in the output and taken every 10 ms x factor from the input; each
is moved by up to ±5 ms to where it best continues the previous frame (highest cross-correlation), so
periods line up and the overlap-add neither cancels nor doubles the voice.
"""

import numpy as np

from asr.augment.signal import fit_length
from asr.augment.steps import one_draw_step

FRAME_SECONDS = 0.02  # longer than two pitch periods of even low voices (≥ 100 Hz), short against phones
SEARCH_SECONDS = 0.005  # half a period of a 100-Hz voice each way: always room to find the same phase


def change_tempo(samples, factor, sample_rate):
    """(N,) float32 spoken `factor` times faster, pitch kept -> (round(N / factor),) float32."""
    samples = np.asarray(samples, np.float32)
    frame = int(FRAME_SECONDS * sample_rate)
    hop, search = frame // 2, int(SEARCH_SECONDS * sample_rate)
    length = int(round(len(samples) / factor))
    if len(samples) < frame or factor == 1.0:
        return fit_length(samples, length)
    # periodic Hann at 50 % overlap sums to exactly one: a steady input comes out at its own level
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(frame) / frame)).astype(np.float32)
    frames = length // hop + 1
    # zeros so every search region and continuation exists: `search` before, the furthest reach after
    needed = int(frames * hop * factor) + hop + frame + 3 * search
    padded = np.pad(samples, (search, max(0, needed - len(samples))))
    out = np.zeros(frames * hop + frame, np.float32)
    previous = 0  # input position (in `padded`, without the search offset) of the last frame laid down
    for k in range(frames):
        nominal = int(k * hop * factor)
        if k > 0:
            # the input that naturally follows the previous frame: the next frame should look like it
            target = padded[search + previous + hop: search + previous + hop + frame]
            region = padded[nominal: nominal + frame + 2 * search]  # start offsets -search..+search
            nominal += int(np.argmax(np.correlate(region, target, "valid"))) - search
        out[k * hop: k * hop + frame] += window * padded[search + nominal: search + nominal + frame]
        previous = nominal
    return fit_length(out, length)


def make(section, context):
    return one_draw_step(lambda samples, factor: change_tempo(samples, factor, context.sample_rate),
                         section.range, "tempo x{:.3f}".format)
