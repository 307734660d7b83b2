"""Acoustic model: CMVN -> frame stacking -> N x masked bidirectional LSTM/GRU -> Dense(vocab).

The model takes (features (B, T, 80), lengths (B,)) and returns (logits (B, T', V), output lengths (B,)).
Lengths become a right-padded mask that reaches both directions of every recurrent layer, so the
backward pass starts at each utterance's true last frame and never reads padding. The recurrent layers
keep Keras' defaults that make them cuDNN-eligible on a GPU (tanh/sigmoid, no recurrent dropout, not
unrolled, with bias); `asr.model.cudnn_eligible` checks that.
"""

import importlib
import json
from pathlib import Path

import keras
import tensorflow as tf
from keras import ops

from asr import fast_lstm
from asr.config import ModelConfig
from asr.errors import AsrError
from asr.fileio import atomic_path, write_json
from asr.features import N_MELS


@keras.saving.register_keras_serializable(package="asr")
class GlobalCMVN(keras.layers.Layer):
    """Fixed (x - mean) / std normalisation whose statistics travel inside the model's weights.

    Args:
        dim: feature dimension.
    """

    def __init__(self, dim=N_MELS, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        self.mean = self.add_weight(shape=(dim,), initializer="zeros", trainable=False, name="mean")
        self.std = self.add_weight(shape=(dim,), initializer="ones", trainable=False, name="std")

    def set_statistics(self, mean, std):
        self.mean.assign(mean)
        self.std.assign(std)

    def call(self, x):
        return (x - self.mean) / self.std

    def get_config(self):
        return {**super().get_config(), "dim": self.dim}


@keras.saving.register_keras_serializable(package="asr")
class FrameStack(keras.layers.Layer):
    """Concatenate `stack` consecutive frames every `skip` frames: (B, T, F) -> (B, T', stack * F).

    T' = (T - stack) // skip + 1, so the last output frame never mixes real frames with padding.

    Args:
        stack: frames concatenated into one output frame.
        skip: hop between output frames, in input frames.
    """

    def __init__(self, stack=3, skip=3, **kwargs):
        super().__init__(**kwargs)
        self.stack, self.skip = stack, skip

    def output_lengths(self, lengths):
        return ops.maximum((lengths - self.stack) // self.skip + 1, 0)

    def call(self, x):
        short = ops.maximum(self.stack - ops.shape(x)[1], 0)
        x = ops.pad(x, [[0, 0], [0, short], [0, 0]])  # at least `stack` frames
        n_out = (ops.shape(x)[1] - self.stack) // self.skip + 1
        span = (n_out - 1) * self.skip + 1
        # stack slices x[:, i::skip] for i < stack: (B, T, F) -> (B, T', stack * F)
        return ops.concatenate([x[:, i:i + span:self.skip] for i in range(self.stack)], axis=-1)

    def get_config(self):
        return {**super().get_config(), "stack": self.stack, "skip": self.skip}


def recurrent_layer(cell, units, name, dtype=None):
    """A cuDNN-eligible bidirectional layer (Keras picks cuDNN on a GPU, its own loop on a CPU)."""
    if cell == "lstm":
        inner = keras.layers.LSTM(units, return_sequences=True, unit_forget_bias=True, dtype=dtype)  # forget bias 1
    else:
        inner = keras.layers.GRU(units, return_sequences=True, reset_after=True, dtype=dtype)
    return keras.layers.Bidirectional(inner, merge_mode="concat", name=name, dtype=dtype)


@keras.saving.register_keras_serializable(package="asr")
class AcousticModel(keras.Model):
    """BiLSTM-CTC acoustic model.

    Args:
        vocab_size: output classes including the CTC blank (id 0).
        stack, skip: frame stacking (see FrameStack).
        layers: number of bidirectional recurrent layers.
        units: units per direction.
        cell: "lstm" or "gru".
        dropout: dropout rate between recurrent layers.
        dtype: Keras dtype policy, e.g. "mixed_float16"; CMVN and the classifier (hence the softmax and
            the CTC loss) always compute in float32.

    Example:
        model = AcousticModel(vocab_size=29)
        logits, out_lengths = model((features, lengths))
    """

    def __init__(self, vocab_size, stack=3, skip=3, layers=3, units=256, cell="lstm", dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.settings = dict(vocab_size=vocab_size, stack=stack, skip=skip, layers=layers, units=units,
                             cell=cell, dropout=dropout)
        policy = self.dtype_policy
        self.cmvn = GlobalCMVN(N_MELS, name="cmvn", dtype="float32")
        self.frame_stack = FrameStack(stack, skip, name="frame_stack", dtype=policy)
        self.recurrent = [recurrent_layer(cell, units, f"bi{cell}_{i}", policy) for i in range(layers)]
        self.dropouts = [keras.layers.Dropout(dropout, dtype=policy) for _ in range(layers)]
        self.classifier = keras.layers.Dense(vocab_size, name="classifier", dtype="float32")
        # Same weights either way; only how an LSTM is computed differs (see asr.fast_lstm).
        self.fast_cpu_lstm = cell == "lstm" and not tf.config.list_physical_devices("GPU")

    def call(self, inputs, training=False):
        features, lengths = inputs
        x = self.frame_stack(self.cmvn(features))  # (B, T, 80) -> (B, T', stack * 80)
        out_lengths = self.frame_stack.output_lengths(ops.cast(lengths, "int32"))
        mask = ops.arange(ops.shape(x)[1])[None, :] < out_lengths[:, None]  # (B, T'), right-padded
        for layer, dropout in zip(self.recurrent, self.dropouts):
            x = dropout(self._recurrent(layer, x, mask, out_lengths, training), training=training)
        return self.classifier(x), out_lengths  # (B, T', V), (B,)

    def _recurrent(self, layer, x, mask, lengths, training):
        """(B, T', F) -> (B, T', 2 * units), by Keras or by asr.fast_lstm with the layer's weights."""
        if not self.fast_cpu_lstm:
            return layer(x, mask=mask, training=training)
        if not layer.built:
            layer.build(tuple(x.shape))
        return fast_lstm.bidirectional_lstm(layer, x, lengths)

    def get_config(self):
        return {**super().get_config(), **self.settings}


def build_model(model_config: ModelConfig, vocab_size, cmvn=None, precision="float32"):
    """A built AcousticModel from config values; `cmvn` = {"mean": [...], "std": [...]} if known.

    `precision` is a Keras dtype policy name (asr.train_step.PRECISIONS); weights are float32 either way.
    """
    model = AcousticModel(vocab_size, model_config.stack, model_config.skip, model_config.layers,
                          model_config.units, model_config.cell, model_config.dropout, dtype=precision)
    model((ops.zeros((1, max(model_config.stack, 8), N_MELS)), ops.array([max(model_config.stack, 8)])))
    if cmvn is not None:
        model.cmvn.set_statistics(cmvn["mean"], cmvn["std"])
    return model


def cudnn_eligible(model):
    """True when every recurrent layer meets the conditions under which Keras uses cuDNN on a GPU.

    The argument conditions are Keras' own functions (what keras.layers.LSTM/GRU call before choosing
    tf.raw_ops.CudnnRNNV3); the layer adds use_cudnn and no recurrent dropout. The mask also must be
    right-padded, which AcousticModel.call builds by construction.
    """
    rnn = importlib.import_module("keras.src.backend.tensorflow.rnn")  # the module, not its rnn()
    for bidirectional in model.recurrent:
        for layer in (bidirectional.forward_layer, bidirectional.backward_layer):
            cell = layer.cell
            if isinstance(layer, keras.layers.LSTM):
                arguments_ok = rnn._do_lstm_arguments_support_cudnn(
                    cell.activation, cell.recurrent_activation, layer.unroll, cell.use_bias)
            else:
                arguments_ok = rnn._do_gru_arguments_support_cudnn(
                    cell.activation, cell.recurrent_activation, layer.unroll, cell.use_bias, cell.reset_after)
            if not (arguments_ok and layer.use_cudnn in ("auto", True) and not cell.recurrent_dropout):
                return False
    return True


MODEL_JSON, MODEL_WEIGHTS = "model.json", "model.weights.h5"


def save_trained_model(model, model_dir, extra=None):
    """Write model.json (architecture values) and model.weights.h5 (weights incl. CMVN) atomically."""
    model_dir = Path(model_dir)
    with atomic_path(model_dir / MODEL_WEIGHTS) as tmp:
        model.save_weights(str(tmp.with_suffix(".weights.h5")))
        tmp.with_suffix(".weights.h5").replace(tmp)
    write_json(model_dir / MODEL_JSON, {**model.settings, **(extra or {})})


def load_trained_model(model_dir):
    """Rebuild the model from model.json and load its weights (works on CPU whatever it trained on)."""
    model_dir = Path(model_dir)
    if not (model_dir / MODEL_JSON).is_file() or not (model_dir / MODEL_WEIGHTS).is_file():
        raise AsrError(f"{model_dir}: no trained model here ({MODEL_JSON} and {MODEL_WEIGHTS} expected)")
    settings = json.loads((model_dir / MODEL_JSON).read_text())
    config = ModelConfig(**{k: settings[k] for k in ("stack", "skip", "layers", "units", "cell", "dropout")})
    model = build_model(config, settings["vocab_size"])
    model.load_weights(str(model_dir / MODEL_WEIGHTS))
    return model, settings
