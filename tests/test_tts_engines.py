"""The speech engines of the synthetic corpus (data_prep/tts/) and the splits they speak (data_prep/synth_en.py)."""

import dataclasses
import io
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from asr.config import CorpusConfig
from asr.data.audio import to_mono
from asr.data.manifest import load_manifest
from asr.errors import AsrError
from asr.recipe import config_from_dict
from data_prep.synth_en import split_sentences, split_voices, utterance_jobs
from data_prep.tts import speak, speak_chunk
from tests.conftest import needs_engines

TEXT = "the cat sat on the mat by the door"
VOICES = [("espeak-ng", "en-us+m3", {"rate": 160, "pitch": 50}), ("flite", "kal", {"stretch": 1.0, "f0": 100}),
          ("flite", "awb", {"stretch": 1.0, "f0": 100}), ("festival", "ked_diphone", {"stretch": 1.0, "f0": 100})]


@pytest.mark.parametrize("engine, voice, prosody", VOICES, ids=[f"{e}:{v}" for e, v, _ in VOICES])
def test_each_engine_writes_16_khz_speech(tmp_path, engine, voice, prosody):
    needs_engines()
    seconds = speak(engine, TEXT, voice, tmp_path / "a.wav", **prosody)
    info = sf.info(str(tmp_path / "a.wav"))
    assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
    assert 1.2 < seconds == info.duration < 4.5


