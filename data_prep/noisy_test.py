"""test_noisy: the test split's utterances heard in a reverberant room through background noise.

The settings are fixed (NOISY_TEST below, documented in recipes/synth_en/README.md): every utterance is
convolved with a simulated room of RT60 0.5 s, then gets noise at 10 dB SNR (speech's active power over
the noise's), the noise one of pink, babble (other training utterances), ambience or mains hum. The room,
the noise source and the noise itself are drawn from rng(seed, NOISY_SPLIT_INDEX, utterance index), so the
split is the same on every machine and a rerun skips the WAVs already written. The corruption is
asr.augment's, the same code training augments with; conf/robust.yaml's training draws its rooms from RT60
0.2-0.8 s and its SNRs from 0-20 dB, so the fixed condition sits inside what it has heard, not on it.
"""

import logging
from pathlib import Path

import numpy as np

from asr.augment.pipeline import Augmenter
from asr.augment.registry import transform_names
from asr.recipe import config_from_dict
from asr.data.audio import SAMPLE_RATE, load_audio, write_wav

log = logging.getLogger(__name__)

NAME = "test_noisy"
NOISY_SPLIT_INDEX = 6  # after data_prep.synth_en.SPLIT_INDEX's: its own random stream
NOISY_TEST = {"enabled": True,
              "reverb": {"probability": 1.0, "rt60": [0.5, 0.5]},
              "noise": {"probability": 1.0, "snr_db": [10.0, 10.0],
                        "sources": ["pink", "babble", "ambience", "hum"]},
              # every other transform off, those registered later too (their defaults may be on)
              **{name: {"probability": 0.0} for name in transform_names() if name not in ("reverb", "noise")}}


def noisy_augmenter(babble_paths):
    """The Augmenter of NOISY_TEST, its babble drawn from `babble_paths` (other utterances' audio)."""
    config = config_from_dict({"train": {"augment": NOISY_TEST}}, "data_prep/noisy_test.py").train.augment

    def babble(rng):
        return load_audio(babble_paths[int(rng.integers(len(babble_paths)))], SAMPLE_RATE)
    return Augmenter(config, SAMPLE_RATE, babble_source=babble)


def noisy_rows(test_rows, babble_rows, wav_dir, seed):
    """Manifest rows of test_noisy: each test row's audio through NOISY_TEST, written to wav_dir/NAME/."""
    augmenter = noisy_augmenter(sorted(row["audio"] for row in babble_rows))
    rows = []
    for row in test_rows:
        number = row["id"].rsplit("-", 1)[1]  # test-000042 -> test_noisy-000042, its noise from rng(..., 42)
        wav = Path(wav_dir) / NAME / f"{NAME}-{number}.wav"
        if not wav.is_file():
            rng = np.random.default_rng([seed, NOISY_SPLIT_INDEX, int(number)])
            write_wav(wav, augmenter(load_audio(row["audio"], SAMPLE_RATE), rng))
        rows.append({**row, "id": f"{NAME}-{number}", "audio": str(wav.resolve())})
    log.info(f"synth_en: {NAME}: {len(rows)} test utterances through a room (RT60 0.5 s) and noise (10 dB SNR)")
    return rows
