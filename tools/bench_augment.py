"""Waveform augmentation cost: `python tools/bench_augment.py [--utterances 200] [--seconds 2.5]`.

Prints, per transform and per noise source, the milliseconds one utterance costs when the transform is
applied, then the whole Augmenter with the default AugmentConfig (probabilities included), each also as a
multiple of asr.data.features.log_mel's cost measured in the same run, on one core, on synthetic audio;
each figure is the fastest of three passes.
The reverb bank is filled before timing (its ~1 s is paid once per Augmenter, not per utterance).
"""

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from threadpoolctl import threadpool_limits

from asr.augment.pipeline import Augmenter
from asr.augment.registry import noise_source_names, transform_names
from asr.augment.reverb import BANK_SIZE
from asr.config import AugmentConfig
from asr.data.audio import SAMPLE_RATE
from asr.data.features import log_mel


def per_utterance_ms(function, utterances, passes=3):
    """Mean milliseconds per utterance of the fastest of `passes` passes (other jobs share the machine)."""
    function(utterances[0])  # warm-up: caches, lazy banks
    best = float("inf")
    for _ in range(passes):
        start = time.perf_counter()
        for samples in utterances:
            function(samples)
        best = min(best, time.perf_counter() - start)
    return 1000 * best / len(utterances)


def only(name, **changes):
    """The default AugmentConfig with `name` always applied and every other transform off."""
    config = AugmentConfig(enabled=True)
    for other in transform_names():
        setattr(config, other, dataclasses.replace(getattr(config, other), probability=float(other == name)))
    setattr(config, name, dataclasses.replace(getattr(config, name), **changes))
    return config


def timed(config, utterances, babble, rngs):
    augmenter = Augmenter(config, SAMPLE_RATE, babble_source=babble)
    for index in range(40 * BANK_SIZE):  # fill the reverb bank, if there is one (0.1-s pieces: cheap)
        augmenter(utterances[0][:1600], np.random.default_rng([1, index]))
    return per_utterance_ms(lambda samples: augmenter(samples, next(rngs)), utterances)


def noise_folder(root, rng):
    """A MUSAN-like folder: 30-s files, two at 16 kHz and one at 44.1 kHz (read and resampled)."""
    for index, rate in enumerate((SAMPLE_RATE, SAMPLE_RATE, 44100)):
        path = Path(root) / f"set{index}" / f"noise{index}.wav"
        path.parent.mkdir(parents=True)
        sf.write(path, 0.1 * rng.standard_normal(30 * rate), rate, subtype="PCM_16")
    return str(root)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--utterances", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=2.5, help="length of each utterance")
    args = parser.parse_args()
    threadpool_limits(1)  # one core: the figure is per core
    rng = np.random.default_rng(0)
    # speech-like: noise under a syllable-rate envelope, with pauses
    length = int(args.seconds * SAMPLE_RATE)
    envelope = np.maximum(0, np.sin(2 * np.pi * 4 * np.arange(length) / SAMPLE_RATE))
    utterances = [(0.1 * rng.standard_normal(length) * envelope).astype(np.float32) for _ in range(args.utterances)]
    babble = lambda r: utterances[int(r.integers(len(utterances)))]  # noqa: E731
    rngs = (np.random.default_rng([7, i]) for i in range(10 ** 9))
    mel = per_utterance_ms(log_mel, utterances)
    print(f"{args.utterances} utterances of {args.seconds} s; log_mel {mel:.2f} ms per utterance")
    print(f"{'transform (always applied)':40} {'ms':>7} {'x log_mel':>10}")
    rows = [(name, only(name)) for name in transform_names() if name != "noise"]
    rows += [(f"noise {source}", only("noise", sources=[source])) for source in noise_source_names()
             if source != "folder"]
    folder = tempfile.TemporaryDirectory()
    rows.append(("noise folder (16 kHz and 44.1 kHz files)",
                 only("noise", sources=["folder"], folder=noise_folder(folder.name, rng))))
    defaults = AugmentConfig(enabled=True)
    rows.append(("Augmenter, default AugmentConfig", defaults))
    with_babble = dataclasses.replace(defaults, noise=dataclasses.replace(
        defaults.noise, sources=defaults.noise.sources + ["babble"]))
    rows.append(("Augmenter, defaults + babble", with_babble))
    for label, config in rows:
        ms = timed(config, utterances, babble, rngs)
        print(f"{label:40} {ms:7.2f} {ms / mel:10.2f}")
    folder.cleanup()


if __name__ == "__main__":
    main()
