import dataclasses
import json

import numpy as np
import soundfile as sf

from asr.config import CorpusConfig, FeatureConfig
from asr.data.manifest import load_manifest
from data_prep import folder
from data_prep.synth_en import speakable_sentences, split_sentences, split_voices, utterance_jobs


def test_only_sentences_spoken_as_written_are_kept():
    raw = ["The sky was leaden.", "it remained feudatory to India until 1365", "the U.S. army",
           "NATO troops arrived", "Mr Smith left", "a well-known fact", "a well-known fact", "too short"]
    assert speakable_sentences(raw, 3, 20) == ["a well known fact", "the sky was leaden"]


def test_sentence_splits_are_disjoint_and_seeded():
    sentences = [f"sentence number {i}" for i in range(200)]
    config = CorpusConfig(train_sentences=100, dev_sentences=20, test_sentences=20, unseen_voice_sentences=20,
                          unseen_engine_sentences=0, adapt_sentences=0)
    splits = split_sentences(sentences, config)
    sets = [set(v) for v in splits.values()]
    assert sum(len(s) for s in sets) == len(set().union(*sets)) == 160
    assert split_sentences(sentences, config) == splits


def test_unseen_voices_never_speak_training_data():
    config = CorpusConfig(train_sentences=50, dev_sentences=5, test_sentences=5, unseen_voice_sentences=20,
                          unseen_engine_sentences=5, adapt_sentences=5)
    seen, unseen = split_voices(config)
    assert not set(seen) & set(unseen) and len(unseen) == config.unseen_voices
    splits = split_sentences([f"s {i} x" for i in range(100)], config)
    jobs = utterance_jobs(splits, seen, unseen, config, wav_dir=__import__("pathlib").Path("/tmp"))
    assert {job["split"] for job in jobs} >= {"train", "test_unseen_voices"}
    for job in jobs:
        assert (job["speaker"] in unseen) == (job["split"] == "test_unseen_voices")
    assert jobs == utterance_jobs(splits, seen, unseen, config, __import__("pathlib").Path("/tmp"))


def test_synth_corpus_manifests_and_idempotence(tiny_data, tiny_config, capsys):
    from data_prep.synth_en import prepare_synth_en
    for split in ("train", "dev", "test", "test_unseen_voices", "test_unseen_engine", "adapt_unseen_engine",
                  "test_noisy"):
        rows = load_manifest(tiny_data / "manifests" / f"{split}.jsonl")
        assert rows and all(r["duration"] > 0.3 for r in rows)
        info = sf.info(rows[0]["audio"])
        assert info.samplerate == 16000 and info.channels == 1
    prepare_synth_en(tiny_config.corpus, tiny_data)
    assert "nothing to do" in capsys.readouterr().out


def write_tone(path, seconds=0.5, rate=16000, fmt=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, 0.1 * np.sin(np.arange(int(seconds * rate)) / 5.0), rate, format=fmt)


def test_folder_with_sidecar_transcripts(tmp_path, capsys):
    src = tmp_path / "mydata"
    write_tone(src / "alice" / "one.wav")
    (src / "alice" / "one.txt").write_text("Hello, world!")
    write_tone(src / "bob" / "two.flac", fmt="FLAC")
    (src / "bob" / "two.txt").write_text("good-bye")
    (src / "bob" / "three.wav").write_bytes(b"")  # empty file: reported and skipped
    (src / "bob" / "three.txt").write_text("never heard")
    write_tone(src / "bob" / "silent_text.wav")  # no transcript: reported and skipped
    path = folder.prepare(src, tmp_path / "manifests", "train")
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(r["id"], r["text"], r["speaker"]) for r in rows] == [
        ("alice-one", "hello world", "alice"), ("bob-two", "good bye", "bob")]
    err = capsys.readouterr().err
    assert "bob-three" in err and "bob-silent_text" in err


def test_folder_with_tsv(tmp_path):
    src = tmp_path / "d"
    write_tone(src / "a.wav")
    (src / "transcripts.tsv").write_text("a.wav\tOne two\n")
    rows = load_manifest(folder.prepare(src, tmp_path / "m", "dev"))
    assert rows[0]["text"] == "one two"


def test_outputs_are_written_whole_with_normal_permissions(tmp_path):
    import os

    from asr.fileio import write_json
    write_json(tmp_path / "a.json", {"x": 1})
    assert oct(os.stat(tmp_path / "a.json").st_mode & 0o777) == oct(0o666 & ~_umask())
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]  # no temporary file left behind


def _umask():
    import os
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_features_are_recomputed_when_the_manifest_or_the_settings_change(tmp_path, capsys):
    from asr.data.compute_features import compute_features
    from asr.data.shards import FeatureStore
    src = tmp_path / "src"
    for name in ("a", "b"):
        write_tone(src / "spk" / f"{name}.wav")
        (src / "spk" / f"{name}.txt").write_text(f"word {name}")
    manifests, features = tmp_path / "manifests", tmp_path / "features"
    settings = FeatureConfig(utterances_per_shard=10)
    folder.prepare(src, manifests, "train")
    compute_features(tmp_path, settings, jobs=1)
    assert len(FeatureStore(features / "train")) == 2
    (src / "spk" / "b.wav").unlink()
    (src / "spk" / "b.txt").unlink()
    folder.prepare(src, manifests, "train")
    compute_features(tmp_path, settings, jobs=1)
    assert len(FeatureStore(features / "train")) == 1
    assert "recomputing" in capsys.readouterr().out
    compute_features(tmp_path, settings, jobs=1)  # unchanged: shards are kept
    assert "0 shards computed" in capsys.readouterr().out
    wider = dataclasses.replace(settings, hop_length=200, n_mels=40)  # another feature: the shards are stale
    compute_features(tmp_path, wider, jobs=1)
    assert "recomputing" in capsys.readouterr().out
    store = FeatureStore(features / "train")
    assert store.settings["hop_length"] == 200 and store["spk-a"].shape[1] == 40


def test_test_noisy_is_the_test_split_through_a_fixed_room_and_noise(tiny_data, tiny_config, tmp_path):
    from asr.augment.signal import active_power
    from asr.data.audio import load_audio
    from data_prep.noisy_test import noisy_rows
    manifests = tiny_data / "manifests"
    test, noisy, train = (load_manifest(manifests / f"{name}.jsonl") for name in ("test", "test_noisy", "train"))
    assert [r["id"].replace("test-", "test_noisy-") for r in test] == [r["id"] for r in noisy]
    assert [(r["text"], r["speaker"]) for r in test] == [(r["text"], r["speaker"]) for r in noisy]
    again = noisy_rows(test, train, tmp_path, tiny_config.corpus.seed)  # the same draws, the same audio
    for made, remade, clean in zip(noisy, again, test):
        assert open(made["audio"], "rb").read() == open(remade["audio"], "rb").read()
        dirty, source = load_audio(made["audio"]), load_audio(clean["audio"])
        assert len(dirty) == len(source)  # no speed change: word timings stay the test split's
        residual = dirty / np.sqrt(active_power(dirty)) - source / np.sqrt(active_power(source))
        assert active_power(residual) > 0.05  # really corrupted, not a copy