def median_f0(samples, rate=16000):
    """Median pitch (Hz) of the loud 40-ms frames, from each frame's autocorrelation peak in 60..300 Hz."""
    size, lags = 640, np.arange(rate // 300, rate // 60)
    frames = [samples[i:i + size] for i in range(0, len(samples) - size, size // 2)]
    loud = [f - f.mean() for f in frames if np.sqrt(np.mean(f ** 2)) > 0.3 * np.abs(samples).max() / 3]
    peaks = [lags[np.argmax([np.dot(f[:-lag], f[lag:]) for lag in lags])] for f in loud]
    return rate / np.median(peaks)


@pytest.mark.parametrize("engine, voice", [("flite", "kal16"), ("festival", "kal_diphone")])
def test_rate_pitch_and_volume_change_the_speech(tmp_path, engine, voice):
    needs_engines()
    slow = speak(engine, TEXT, voice, tmp_path / "slow.wav", stretch=1.2, f0=90)
    fast = speak(engine, TEXT, voice, tmp_path / "fast.wav", stretch=0.85, f0=90)
    assert slow / fast > 1.25
    speak(engine, TEXT, voice, tmp_path / "high.wav", stretch=1.0, f0=140)
    speak(engine, TEXT, voice, tmp_path / "quiet.wav", gain_db=-6.0, stretch=1.0, f0=140)
    low, high, quiet = (sf.read(str(tmp_path / f"{n}.wav"))[0] for n in ("fast", "high", "quiet"))
    assert median_f0(high) / median_f0(low) > 1.3
    assert np.sqrt(np.mean(quiet ** 2)) / np.sqrt(np.mean(high ** 2)) == pytest.approx(10 ** (-6 / 20), rel=0.01)


def old_split_sentences(sentences, config):
    """split_sentences before other engines came (git show f08c88f:data_prep/synth_en.py)."""
    order = np.random.default_rng(config.seed).permutation(len(sentences))
    shuffled = [sentences[i] for i in order]
    sizes = [("dev", config.dev_sentences), ("test", config.test_sentences),
             ("test_unseen_voices", config.unseen_voice_sentences), ("train", config.train_sentences)]
    splits, start = {}, 0
    for name, size in sizes:
        splits[name] = shuffled[start:start + size]
        start += size
    return splits


def old_utterance_jobs(splits, seen, unseen, config, wav_dir):
    """utterance_jobs before other engines came (git show f08c88f:data_prep/synth_en.py)."""
    jobs = []
    for split_index, (name, texts) in enumerate(sorted(splits.items())):
        voices = unseen if name == "test_unseen_voices" else seen
        for i, text in enumerate(texts):
            rng = np.random.default_rng([config.seed, split_index, i])
            voice = voices[rng.integers(len(voices))]
            jobs.append({"split": name, "id": f"{name}-{i:06d}", "text": text, "speaker": voice,
                         "rate": int(rng.integers(config.rate_wpm[0], config.rate_wpm[1] + 1)),
                         "pitch": int(rng.integers(config.pitch[0], config.pitch[1] + 1)),
                         "wav": str(wav_dir / name / f"{name}-{i:06d}.wav")})
    return jobs


def test_the_espeak_ng_splits_are_what_they_were_before_other_engines(tmp_path):
    config = CorpusConfig(train_sentences=300, dev_sentences=40, test_sentences=40, unseen_voice_sentences=40,
                          unseen_engine_sentences=30, adapt_sentences=20)
    sentences = [f"sentence number {i}" for i in range(600)]
    seen, unseen = split_voices(config)
    old = [job for job in old_utterance_jobs(old_split_sentences(sentences, config), seen, unseen, config, tmp_path)
           if job["split"] != "train"]
    new = [job for job in utterance_jobs(split_sentences(sentences, config), seen, unseen, config, tmp_path)
           if job["split"] in ("dev", "test", "test_unseen_voices")]
    assert [{key: job[key] for key in old[0]} for job in new] == old
    assert not any("gain_db" in job for job in new)  # the volume gain never touches them


def test_an_espeak_ng_test_utterance_is_written_as_it_was(tmp_path):
    needs_engines()
    job = {"id": "dev-000000", "engine": "espeak-ng", "voice": "en-gb+f2", "speaker": "en-gb+f2", "rate": 151,
           "pitch": 33, "text": TEXT, "wav": str(tmp_path / "new.wav")}
    speak_chunk([job])
    # how the corpus wrote it before other engines came
    spoken = subprocess.run(["espeak-ng", "-v", "en-gb+f2", "-s", "151", "-p", "33", "--stdout", TEXT],
                            capture_output=True, check=True).stdout
    samples, rate = sf.read(io.BytesIO(spoken), dtype="float32")
    buffer = io.BytesIO()
    sf.write(buffer, to_mono(samples, rate), 16000, subtype="PCM_16", format="WAV")
    assert Path(job["wav"]).read_bytes() == buffer.getvalue()


def test_splits_are_disjoint_and_engines_kept_apart(tmp_path):
    config = CorpusConfig(train_sentences=200, dev_sentences=10, test_sentences=10, unseen_voice_sentences=10,
                          unseen_engine_sentences=20, adapt_sentences=15, engines={"espeak-ng": 1, "flite": 1})
    splits = split_sentences([f"s {i} x" for i in range(400)], config)
    sets = [set(texts) for texts in splits.values()]
    assert len(splits) == 6 and sum(map(len, sets)) == len(set().union(*sets)) == 265
    seen, unseen = split_voices(config)
    jobs = utterance_jobs(splits, seen, unseen, config, tmp_path)
    engines = {split: {job["engine"] for job in jobs if job["split"] == split} for split in splits}
    assert engines["train"] == {"espeak-ng", "flite"} and engines["test_unseen_engine"] == {"festival"}
    assert engines["adapt_unseen_engine"] == {"festival"}
    assert all(-12 <= job["gain_db"] <= 0 for job in jobs if job["split"] == "train")


@pytest.mark.parametrize("corpus, problem", [
    ({"flite_voices": ["kal", "slt"]}, "slt voices are kept out"),
    ({"festival_voices": ["cmu_us_slt_arctic_hts"]}, "slt voices are kept out"),
    ({"variants": ["m1", "slt"]}, "slt voices are kept out"),
    ({"flite_voices": ["joe"]}, "'corpus.flite_voices' must be a non-empty list of kal"),
    ({"engines": {"espeak-ng": 1, "festival": 1}}, "'corpus.unseen_engine' must be an engine outside"),
    ({"engines": {"flite": 1}, "unseen_engine": "espeak-ng"}, "not espeak-ng \\(festival, kokoro, kokoro-en, hibari, pico\\)"),
    ({"engines": {"piper": 1}}, "'corpus.engines' maps engines"),
    ({"engines": {"flite": 0}}, "positive shares"),
    ({"volume_db": [-6, 3]}, "'corpus.volume_db' ends must be in [-40, 0], got 3"),
])
def test_bad_engine_settings_are_refused(corpus, problem):
    with pytest.raises(AsrError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        config_from_dict({"corpus": corpus})


def test_an_slt_voice_is_never_spoken(tmp_path):
    with pytest.raises(AsrError, match="slt"):
        speak("flite", TEXT, "slt", tmp_path / "a.wav", stretch=1.0, f0=100)
    assert not (tmp_path / "a.wav").exists()


def test_a_tiny_corpus_speaks_every_split_with_its_engines(tmp_path):
    needs_engines()
    from data_prep.synth_en import prepare_synth_en
    corpus = dataclasses.replace(
        CorpusConfig(), train_sentences=6, dev_sentences=2, test_sentences=2, unseen_voice_sentences=2,
        unseen_engine_sentences=2, adapt_sentences=2, max_words=6, engines={"espeak-ng": 0.5, "flite": 0.5})
    prepare_synth_en(corpus, tmp_path, jobs_count=2)
    speakers = {split: [row["speaker"] for row in load_manifest(tmp_path / "manifests" / f"{split}.jsonl")]
                for split in ("train", "dev", "test", "test_unseen_voices", "test_unseen_engine",
                              "adapt_unseen_engine")}
    assert all(len(names) == (6 if split == "train" else 2) for split, names in speakers.items())
    seen, unseen = split_voices(corpus)
    assert set(speakers["dev"] + speakers["test"]) <= set(seen) and set(speakers["test_unseen_voices"]) <= set(unseen)
    festival = {f"festival:{v}" for v in corpus.festival_voices}
    assert set(speakers["test_unseen_engine"] + speakers["adapt_unseen_engine"]) <= festival
    assert set(speakers["train"]) <= set(seen) | {f"flite:{v}" for v in corpus.flite_voices}
