"""Reverberation: the speech convolved with a room impulse response, simulated or from a user's folder.

Simulating a room takes 5-40 ms, more than everything else an utterance costs, so the Augmenter keeps a bank
of BANK_SIZE simulated responses, made lazily. Response i is simulated from its own generator seeded with
(BANK_SEED, i), and each utterance picks an index with its rng: the output depends only on that rng, never
on which utterances came before (the determinism training's resumption and its tests rely on).
"""

import numpy as np

from asr.augment.audio_folder import read_all, scan
from asr.augment.room import random_room_response
from asr.augment.signal import fft_size, power
from asr.augment.steps import draw

BANK_SIZE = 64  # rooms enough that no one room shapes training; 64 x ~20 ms to make them all
BANK_SEED = 20260  # fixed: the same bank in every run, so a seed reproduces the run
MAX_RIR_SECONDS = 2.0  # a user's response is cut here (longer tails are far below the direct sound)


def convolve(samples, response):
    """(N,) float32 samples through a response whose index 0 is the direct path -> (N,) float32 at the
    input's mean power (the room changes the sound, not the recording level the gain transform sets)."""
    samples = np.asarray(samples, np.float32)
    size = fft_size(len(samples) + len(response) - 1)
    wet = np.fft.irfft(np.fft.rfft(samples, size) * np.fft.rfft(response, size), size)[:len(samples)]
    wet_power = power(wet)
    if wet_power == 0.0:
        return samples
    return (wet * np.sqrt(power(samples) / wet_power)).astype(np.float32)


def folder_response(path, sample_rate):
    """A user's response, mono at sample_rate, starting at its strongest tap (the direct path), cut at
    MAX_RIR_SECONDS: measured responses start with silence that would delay the speech."""
    response = read_all(path, sample_rate)
    start = int(np.argmax(np.abs(response)))
    return response[start:start + int(MAX_RIR_SECONDS * sample_rate)]


def make(section, context):
    paths = scan(section.folder, (".wav",), "room impulse response") if section.folder else None
    bank = {}  # index -> (response, description)

    def response(index):
        if index not in bank:
            if paths:
                bank[index] = folder_response(paths[index], context.sample_rate), paths[index].name
            else:
                room_rng = np.random.default_rng([BANK_SEED, index])
                rt60 = draw(room_rng, section.rt60)
                bank[index] = random_room_response(room_rng, rt60, context.sample_rate), f"room {index} " \
                    f"RT60 {rt60:.2f} s"
        return bank[index]

    def reverb(samples, rng, applied):
        taps, description = response(int(rng.integers(len(paths) if paths else BANK_SIZE)))
        applied.append(f"reverb {description}")
        return convolve(samples, taps)
    return reverb
