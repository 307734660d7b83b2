"""The training step: non-finite batches change nothing, persistent ones stop training, and mixed
precision computes the same loss as float32 with the classifier and CTC in float32."""

import json

import keras
import numpy as np
import pytest

from asr.config import ModelConfig
from asr.errors import AsrError
from asr.models.acoustic import build_model, cudnn_eligible
from asr.models.ctc_loss import ctc_loss
from asr.recipe import config_from_dict
from asr.training.step import LossScale, fixed_rate_step, repeated_batch
from tests.conftest import TINY

SMALL = ModelConfig(layers=2, units=32, dropout=0.0)


def random_batch(seed=0, batch=3, frames=90):
    rng = np.random.default_rng(seed)
    lengths = np.array([frames, frames - 20, frames - 45], np.int32)[:batch]
    features = rng.normal(size=(batch, frames, 80)).astype(np.float32)
    labels = rng.integers(1, 29, size=(batch, 6)).astype(np.int32)
    return features, lengths, labels, np.array([6, 4, 3], np.int32)[:batch]


def model_and_step(precision="float32", initial_scale=2.0 ** 15):
    keras.utils.set_random_seed(0)
    model = build_model(SMALL, 29, precision=precision)
    loss_scale = LossScale(initial_scale) if precision == "mixed_float16" else None
    optimizer, step = fixed_rate_step(model, 5.0, loss_scale)
    return model, optimizer, loss_scale, step


def values(variables):
    return [v.numpy().copy() for v in variables]


def test_a_nonfinite_batch_moves_no_weight_and_no_adam_state():
    model, optimizer, _, step = model_and_step()
    good = step(repeated_batch(*random_batch()))  # Adam moments are non-zero from here on
    assert bool(good[1])
    before = values(model.variables) + values(optimizer.variables)
    features, *rest = random_batch(seed=1)
    features[1, 5, 7] = np.nan  # one bad value in one utterance
    loss, applied, _ = step(repeated_batch(features, *rest))
    assert np.isnan(float(loss)) and not bool(applied)
    after = values(model.variables) + values(optimizer.variables)
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)  # includes optimizer.iterations: the schedule does not advance


def test_training_stops_with_a_clear_message_when_the_loss_stays_nonfinite(tiny_data, tmp_path, monkeypatch):
    import asr.data.dataset
    values_ = json.loads(json.dumps(TINY))
    values_["train"]["max_skipped_batches"] = 2
    original = asr.data.dataset.pad_batch

    def poisoned(features, labels=None):
        arrays = original(features, labels)
        arrays[0][:] = np.inf
        return arrays

    monkeypatch.setattr(asr.data.dataset, "pad_batch", poisoned)
    from asr.training.trainer import Trainer
    trainer = Trainer(config_from_dict(values_), tiny_data, tmp_path)
    with pytest.raises(AsrError, match=r"2 batches in a row had a non-finite loss .* \(last: epoch 1 batch 2\)"):
        trainer.fit()
    assert trainer.state.nonfinite_batches == 2 and not (tmp_path / "model").exists()


@pytest.mark.parametrize("precision, rtol", [("mixed_float16", 5e-4), ("mixed_bfloat16", 5e-3)])
def test_mixed_precision_loss_matches_float32(precision, rtol):
    reference, *_ = model_and_step()
    mixed, *_ = model_and_step(precision)
    mixed.set_weights(reference.get_weights())
    features, lengths, labels, label_lengths = random_batch()
    losses = []
    for model in (reference, mixed):
        logits, out_lengths = model((features, lengths), training=False)
        losses.append(np.asarray(ctc_loss(labels, label_lengths, logits, out_lengths)))
    assert str(mixed.classifier.compute_dtype) == "float32" and str(mixed.cmvn.compute_dtype) == "float32"
    assert mixed.encoder.recurrent[0].forward_layer.compute_dtype == precision.removeprefix("mixed_")
    assert all(v.dtype == "float32" for v in mixed.trainable_variables)
    np.testing.assert_allclose(losses[1], losses[0], rtol=rtol)
    assert cudnn_eligible(mixed)


def test_float16_loss_scaling_lowers_the_scale_until_the_step_is_finite():
    model, _, loss_scale, step = model_and_step("mixed_float16", initial_scale=2.0 ** 24)  # sure to overflow
    batches = repeated_batch(*random_batch())
    before = values(model.trainable_variables)
    applied_at = None
    for number in range(20):
        loss, applied, _ = step(batches)
        assert np.isfinite(float(loss))  # the loss itself is float32 and finite; scaled gradients overflow
        if bool(applied):
            applied_at = number
            break
        np.testing.assert_array_equal(before[0], model.trainable_variables[0].numpy())
    assert applied_at and float(loss_scale.scale.numpy()) == 2.0 ** (24 - applied_at)
    assert not np.array_equal(before[0], model.trainable_variables[0].numpy())


@pytest.mark.parametrize("flags, expected", [("fpu avx2 avx512f avx512_bf16 avx512_vnni", True),
                                             ("fpu avx2 amx_bf16 amx_tile", True), ("fpu avx2 avx512f", False)])
def test_a_cpu_with_bfloat16_dot_products_is_told_by_its_flags(tmp_path, flags, expected):
    from asr.runtime import cpu_has_bfloat16_dot_products
    (tmp_path / "cpuinfo").write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
    assert cpu_has_bfloat16_dot_products(tmp_path / "cpuinfo") is expected
    assert cpu_has_bfloat16_dot_products(tmp_path / "absent") is False  # another OS: float32


def test_auto_precision_is_bfloat16_for_the_fast_path_lstm_on_a_cpu_with_bfloat16_dot_products():
    from asr.training.step import resolve_precision
    assert resolve_precision("auto", "bilstm", gpu=False, cpu_bfloat16=True) == "mixed_bfloat16"
    assert resolve_precision("auto", "bigru", gpu=False, cpu_bfloat16=True) == "float32"  # Keras' GRU: no gain
    assert resolve_precision("auto", "bilstm", gpu=False, cpu_bfloat16=False) == "float32"
    assert resolve_precision("auto", "bilstm", gpu=True, cpu_bfloat16=True) == "mixed_float16"
    assert resolve_precision("float32", "bilstm", gpu=False, cpu_bfloat16=True) == "float32"
    with pytest.raises(AsrError, match="unknown precision 'fp8'"):
        resolve_precision("fp8")
