"""The encoder registry: every encoder the acoustic model can be built with, by name.

An encoder maps stacked frames (B, T', F) and their lengths (B,) to (B, T', D) and is a subclass of
asr.models.encoder.Encoder. Built-in encoders are listed by import path, so naming them (the CLI, config
checks) imports no TensorFlow; `register_encoder` adds one from anywhere, e.g. a module of your own:

    @register_encoder("my_encoder")
    class MyEncoder(Encoder): ...

after which `model: {encoder: my_encoder}` in a recipe config builds it.
"""

from asr.errors import AsrError
from asr.lazy_import import resolve

_ENCODERS = {  # name -> "module:class" (imported on first use) or the class itself
    "bilstm": "asr.models.recurrent:BiLSTMEncoder",
    "bigru": "asr.models.recurrent:BiGRUEncoder",
}


def register_encoder(name, encoder_class=None):
    """Register `encoder_class` (or "module:Class") under `name`; usable as a class decorator."""
    if encoder_class is None:
        return lambda cls: register_encoder(name, cls)
    _ENCODERS[name] = encoder_class
    return encoder_class


def encoder_names():
    return tuple(_ENCODERS)


def encoder_class(name):
    """The Encoder subclass registered as `name`."""
    if name not in _ENCODERS:
        raise AsrError(f"unknown encoder {name!r} (known: {', '.join(_ENCODERS)})")
    return resolve(_ENCODERS[name])
