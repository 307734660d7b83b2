from pathlib import Path

import pytest

from asr.recipe import load_config
from asr.errors import AsrError

RECIPES = Path(__file__).resolve().parent.parent / "recipes"


@pytest.mark.parametrize("path", sorted(RECIPES.glob("*/conf/*.yaml")) + sorted(RECIPES.parent.glob("tools/*.yaml")),
                         ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_recipe_configs_load(path):
    config = load_config(path)
    assert config.model.units > 0 and config.train.max_epochs > 0


@pytest.mark.parametrize("name, section, key, default_value", [("small_utt.yaml", "model", "normalisation", "global"),
                                                               ("small_gru.yaml", "model", "encoder", "bilstm"),
                                                               ("small_bf16.yaml", "train", "precision", "auto")])
def test_a_comparison_config_is_the_default_but_for_one_setting(name, section, key, default_value):
    """These configs train on the default run's data (--data data/small) to measure one setting: a change to
    small.yaml that they do not follow would measure something else."""
    import dataclasses
    default, compared = (load_config(RECIPES / "synth_en" / "conf" / n) for n in ("small.yaml", name))
    assert getattr(getattr(compared, section), key) != getattr(getattr(default, section), key) == default_value
    restored = dataclasses.replace(getattr(compared, section), **{key: default_value})
    assert dataclasses.replace(compared, **{section: restored}) == default



@pytest.mark.parametrize("adaptation, source", [("adapt.yaml", "small.yaml"), ("adapt_general.yaml", "general.yaml"),
                                                ("adapt_general.yaml", "general_en.yaml")])
def test_an_adaptation_config_has_its_sources_model_and_features_and_the_one_adaptation_schedule(adaptation, source):
    """adapt.sh fine-tunes a model with one of these: `asr train --init-from` refuses a model or features section
    other than the source's, and both sources are adapted by the same train section, so the two compare."""
    adapted, original, reference = (load_config(RECIPES / "synth_en" / "conf" / n)
                                    for n in (adaptation, source, "adapt.yaml"))
    assert (adapted.model, adapted.features) == (original.model, original.features)
    assert (adapted.train, adapted.decode) == (reference.train, reference.decode)


def test_the_voice_count_configs_differ_in_the_number_of_kokoro_voices_alone():
    """voices_5/50/500.yaml measure how many voices help: anything else that differs would be measured too."""
    import dataclasses
    configs = [load_config(RECIPES / "synth_en" / "conf" / f"voices_{n}.yaml") for n in (5, 50, 500)]
    assert [c.corpus.kokoro_voices for c in configs] == [5, 50, 500]
    def without_the_count(config):
        return dataclasses.replace(config, corpus=dataclasses.replace(config.corpus, kokoro_voices=0))

    assert all(without_the_count(c) == without_the_count(configs[0]) for c in configs[1:])


@pytest.mark.parametrize("english, japanese, engines", [
    ("voices_en.yaml", "voices_500.yaml", {"espeak-ng": 0.5, "flite": 0.2, "kokoro-en": 0.3}),
    ("general_en.yaml", "general.yaml", {"kokoro-en": 0.4, "espeak-ng": 0.3, "flite": 0.2, "pico": 0.1})])
def test_an_english_speakers_config_differs_from_its_japanese_one_in_its_engines_alone(english, japanese, engines):
    import dataclasses
    english, japanese = (load_config(RECIPES / "synth_en" / "conf" / n) for n in (english, japanese))
    assert "kokoro" in japanese.corpus.engines and english.corpus.engines == engines
    assert english == dataclasses.replace(japanese, corpus=dataclasses.replace(japanese.corpus, engines=engines))


@pytest.mark.parametrize("text, message", [
    ("train:\n  lerning_rate: 1\n", "unknown key 'train.lerning_rate'"),
    ("modle: {}\n", "unknown key 'modle'"),
    ("model:\n  units: big\n", "'model.units' must be int"),
    ("model:\n  encoder: rnn\n", "'model.encoder' must be one of bilstm, bigru"),
    ("model:\n  cell: gru\n", "'model.cell' is now 'model.encoder (bilstm or bigru)'"),
    ("model:\n  normalisation: cepstral\n", "'model.normalisation' must be one of global, utterance"),
    ("model:\n  encoder: lstm_lookahead\n  normalisation: utterance\n", "a sliding-window normalisation"),
    ("train:\n  specaugment: false\n", "'train.specaugment' is now 'train.spec_augment.enabled'"),
    ("decode:\n  strategy: viterbi\n", "'decode.strategy' must be one of greedy, beam, beam_lm"),
    ("train: 3\n", "'train' must be a mapping"),
    ("model: [\n", "not valid YAML"),
    ("splits:\n  train: train_clean_100\n", "'splits.train' must be a non-empty list of split names"),
    ("model:\n  vocabulary: sil\n", "'model.vocabulary' must be list"),
    ("model:\n  layers: -1\n", "'model.layers' must be ≥ 1, got -1"),
    ("model:\n  units: 0\n", "'model.units' must be ≥ 1, got 0"),
    ("model:\n  stack: 0\n", "'model.stack' must be ≥ 1, got 0"),
    ("model:\n  dropout: 1.5\n", "'model.dropout' must be in [0, 1), got 1.5"),
    ("train:\n  peak_learning_rate: -0.001\n", "'train.peak_learning_rate' must be > 0, got -0.001"),
    ("train:\n  checkpoint_every_steps: 0\n", "'train.checkpoint_every_steps' must be ≥ 1, got 0"),
    ("train:\n  clipnorm: .nan\n", "'train.clipnorm' must be > 0, got nan"),
    ("train:\n  spec_augment:\n    max_time_fraction: 2\n", "'train.spec_augment.max_time_fraction' must be in [0, 1]"),
    ("decode:\n  chunk_seconds: 0\n", "'decode.chunk_seconds' must be ≥ 1.0, got 0.0"),
    ("features:\n  fmax: 9000\n", "'features.fmin' < 'features.fmax' ≤ half 'features.sample_rate' must hold"),
    ("features:\n  win_length: 1024\n", "'features.win_length' must not exceed 'features.n_fft'"),
    ("corpus:\n  min_words: 9\n  max_words: 4\n", "'corpus.min_words' must not exceed 'corpus.max_words'"),
    ("", "the config is empty"),
    ("# nothing but a comment\n", "the config is empty"),
])
def test_bad_config_gives_one_clear_line(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(AsrError) as error:
        load_config(path)
    assert message in str(error.value) and str(path) in str(error.value)
    assert "\n" not in str(error.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(AsrError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_every_recipe_dry_runs_with_parameter_counts():
    """tools/validate_configs.py: every recipe config builds, counts parameters and trains one tiny step."""
    import subprocess
    import sys
    result = subprocess.run([sys.executable, str(RECIPES.parent / "tools" / "validate_configs.py")],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    configs = sorted(RECIPES.glob("*/conf/*.yaml"))
    assert f"{len(configs)} of {len(configs)} configs valid" in result.stdout
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[1:-1]}
    assert set(lines) == {f"{p.parent.parent.name}/{p.stem}" for p in configs}
    assert "4xBiLSTM-320" in lines["librispeech/medium"] and "8.84 M params" in lines["librispeech/medium"]
    assert "5xBiLSTM-1024" in lines["librispeech/large"] and "vocab  40" in lines["timit/medium"]


def test_validate_configs_reports_a_broken_config(tmp_path):
    import subprocess
    import sys
    bad = tmp_path / "recipe" / "conf" / "bad.yaml"
    bad.parent.mkdir(parents=True)
    bad.write_text("model:\n  units: 0\n")
    result = subprocess.run([sys.executable, str(RECIPES.parent / "tools" / "validate_configs.py"), str(bad)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "0 of 1 configs valid" in result.stdout
    assert len(result.stderr.strip().splitlines()) == 1 and str(bad) in result.stderr


def test_every_numeric_setting_has_a_range():
    import dataclasses
    import typing

    from asr.config import RANGES, RecipeConfig

    def numeric_names(cls, prefix):
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if dataclasses.is_dataclass(hints[f.name]):
                yield from numeric_names(hints[f.name], f"{prefix}{f.name}.")
            elif hints[f.name] in (int, float):
                yield f"{prefix}{f.name}"

    assert sorted(numeric_names(RecipeConfig, "")) == sorted(RANGES)


@pytest.mark.parametrize("command, option, value, message", [
    ("transcribe", "--chunk-seconds", "0", "--chunk-seconds must be ≥ 1.0, got 0.0"),
    ("transcribe", "--chunk-seconds", "nan", "--chunk-seconds must be ≥ 1.0, got nan"),
    ("transcribe", "--chunk-seconds", "-3", "--chunk-seconds must be ≥ 1.0, got -3.0"),
    ("transcribe", "--beam-width", "0", "--beam-width must be ≥ 1, got 0"),
    ("evaluate", "--beam-width", "-2", "--beam-width must be ≥ 1, got -2"),
    ("features", "--jobs", "0", "--jobs must be ≥ 1, got 0"),
    ("train", "--max-steps", "0", "--max-steps must be ≥ 1, got 0"),
    ("inspect", "--utterances", "0", "--utterances must be ≥ 1, got 0"),
])
def test_bad_numeric_options_are_one_line_before_any_work(tmp_path, command, option, value, message):
    from tests.conftest import asr
    required = {"transcribe": ["--model", tmp_path, tmp_path / "x.wav"], "inspect": [tmp_path],
                "features": ["--data-dir", tmp_path], "train": ["--config", "c.yaml", "--data-dir", tmp_path,
                                                                "--run-dir", tmp_path / "r"],
                "evaluate": ["--run-dir", tmp_path, "--data-dir", tmp_path, "--split", "dev"]}
    result = asr(command, *required[command], option, value)
    assert result.returncode == 1 and result.stderr.strip() == f"asr {command}: {message}"
