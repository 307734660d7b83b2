import dataclasses
import json

import keras
import numpy as np
import pytest

from asr.config import DecodeConfig, FeatureConfig, ModelConfig
from asr.errors import AsrError
from asr.models.acoustic import FrameStack, build_model, cudnn_eligible
from asr.models.model_dir import load_trained_model, read_model_info, save_trained_model
from asr.models.registry import encoder_names

CELL_ENCODERS = {"lstm": "bilstm", "gru": "bigru"}


def small_model(cell="lstm", stack=3, skip=3, fast_cpu_lstm=False):
    keras.utils.set_random_seed(0)
    config = ModelConfig(stack=stack, skip=skip, encoder=CELL_ENCODERS[cell], layers=2, units=16, dropout=0.0)
    model = build_model(config, 29)
    model.encoder.fast_cpu_lstm = fast_cpu_lstm
    return model


# every way the model can compute its recurrent layers: Keras LSTM (cuDNN's stand-in), asr.models.fast_lstm, GRU
PATHS = [("lstm", False), ("lstm", True), ("gru", False)]


@pytest.mark.parametrize("encoder", encoder_names())
def test_every_registered_encoder_ignores_padding(encoder):
    keras.utils.set_random_seed(0)
    model = build_model(ModelConfig(encoder=encoder, layers=2, units=16, dropout=0.0), 29)
    rng = np.random.default_rng(0)
    utt = rng.normal(size=(1, 31, 80)).astype(np.float32)
    alone, _ = model((utt, np.array([31])))
    padded = np.concatenate([utt, 100 * rng.normal(size=(1, 29, 80)).astype(np.float32)], axis=1)
    logits, _ = model((padded, np.array([31])))
    np.testing.assert_allclose(logits[0, :10], alone[0, :10], atol=1e-5)


@pytest.mark.parametrize("cell, fast", PATHS)
def test_padding_does_not_change_logits_in_either_direction(cell, fast):
    model = small_model(cell, fast_cpu_lstm=fast)
    rng = np.random.default_rng(0)
    utt = rng.normal(size=(1, 31, 80)).astype(np.float32)
    alone, n_alone = model((utt, np.array([31])))
    # same utterance followed by 29 frames of loud garbage padding, batched with a longer utterance
    padded = np.concatenate([utt, 100 * rng.normal(size=(1, 29, 80)).astype(np.float32)], axis=1)
    other = rng.normal(size=(1, 60, 80)).astype(np.float32)
    logits, lengths = model((np.concatenate([padded, other]), np.array([31, 60])))
    assert int(lengths[0]) == int(n_alone[0]) == 10
    # a change in the backward direction would show up at every frame, the first one included
    np.testing.assert_allclose(logits[0, :10], alone[0, :10], atol=1e-5)


@pytest.mark.parametrize("cell, fast", PATHS)
def test_the_backward_direction_is_used(cell, fast):
    """Changing the last real frame must change the first output: the backward LSTM reads it."""
    model = small_model(cell, fast_cpu_lstm=fast)
    utt = np.random.default_rng(1).normal(size=(1, 30, 80)).astype(np.float32)
    changed = utt.copy()
    changed[0, -3:] += 5.0
    a, _ = model((utt, np.array([30])))
    b, _ = model((changed, np.array([30])))
    assert np.abs(np.asarray(a[0, 0]) - np.asarray(b[0, 0])).max() > 1e-4


@pytest.mark.parametrize("stack, skip, frames, expected", [(3, 3, 30, 10), (3, 3, 32, 10), (3, 2, 9, 4),
                                                         (1, 1, 7, 7), (4, 4, 2, 0)])
def test_frame_stack_shapes_and_lengths(stack, skip, frames, expected):
    layer = FrameStack(stack, skip)
    x = np.arange(frames * 2, dtype=np.float32).reshape(1, frames, 2)
    y = np.asarray(layer(x))
    assert int(layer.output_lengths(np.array([frames]))[0]) == expected
    assert y.shape[-1] == 2 * stack
    if expected:
        # output frame t holds input frames t*skip .. t*skip+stack-1: (B, T, F) -> (B, T', stack*F)
        np.testing.assert_array_equal(y[0, 1], x[0, skip:skip + stack].reshape(-1))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_recurrent_layers_meet_the_cudnn_conditions(cell):
    model = small_model(cell)
    assert cudnn_eligible(model)
    for bi in model.encoder.recurrent:
        assert bi.forward_layer.go_backwards is False and bi.backward_layer.go_backwards is True


