"""The encoder registry: every encoder the acoustic model can be built with, by name.

An encoder maps stacked frames (B, T', F) and their lengths (B,) to (B, T', D) and is a subclass of
asr.models.encoder.Encoder. Built-in encoders are listed by import path, so naming them (the CLI, config
checks) imports no TensorFlow; `register_encoder` adds one from anywhere, e.g. a module of your own:

    @register_encoder("my_encoder")
    class MyEncoder(Encoder): ...

after which `model: {encoder: my_encoder}` in a recipe config builds it.
"""

from asr.errors import AsrError
from asr.registry import Registry

ENCODERS = Registry("encoder", {
    "bilstm": "asr.models.recurrent:BiLSTMEncoder",
    "bigru": "asr.models.recurrent:BiGRUEncoder",
    "lstm_lookahead": "asr.models.streaming_lstm:LookaheadLSTMEncoder",
})
register_encoder, encoder_names, encoder_class = ENCODERS.register, ENCODERS.names, ENCODERS.get


def check_normalisation(model, source):
    """AsrError unless the ModelConfig's normalisation suits its encoder: a streaming encoder (its class's
    `streams`) has not seen the utterance's end when it must emit, so it cannot divide by the utterance's
    statistics. The encoder's class is imported (TensorFlow) only for an utterance-normalised model."""
    if model.normalisation == "utterance" and encoder_class(model.encoder).streams:
        raise AsrError(f"{source}: 'model.normalisation' utterance needs the whole utterance and encoder "
                       f"{model.encoder!r} streams; use global (a sliding-window normalisation would be the "
                       "streaming form, and asr has none)")
