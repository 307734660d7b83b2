import numpy as np

from asr.data.audio_checks import LevelCheck, level_warnings

RATE = 16000


def speech_like(seconds=1.0, level=0.3, seed=0):
    t = np.arange(int(seconds * RATE)) / RATE
    noise = np.random.default_rng(seed).normal(0, 0.05, t.size)
    return (level * np.sin(2 * np.pi * 220 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)) + noise * level)


def test_ordinary_audio_gives_no_warning():
    assert level_warnings(speech_like()) == []
    stereo = np.stack([speech_like(), 0.5 * speech_like(seed=1)], axis=1)
    assert level_warnings(stereo) == []


def test_clipping_is_reported_with_its_share():
    clipped = np.clip(speech_like(level=3.0), -1, 1)
    (warning,) = level_warnings(clipped)
    assert warning.startswith("clipped:") and "% of samples at full scale" in warning
    # one stray full-scale sample is not clipping
    single = speech_like()
    single[100] = 1.0
    assert level_warnings(single) == []
    # a float file far beyond full scale keeps its waveform: loud, not clipped
    assert level_warnings(speech_like(level=1000.0)) == []


def test_silence_and_near_silence():
    assert level_warnings(np.zeros(RATE)) == ["silent: every sample is zero"]
    (warning,) = level_warnings(speech_like(level=1e-3))
    assert warning.startswith("near-silent: the loudest sample is at -") and "dBFS" in warning


def test_inverted_channel_cancels():
    mono = speech_like()
    (warning,) = level_warnings(np.stack([mono, -mono], axis=1))
    assert warning == "channels cancel when mixed to mono (the mix is silent; is one channel phase-inverted?)"
    # nearly inverted (a slightly different gain) still cancels by more than 20 dB
    assert level_warnings(np.stack([mono, -0.95 * mono], axis=1))[0].startswith(
        "channels cancel when mixed to mono (the mix is 32 dB below them")


def test_blocks_give_the_same_warnings_as_the_whole_file():
    audio = np.stack([speech_like(3.0), -speech_like(3.0)], axis=1)
    audio[:RATE // 10] = [1.0, -1.0]  # clipped in both channels, and still cancelling
    check = LevelCheck()
    for start in range(0, len(audio), 4096):
        check.add(audio[start:start + 4096])
    assert check.warnings() == level_warnings(audio) and len(check.warnings()) == 2
