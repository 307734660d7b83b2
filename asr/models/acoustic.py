"""Acoustic model: normalisation (global or per-utterance CMVN) -> frame stacking -> an encoder from the
registry -> Dense(vocab).

The model takes (features (B, T, n_mels), lengths (B,)) and returns (logits (B, T', V), output lengths
(B,)). The encoder gets the stacked frames' true lengths, so it can keep padding out of every real
frame's output (the bidirectional encoders: asr.models.recurrent). Recurrent layers keep the settings
under which Keras uses cuDNN on a GPU; `cudnn_eligible` checks that.
"""

import dataclasses
import importlib

import keras
from keras import ops

from asr.config import FeatureConfig, ModelConfig
from asr.models.normalisation import GlobalCMVN, normalisation_layer
from asr.models.registry import check_normalisation, encoder_class


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


@keras.saving.register_keras_serializable(package="asr")
class AcousticModel(keras.Model):
    """Normalisation -> frame stacking -> the configured encoder -> Dense(vocab); CTC on top (blank = 0).

    Args:
        config: ModelConfig (normalisation, stack, skip, encoder name and its sizes).
        vocab_size: output classes including the CTC blank (id 0).
        feature_dim: input features per frame (FeatureConfig.n_mels).
        dtype: Keras dtype policy, e.g. "mixed_float16"; CMVN and the classifier (hence the softmax and
            the CTC loss) always compute in float32.

    Example:
        model = AcousticModel(ModelConfig(), vocab_size=29, feature_dim=80)
        logits, out_lengths = model((features, lengths))
    """

    def __init__(self, config, vocab_size, feature_dim, **kwargs):
        super().__init__(**kwargs)
        self.config, self.vocab_size, self.feature_dim = config, vocab_size, feature_dim
        policy = self.dtype_policy
        check_normalisation(config, "model config")  # model.json is not a recipe config: checked here too
        self.cmvn = normalisation_layer(config.normalisation, feature_dim)
        self.frame_stack = FrameStack(config.stack, config.skip, name="frame_stack", dtype=policy)
        self.encoder = encoder_class(config.encoder)(config, name="encoder", dtype=policy)
        self.classifier = keras.layers.Dense(vocab_size, name="classifier", dtype="float32")

    def call(self, inputs, training=False):
        features, lengths = inputs
        x = self.frame_stack(self.normalise(features, lengths))  # (B, T, n_mels) -> (B, T', stack * n_mels)
        out_lengths = self.frame_stack.output_lengths(ops.cast(lengths, "int32"))
        x = self.encoder(x, out_lengths, training=training)  # (B, T', D)
        return self.classifier(x), out_lengths  # (B, T', V), (B,)

    def normalise(self, features, lengths):
        """(B, T, n_mels) log-mel features, (B,) true lengths -> (B, T, n_mels) as the encoder's input is made."""
        return self.cmvn(features, lengths)

    def get_config(self):
        return {**super().get_config(), "config": dataclasses.asdict(self.config), "vocab_size": self.vocab_size,
                "feature_dim": self.feature_dim}


def build_model(model_config: ModelConfig, vocab_size, feature_dim=FeatureConfig.n_mels, cmvn=None,
                precision="float32"):
    """A built AcousticModel from config values; `cmvn` = {"mean": [...], "std": [...]} if known (an
    utterance-normalised model has no global statistics and ignores it).

    `precision` is a Keras dtype policy name (asr.config.PRECISIONS); weights are float32 either way.
    """
    model = AcousticModel(model_config, vocab_size, feature_dim, dtype=precision)
    frames = max(model_config.stack, 8)
    model((ops.zeros((1, frames, feature_dim)), ops.array([frames])))
    if cmvn is not None and isinstance(model.cmvn, GlobalCMVN):
        model.cmvn.set_statistics(cmvn["mean"], cmvn["std"])
    return model


def cudnn_eligible(model):
    """True when every recurrent layer meets the conditions under which Keras uses cuDNN on a GPU.

    The argument conditions are Keras' own functions (what keras.layers.LSTM/GRU call before choosing
    tf.raw_ops.CudnnRNNV3); the layer adds use_cudnn and no recurrent dropout. The mask also must be
    right-padded, which the recurrent encoders build from the lengths by construction.
    """
    rnn = importlib.import_module("keras.src.backend.tensorflow.rnn")  # the module, not its rnn()
    for layer in model.encoder.recurrent_layers():
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
