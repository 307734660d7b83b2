"""Bidirectional LSTM and GRU encoders: N masked bidirectional layers with dropout between them.

The layers keep Keras' defaults that make them cuDNN-eligible on a GPU (tanh/sigmoid, no recurrent
dropout, not unrolled, with bias; asr.models.acoustic.cudnn_eligible checks that). The mask built from
the lengths is right-padded and reaches both directions, so the backward pass starts at each
utterance's true last frame and never reads padding. On a CPU, LSTM layers are computed by
asr.models.fast_lstm from the very same weights.
"""

import functools

import keras
import tensorflow as tf
from keras import ops

from asr.models import fast_lstm
from asr.models.encoder import Encoder
from asr.models.registry import register_encoder


def recurrent_layer(cell, units, name, dtype=None):
    """A cuDNN-eligible bidirectional layer (Keras picks cuDNN on a GPU, its own loop on a CPU)."""
    if cell == "lstm":
        inner = keras.layers.LSTM(units, return_sequences=True, unit_forget_bias=True, dtype=dtype)  # forget bias 1
    else:
        inner = keras.layers.GRU(units, return_sequences=True, reset_after=True, dtype=dtype)
    return keras.layers.Bidirectional(inner, merge_mode="concat", name=name, dtype=dtype)


class BiRecurrentEncoder(Encoder):
    """`config.layers` bidirectional `CELL` layers of `config.units` per direction."""

    CELL = None  # "lstm" or "gru"
    GATES = {"lstm": 4, "gru": 3}

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        policy = self.dtype_policy
        self.recurrent = [recurrent_layer(self.CELL, config.units, f"bi{self.CELL}_{i}", policy)
                          for i in range(config.layers)]
        self.dropouts = [keras.layers.Dropout(config.dropout, dtype=policy) for _ in range(config.layers)]
        # Same weights either way; only how an LSTM is computed differs (see asr.models.fast_lstm).
        self.fast_cpu_lstm = self.CELL == "lstm" and not tf.config.list_physical_devices("GPU")

    def call(self, x, lengths, training=False):
        for k in range(len(self.recurrent)):
            x = self._stage(k, x, lengths, training)
        return x

    def _stage(self, k, x, lengths, training=False):
        """Bidirectional layer k, then its dropout: (B, T', F) -> (B, T', 2 * units)."""
        mask = ops.arange(ops.shape(x)[1])[None, :] < lengths[:, None]  # (B, T'), right-padded
        return self.dropouts[k](self._layer(self.recurrent[k], x, mask, lengths, training), training=training)

    def _layer(self, layer, x, mask, lengths, training):
        """(B, T', F) -> (B, T', 2 * units), by Keras or by asr.models.fast_lstm with the layer's weights."""
        if not self.fast_cpu_lstm:
            return layer(x, mask=mask, training=training)
        if not layer.built:
            layer.build(tuple(x.shape))
        return fast_lstm.bidirectional_lstm(layer, x, lengths)

    def output_dim(self, input_dim):
        return 2 * self.config.units

    def recurrent_layers(self):
        return [layer for _, _, layer in self.traced_recurrences()]

    def stages(self):
        return [functools.partial(self._stage, k) for k in range(len(self.recurrent))]

    def traced_recurrences(self):
        return [(k, direction, getattr(layer, f"{direction}_layer"))
                for k, layer in enumerate(self.recurrent) for direction in ("forward", "backward")]

    def write_onnx(self, graph, x, lengths):
        from asr.models.onnx_recurrent import bidirectional_layer_onnx
        for k, layer in enumerate(self.recurrent):
            x = bidirectional_layer_onnx(graph, x, lengths, layer, self.CELL, self.config.units, k)
        return x

    @classmethod
    def macs_per_frame(cls, config, input_dim):
        macs, width = 0, input_dim
        for _ in range(config.layers):
            macs += 2 * cls.GATES[cls.CELL] * config.units * (width + config.units)  # two directions
            width = 2 * config.units
        return macs


@register_encoder("bilstm")
class BiLSTMEncoder(BiRecurrentEncoder):
    CELL = "lstm"
    cpu_bfloat16 = True  # the fast path's bfloat16 matmuls: tools/bench_train.py --precision, docs/speed.md


@register_encoder("bigru")
class BiGRUEncoder(BiRecurrentEncoder):
    CELL = "gru"
