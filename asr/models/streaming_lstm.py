"""A streaming encoder: unidirectional LSTM layers, then a row convolution over a few future frames.

A bidirectional layer must hear the whole utterance before it says anything; these layers only look
back, so they can run while audio arrives, with their state (h, c) carried from chunk to chunk. The
row convolution (Deep Speech 2's) gives each output frame a look-ahead of `lookahead` stacked frames:

    y_t = sum_{j=0..lookahead} w_j * x_{t+j}    (per channel; frames past the end are zeros)

so the model answers `lookahead * skip` feature frames (e.g. 5 x 30 ms) after a frame arrives, on top of
what CTC itself learns to delay. Offline (training, evaluation) the padding past each utterance's
length is zeroed before the convolution, exactly as the streaming path ends a stream by flushing zeros;
tests/test_streaming.py checks that chunked and offline outputs agree.

The LSTM layers keep Keras' cuDNN conditions (asr.models.acoustic.cudnn_eligible); on a CPU they are
computed by asr.models.fast_lstm from the same weights.
"""

import functools

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from asr.models import fast_lstm
from asr.models.encoder import Encoder
from asr.models.registry import register_encoder


def _identity_taps(shape, dtype=None):
    """Row-convolution taps (lookahead + 1, D) that start as the identity: w_0 = 1, future taps 0."""
    taps = np.zeros(shape, dtype="float32")
    taps[0] = 1.0
    return ops.convert_to_tensor(taps, dtype=dtype)


class RowConvolution(keras.layers.Layer):
    """Per-channel weighted sum of each frame and the `lookahead` frames after it: (B, T, D) -> (B, T, D).

    Args:
        lookahead: future frames each output frame reads; frames past the end of x count as zeros.
    """

    def __init__(self, lookahead, **kwargs):
        super().__init__(**kwargs)
        self.lookahead = lookahead

    def build(self, input_shape):
        self.taps = self.add_weight(shape=(self.lookahead + 1, input_shape[-1]), initializer=_identity_taps,
                                    name="taps")

    def call(self, x):
        return self.convolve(ops.pad(x, [[0, 0], [0, self.lookahead], [0, 0]]), ops.shape(x)[1])

    def convolve(self, padded, frames):
        """The first `frames` outputs of frames padded (B, frames + lookahead, D) -> (B, frames, D)."""
        taps = ops.cast(self.taps, padded.dtype)
        return sum(padded[:, j:j + frames] * taps[j] for j in range(self.lookahead + 1))

    def get_config(self):
        return {**super().get_config(), "lookahead": self.lookahead}


@register_encoder("lstm_lookahead")
class LookaheadLSTMEncoder(Encoder):
    """`config.layers` unidirectional LSTM layers of `config.units`, then a row convolution over
    `config.lookahead` future frames. It streams: see `stream_step`."""

    streams = True

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        policy = self.dtype_policy
        self.recurrent = [keras.layers.LSTM(config.units, return_sequences=True, unit_forget_bias=True,
                                            name=f"lstm_{i}", dtype=policy) for i in range(config.layers)]
        self.dropouts = [keras.layers.Dropout(config.dropout, dtype=policy) for _ in range(config.layers)]
        self.row_convolution = RowConvolution(config.lookahead, name="row_convolution", dtype=policy)
        self.fast_cpu_lstm = not tf.config.list_physical_devices("GPU")  # same weights either way

    def call(self, x, lengths, training=False):
        for k in range(len(self.recurrent)):
            x = self._stage(k, x, lengths, training)
        return self._look_ahead(x, lengths)

    def _stage(self, k, x, lengths, training=False):
        """LSTM layer k, then its dropout: (B, T', F) -> (B, T', units); padded frames give zeros."""
        mask = ops.arange(ops.shape(x)[1])[None, :] < lengths[:, None]  # (B, T'), right-padded
        layer = self.recurrent[k]
        if self.fast_cpu_lstm:
            if not layer.built:
                layer.build(tuple(x.shape))
            x = fast_lstm.lstm_direction(x, ops.cast(lengths, "int32"), layer.cell, reverse=False)
        else:
            x = layer(x, mask=mask, training=training) * ops.cast(mask, x.dtype)[:, :, None]
        return self.dropouts[k](x, training=training)

    def _look_ahead(self, x, lengths):
        mask = ops.arange(ops.shape(x)[1])[None, :] < lengths[:, None]
        return self.row_convolution(x * ops.cast(mask, x.dtype)[:, :, None])  # past the end: zeros

    def stream_step(self, x, mask, state):
        """One chunk of a stream: x (B, Tc, F) stacked frames, mask (B, Tc) 1 for real frames and 0 for the
        zeros that end a stream, state (h (L, B, H), c (L, B, H), pending (B, P, H)) from the chunk before
        (`initial_stream_state`) -> (outputs (B, N, H) for the frames whose look-ahead is now complete,
        the new state). `pending` holds the last top-layer frames still waiting for their look-ahead."""
        h, c, pending = state
        new_h, new_c = [], []
        for k, layer in enumerate(self.recurrent):
            x, (h_k, c_k) = fast_lstm.lstm_sequence(x, layer.cell, (h[k], c[k]))
            new_h.append(h_k)
            new_c.append(c_k)
        waiting = tf.concat([pending, x * tf.cast(mask, x.dtype)[:, :, None]], axis=1)  # (B, P + Tc, H)
        ready = tf.maximum(tf.shape(waiting)[1] - self.config.lookahead, 0)
        outputs = self.row_convolution.convolve(waiting, ready)
        return outputs, (tf.stack(new_h), tf.stack(new_c), waiting[:, ready:])

    def initial_stream_state(self, batch=1):
        """Zero (h, c) and no pending frames: the state before a stream's first chunk (numpy float32)."""
        units, layers = self.config.units, self.config.layers
        zeros = np.zeros((layers, batch, units), np.float32)
        return zeros, zeros.copy(), np.zeros((batch, 0, units), np.float32)

    def output_dim(self, input_dim):
        return self.config.units

    def recurrent_layers(self):
        return list(self.recurrent)

    def stages(self):
        stages = [functools.partial(self._stage, k) for k in range(len(self.recurrent))]
        stages[-1] = lambda x, lengths: self._look_ahead(self._stage(len(self.recurrent) - 1, x, lengths), lengths)
        return stages

    def traced_recurrences(self):
        return [(k, "forward", layer) for k, layer in enumerate(self.recurrent)]

    def write_onnx(self, graph, x, lengths):
        from asr.models.onnx_streaming import lookahead_lstm_onnx
        return lookahead_lstm_onnx(graph, x, lengths, self)

    def write_onnx_stream(self, graph, x, mask):
        """One stream step in ONNX (asr.models.onnx_streaming): x (B, Tc, F) normalised frames -> the names of
        the ready outputs (B, N, H), h_out, c_out and pending_out."""
        from asr.models.onnx_streaming import stream_encoder_onnx
        return stream_encoder_onnx(graph, x, mask, self)

    @classmethod
    def macs_per_frame(cls, config, input_dim):
        macs, width = 0, input_dim
        for _ in range(config.layers):
            macs += 4 * config.units * (width + config.units)
            width = config.units
        return macs + (config.lookahead + 1) * config.units
