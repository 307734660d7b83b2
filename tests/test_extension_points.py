"""Extension points work from outside the library: an encoder registered by a test trains and is refused
by export with a clear message; a registered decoding strategy becomes a config and CLI choice."""

import keras
import numpy as np
import pytest
from keras import ops

from asr.config import ModelConfig
from asr.decoding.strategies import Strategy, make_decoder, register_strategy, strategy_names
from asr.errors import AsrError
from asr.models.acoustic import build_model
from asr.models.encoder import Encoder
from asr.models.export import export_model
from asr.models.model_dir import load_trained_model
from asr.models.registry import encoder_names, register_encoder
from asr.recipe import config_from_dict
from asr.training.step import fixed_rate_step, repeated_batch
from tests.conftest import TINY


@register_encoder("toy_dense")
class ToyDenseEncoder(Encoder):
    """One dense layer per frame: no context at all, so padding cannot leak into a real frame."""

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        self.dense = keras.layers.Dense(config.units, activation="tanh", dtype=self.dtype_policy)

    def call(self, x, lengths, training=False):
        mask = ops.cast(ops.arange(ops.shape(x)[1])[None, :] < lengths[:, None], x.dtype)
        return self.dense(x) * mask[:, :, None]

    def output_dim(self, input_dim):
        return self.config.units


def test_a_registered_encoder_is_a_config_choice_and_trains_one_step():
    assert "toy_dense" in encoder_names()
    config = config_from_dict({"model": {"encoder": "toy_dense", "units": 12}})
    keras.utils.set_random_seed(0)
    model = build_model(config.model, 29)
    assert isinstance(model.encoder, ToyDenseEncoder)
    before = [w.numpy().copy() for w in model.encoder.trainable_weights]
    _, step = fixed_rate_step(model, clipnorm=5.0)
    rng = np.random.default_rng(0)
    features = rng.normal(size=(2, 60, 80)).astype(np.float32)
    loss, applied, _ = step(repeated_batch(features, np.array([60, 45]), np.array([[3, 4, 5], [6, 7, 0]]),
                                        np.array([3, 2])))
    assert np.isfinite(float(loss)) and bool(applied)
    assert any(not np.allclose(a, b.numpy()) for a, b in zip(before, model.encoder.trainable_weights))


def test_an_unknown_encoder_names_the_registered_ones():
    with pytest.raises(AsrError, match="'model.encoder' must be one of bilstm, bigru"):
        config_from_dict({"model": {"encoder": "transformer"}})


def test_export_refuses_an_encoder_it_cannot_write(tiny_config, tiny_data, tmp_path):
    from asr.training.trainer import Trainer
    values = {**TINY, "model": {"encoder": "toy_dense", "units": 16, "dropout": 0.0}}
    values["train"] = {**TINY["train"], "max_epochs": 1}
    Trainer(config_from_dict(values), tiny_data, tmp_path / "run").fit()
    assert load_trained_model(tmp_path / "run")[1].model.encoder == "toy_dense"
    with pytest.raises(AsrError, match="encoder 'toy_dense' is not exportable to ONNX yet"):
        export_model(tmp_path / "run")
    assert not (tmp_path / "run" / "model" / "model.onnx").exists()


def test_a_registered_strategy_decodes_and_is_a_config_choice():
    class Reverse:
        def __init__(self, tokenizer, beam_width, lm):
            self.tokenizer = tokenizer

        def decode(self, logits_list):
            return [self.tokenizer.decode(np.argmax(x, -1)[::-1].tolist()) for x in logits_list]

    register_strategy(Strategy("reverse_test", Reverse, "argmax read backwards (test)"))
    assert "reverse_test" in strategy_names()
    assert config_from_dict({"decode": {"strategy": "reverse_test"}}).decode.strategy == "reverse_test"
    from asr.data.tokenizer import CharTokenizer
    logits = np.eye(29)[[1, 2, 3]].astype(np.float32)  # " ", "'", "a"
    assert make_decoder("reverse_test", CharTokenizer(), 4).decode([logits]) == ["a'"]


def test_model_config_holds_the_encoder_name():
    assert ModelConfig().encoder == "bilstm"
