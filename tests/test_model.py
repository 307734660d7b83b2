import keras
import numpy as np
import pytest

from asr.config import ModelConfig
from asr.model import FrameStack, build_model, cudnn_eligible, load_trained_model, save_trained_model


def small_model(cell="lstm", stack=3, skip=3, fast_cpu_lstm=False):
    keras.utils.set_random_seed(0)
    model = build_model(ModelConfig(stack=stack, skip=skip, layers=2, units=16, cell=cell, dropout=0.0), 29)
    model.fast_cpu_lstm = fast_cpu_lstm
    return model


# every way the model can compute its recurrent layers: Keras LSTM (cuDNN's stand-in), asr.fast_lstm, GRU
PATHS = [("lstm", False), ("lstm", True), ("gru", False)]


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
    for bi in model.recurrent:
        assert bi.forward_layer.go_backwards is False and bi.backward_layer.go_backwards is True


def test_forget_gate_bias_starts_at_one():
    model = small_model("lstm")
    bias = np.asarray(model.recurrent[0].forward_layer.cell.bias)
    units = model.recurrent[0].forward_layer.units
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
    change(model.recurrent[-1].backward_layer)
    assert not cudnn_eligible(model)


@pytest.mark.parametrize("saved_fast, loaded_fast", [(True, False), (False, True)])
def test_save_and_load_gives_the_same_outputs(tmp_path, saved_fast, loaded_fast):
    """A model saved from one LSTM path (CPU fast / Keras-cuDNN) gives the same outputs on the other."""
    model = small_model(fast_cpu_lstm=saved_fast)
    model.cmvn.set_statistics(np.full(80, 0.5), np.full(80, 2.0))
    save_trained_model(model, tmp_path)
    loaded, settings = load_trained_model(tmp_path)
    loaded.fast_cpu_lstm = loaded_fast
    x = np.random.default_rng(2).normal(size=(2, 20, 80)).astype(np.float32)
    np.testing.assert_allclose(model((x, np.array([20, 14])))[0], loaded((x, np.array([20, 14])))[0], atol=1e-5)
    assert settings["units"] == 16
