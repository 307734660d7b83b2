"""What every encoder of the acoustic model provides (the base class of the registry's entries).

An encoder sits between frame stacking and the classifier: (B, T', F) stacked frames with their lengths
(B,) -> (B, T', D). It must never let padding change a real frame's output (tests check every registered
encoder for that). The optional parts say what else the toolkit can do with it:

    recurrent_layers()   the Keras RNN layers, checked for cuDNN eligibility (asr.models.acoustic)
    write_onnx()         its part of the ONNX graph (`asr export`); without it, export is refused
    macs_per_frame()     its cost, for tools/validate_configs.py estimates
    stages()             itself as a chain of per-layer functions (asr.inspection takes gradients at each
                         layer's input); default: one stage, the whole encoder
    traced_recurrences() which recurrent layers' gates asr.inspection can recompute, at which stage
    stream_step()        one chunk of a stream with state carried between chunks (`streams = True`;
                         asr.inference.streaming); initial_stream_state() the state before the first;
                         write_onnx_stream() that step in ONNX (model.stream.onnx; without it, TensorFlow streams)
"""

import keras

from asr.errors import AsrError


class Encoder(keras.layers.Layer):
    """Base class. Args: config: the ModelConfig (layers, units, dropout, ...); dtype: Keras policy."""

    streams = False  # True: stream_step and initial_stream_state exist (the encoder only looks back)
    cpu_bfloat16 = False  # True: on a CPU with bfloat16 dot products it trains faster in mixed_bfloat16 (measured)

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.config = config

    def call(self, x, lengths, training=False):
        """(B, T', F), (B,) int32 -> (B, T', output_dim(F))."""
        raise NotImplementedError

    def output_dim(self, input_dim):
        raise NotImplementedError

    def recurrent_layers(self):
        return []

    def stages(self):
        """[f(x, lengths) -> x] whose chain is call(x, lengths) at inference (no dropout)."""
        return [lambda x, lengths: self(x, lengths, training=False)]

    def traced_recurrences(self):
        """[(stage, direction name, Keras LSTM or GRU layer)]: the recurrent layers whose gates
        asr.inspection.gates recomputes from the stage's input (backwards if the layer goes backwards)."""
        return []

    def write_onnx(self, graph, x, lengths):
        """Add this encoder to an asr.models.onnx_graph.Graph: x (T', B, F) time-major -> (T', B, D)."""
        raise AsrError(f"encoder {self.config.encoder!r} is not exportable to ONNX yet "
                       "(transcribe with --backend tf, or give it a write_onnx)")

    @classmethod
    def macs_per_frame(cls, config, input_dim):
        """Multiply-accumulates per output frame of the forward pass; None if unknown."""
        return None
