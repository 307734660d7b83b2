"""asr: a readable, fast, reproducible BiLSTM-CTC speech recognition toolkit.

The Python API (asr.api, docs/python-api.md): `asr.load_model(path_or_none)` -> a Model with
`transcribe(file_or_samples)` and `stream()`. Importing asr loads no model machinery: load_model does.
"""

from asr.api import AudioStream, Final, Model, Partial, Transcription, Word, load_model
from asr.errors import AsrError

__version__ = "0.1.0"
__all__ = ["AsrError", "AudioStream", "Final", "Model", "Partial", "Transcription", "Word", "load_model"]