def test_forget_gate_bias_starts_at_one():
    model = small_model("lstm")
    bias = np.asarray(model.encoder.recurrent[0].forward_layer.cell.bias)
    units = model.encoder.recurrent[0].forward_layer.units
    np.testing.assert_array_equal(bias[units:2 * units], 1.0)  # gate order: input, forget, cell, output


@pytest.mark.parametrize("cell, change", [
    ("lstm", lambda layer: setattr(layer.cell, "recurrent_dropout", 0.1)),
    ("lstm", lambda layer: setattr(layer.cell, "activation", keras.activations.relu)),
    ("lstm", lambda layer: setattr(layer.cell, "recurrent_activation", keras.activations.hard_sigmoid)),
    ("lstm", lambda layer: setattr(layer, "unroll", True)),
    ("lstm", lambda layer: setattr(layer.cell, "use_bias", False)),
    ("lstm", lambda layer: setattr(layer, "use_cudnn", False)),
    ("gru", lambda layer: setattr(layer.cell, "reset_after", False)),
])
def test_cudnn_check_rejects_each_ineligible_setting(cell, change):
    model = small_model(cell)
    change(model.encoder.recurrent[-1].backward_layer)
    assert not cudnn_eligible(model)


@pytest.mark.parametrize("saved_fast, loaded_fast", [(True, False), (False, True)])
def test_save_and_load_gives_the_same_outputs(tmp_path, saved_fast, loaded_fast):
    """A model saved from one LSTM path (CPU fast / Keras-cuDNN) gives the same outputs on the other."""
    model = small_model(fast_cpu_lstm=saved_fast)
    model.cmvn.set_statistics(np.full(80, 0.5), np.full(80, 2.0))
    save_trained_model(model, tmp_path, FeatureConfig(), DecodeConfig(), {"train_features": "test"})
    loaded, info = load_trained_model(tmp_path)
    loaded.encoder.fast_cpu_lstm = loaded_fast
    x = np.random.default_rng(2).normal(size=(2, 20, 80)).astype(np.float32)
    np.testing.assert_allclose(model((x, np.array([20, 14])))[0], loaded((x, np.array([20, 14])))[0], atol=1e-5)
    assert info.model == model.config and info.features == FeatureConfig()


def test_model_json_rebuilds_the_whole_config(tmp_path):
    """Every ModelConfig field travels through model.json, a field added later included."""
    model = small_model("gru", stack=2, skip=2)
    save_trained_model(model, tmp_path, FeatureConfig(), DecodeConfig(beam_width=7), {})
    record = json.loads((tmp_path / "model.json").read_text())
    assert record["model"] == dataclasses.asdict(model.config)
    info = read_model_info(tmp_path)
    assert info.model == model.config and info.decode.beam_width == 7 and info.tokenizer.vocab_size == 29


@pytest.mark.parametrize("damage, message", [
    (lambda r: r.update(format=1), "older asr"),
    (lambda r: r["model"].update(units=32), "does not fit"),
    (lambda r: r["features"].update(n_mels=40), "does not fit"),
    (lambda r: r.pop("features"), "not a readable model description"),
    (lambda r: r.update(tokenizer=["<b>", "x"]), "output symbols differ"),
])
def test_a_model_json_that_does_not_match_its_weights_is_one_clear_error(tmp_path, damage, message):
    save_trained_model(small_model(), tmp_path, FeatureConfig(), DecodeConfig(), {})
    record = json.loads((tmp_path / "model.json").read_text())
    damage(record)
    (tmp_path / "model.json").write_text(json.dumps(record))
    with pytest.raises(AsrError, match=message):
        load_trained_model(tmp_path)
