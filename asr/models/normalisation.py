"""The acoustic model's first layer: mean and variance normalisation of the log-mel features
(`model.normalisation` in the config).

    global      (x - mean) / std with one mean and std per mel bin, measured on the training features and
                kept in the weights: the model learns the level and colour of its training channel.
    utterance   each utterance's own mean and std per mel bin, over its true frames only: a constant gain or
                a fixed filter (a different microphone, a louder speaker) is a constant offset of log-mel
                features and cancels. Needs the whole utterance, so a streaming encoder cannot use it.

Both take (features (B, T, F), lengths (B,)) and give (B, T, F); each writes its own part of the ONNX graph
(`write_onnx`, asr.models.onnx_graph), so export computes what Keras computes.
"""

import keras
import numpy as np
from keras import ops

from asr.config import FeatureConfig

# Added to the variance as STD_FLOOR ** 2. A mel bin that hardly moves within an utterance (digital silence at
# features.log_floor, a band the channel cut off, a one-frame utterance) has a std near 0: dividing by it would
# blow rounding noise up to unit variance, or give 0 / 0. Speech bins spread 2.7-5.2 (natural-log units, the
# default recipe's training features), so 0.1 changes their scale by < 0.1 %; inside the square root it also
# keeps the gradient finite at zero variance.
STD_FLOOR = 0.1


@keras.saving.register_keras_serializable(package="asr")
class GlobalCMVN(keras.layers.Layer):
    """Fixed (x - mean) / std normalisation whose statistics travel inside the model's weights.

    Args:
        dim: feature dimension.
    """

    def __init__(self, dim=FeatureConfig.n_mels, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        self.mean = self.add_weight(shape=(dim,), initializer="zeros", trainable=False, name="mean")
        self.std = self.add_weight(shape=(dim,), initializer="ones", trainable=False, name="std")

    def set_statistics(self, mean, std):
        self.mean.assign(mean)
        self.std.assign(std)

    def call(self, x, lengths=None):
        """(B, T, F) -> (B, T, F); `lengths` is not needed: the statistics are fixed."""
        return (x - self.mean) / self.std

    def write_onnx(self, g, x, lengths):
        return g.op("Div", [g.op("Sub", [x, g.const("cmvn_mean", self.mean.numpy())]),
                            g.const("cmvn_std", self.std.numpy())])

    def get_config(self):
        return {**super().get_config(), "dim": self.dim}


@keras.saving.register_keras_serializable(package="asr")
class UtteranceCMVN(keras.layers.Layer):
    """Per-utterance mean and variance normalisation over each utterance's true frames; padding enters no
    statistic and comes out as zeros. No weights.

    Args:
        dim: feature dimension.

    Example:
        normalised = UtteranceCMVN(80)(features, lengths)  # (B, T, 80), (B,) -> (B, T, 80)
    """

    def __init__(self, dim=FeatureConfig.n_mels, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim

    def call(self, x, lengths):
        frames = ops.arange(ops.shape(x)[1], dtype="int32")
        valid = (frames[None, :] < ops.cast(lengths, "int32")[:, None])[:, :, None]  # (B, T, 1)
        count = ops.maximum(ops.cast(lengths, x.dtype), 1.0)[:, None, None]  # (B, 1, 1); empty: no 0 / 0
        x = ops.where(valid, x, 0.0)  # where, not a product: padding holding inf or NaN stays out too
        mean = ops.sum(x, axis=1, keepdims=True) / count  # (B, 1, F)
        centred = ops.where(valid, x - mean, 0.0)
        variance = ops.sum(ops.square(centred), axis=1, keepdims=True) / count
        return centred / ops.sqrt(variance + STD_FLOOR ** 2)

    def write_onnx(self, g, x, lengths):
        """The same in ONNX: x "features" (B, T, F), lengths (B,) int32 -> (B, T, F)."""
        lengths = g.op("Cast", [lengths], to=7)  # int64, as Shape and Range give
        frames = g.op("Gather", [g.op("Shape", [x]), g.const("norm_one", np.array(1, np.int64))])
        steps = g.op("Range", [g.const("norm_zero", np.array(0, np.int64)), frames,
                               g.const("norm_step", np.array(1, np.int64))])  # (T,)
        valid = g.op("Less", [g.op("Unsqueeze", [steps, g.const("norm_axis0", np.array([0]))]),
                              g.op("Unsqueeze", [lengths, g.const("norm_axis1", np.array([1]))])])  # (B, T)
        valid = g.op("Unsqueeze", [valid, g.const("norm_axis2", np.array([2]))])  # (B, T, 1)
        count = g.op("Cast", [g.op("Max", [lengths, g.const("norm_least", np.array(1, np.int64))])], to=1)
        count = g.op("Reshape", [count, g.const("norm_count_shape", np.array([-1, 1, 1], np.int64))])  # (B, 1, 1)
        zero, time_axis = g.const("norm_zero_f", np.array(0.0, np.float32)), g.const("norm_time", np.array([1]))
        x = g.op("Where", [valid, x, zero])
        mean = g.op("Div", [g.op("ReduceSum", [x, time_axis], keepdims=1), count])  # (B, 1, F)
        centred = g.op("Where", [valid, g.op("Sub", [x, mean]), zero])
        variance = g.op("Div", [g.op("ReduceSum", [g.op("Mul", [centred, centred]), time_axis], keepdims=1), count])
        floor = g.const("norm_floor", np.array(STD_FLOOR ** 2, np.float32))
        return g.op("Div", [centred, g.op("Sqrt", [g.op("Add", [variance, floor])])])

    def get_config(self):
        return {**super().get_config(), "dim": self.dim}


def normalisation_layer(name, dim):
    """The layer `model.normalisation` names, computing in float32 under any precision policy."""
    layer = {"global": GlobalCMVN, "utterance": UtteranceCMVN}[name]
    return layer(dim, name="cmvn", dtype="float32")
