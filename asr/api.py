"""The Python API: a trained model loaded once, transcribing audio files or arrays, and streams of audio pieces.

    import asr
    model = asr.load_model()                  # None: the default model, found as `asr transcribe` finds it
    result = model.transcribe("speech.wav")   # or an array of samples: model.transcribe(samples, 16000)
    print(result.text, [(w.word, w.start, w.end, w.confidence) for w in result.words])

docs/python-api.md has the whole example, streaming included. It runs the same code as `asr transcribe`
(asr.inference.transcriber.transcribe_files) and `asr transcribe --stream` (asr.inference.streaming), so the
three give the same transcripts. `import asr` stays cheap: the model's machinery, and TensorFlow when there
is no ONNX export, is imported by load_model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike

    from asr.data.audio import Resampler
    from asr.inference.streaming import Stream, StreamingRecognizer
    from asr.inference.transcriber import Transcriber

PathLike = Union[str, "os.PathLike[str]"]  # a file or directory path


@dataclass(frozen=True)
class Word:
    """A word of a transcript: start and end in seconds from the start of the audio; confidence in [0, 1],
    how sure the network was of the word's letters."""
    word: str
    start: float
    end: float
    confidence: float


@dataclass(frozen=True)
class Transcription:
    """What Model.transcribe returns. `words` is empty when the decoding cannot time words (strategy beam,
    or a model that outputs phones rather than letters)."""
    text: str
    duration: float  # seconds of audio
    words: list[Word] = field(default_factory=list)


@dataclass(frozen=True)
class Partial:
    """A stream's utterance so far (greedy decoding; it may still change); `time`: seconds of audio fed."""
    text: str
    time: float


@dataclass(frozen=True)
class Final:
    """An utterance of a stream, decoded with the model's strategy at an end-point (a pause) or at the end;
    start, end and word times in seconds from the start of the stream."""
    text: str
    start: float
    end: float
    words: list[Word] = field(default_factory=list)


def words_of(records: list[dict] | None) -> list[Word]:
    return [Word(r["word"], r["start"], r["end"], r["confidence"]) for r in records or []]


def stream_result(event: dict) -> Partial | Final:
    """A Stream's event dict (asr.inference.streaming.Stream) as a Partial or a Final."""
    if event["type"] == "partial":
        return Partial(event["text"], event["time"])
    return Final(event["text"], event["start"], event["end"], words_of(event.get("words")))


class AudioStream:
    """One stream of audio pieces: `feed(samples)` as they arrive, then `finish()`; each returns the results
    that the audio so far completes, in order (Partial when the utterance's text changes, Final at its end)."""

    def __init__(self, stream: Stream, resampler: Resampler) -> None:
        self._stream, self._resample = stream, resampler

    def feed(self, samples: ArrayLike) -> list[Partial | Final]:
        """Mono float samples (any number, at the stream's sample rate; full scale is ±1)."""
        from asr.data.audio import check_block
        from asr.errors import AsrError
        samples = _as_samples(samples)
        if samples.ndim != 1:
            raise AsrError(f"stream: samples must be mono (N,), got shape {samples.shape}")
        try:
            check_block(samples)
        except AsrError as e:
            raise AsrError(f"stream: {e}") from None
        return [stream_result(e) for e in self._stream.accept(self._resample(samples))]

    def finish(self) -> list[Partial | Final]:
        """The end of the audio: the last results. The stream is done."""
        import numpy as np
        events = self._stream.accept(self._resample(np.zeros(0, np.float32), last=True)) + self._stream.finish()
        return [stream_result(e) for e in events]


class Model:
    """A trained model, loaded once by load_model; transcribes any number of files, arrays and streams."""

    def __init__(self, model_dir: PathLike, transcriber: Transcriber, backend: str) -> None:
        self.model_dir, self._transcriber, self._backend = model_dir, transcriber, backend
        self._recognizer: StreamingRecognizer | None = None

    @property
    def sample_rate(self) -> int:
        """The rate the model hears at (arrays at another rate are resampled)."""
        return self._transcriber.info.features.sample_rate

    def transcribe(self, audio: PathLike | ArrayLike, sample_rate: int | None = None) -> Transcription:
        """An audio file (any format libsndfile reads, any length: read block by block), or samples in memory:
        (N,) mono or (N, channels) floats at `sample_rate` (None: the model's). AsrError naming the file (or
        "audio array") when it is not usable audio."""
        from asr.data.audio import InMemoryAudio
        from asr.errors import AsrError
        from asr.inference.transcriber import transcribe_files
        if isinstance(audio, (str, os.PathLike)):
            if sample_rate is not None:
                raise AsrError(f"{audio}: sample_rate is for arrays of samples; a file says its own rate")
            source = audio
        else:
            source = InMemoryAudio(_as_samples(audio), sample_rate or self.sample_rate)
        [result] = transcribe_files([source], self._transcriber)
        if "error" in result:
            raise AsrError(result["error"])
        return Transcription(result["text"], result["duration"], words_of(result.get("words")))

    def stream(self, sample_rate: int | None = None) -> AudioStream:
        """A new stream of audio pieces at `sample_rate` (None: the model's). A streaming model (encoder
        lstm_lookahead) steps its network as the audio comes; any other decodes the utterance so far again every
        half second (asr.inference.streaming.RedecodeStep). The stream's step is loaded at the first call; the
        offline network that decodes finals is the one transcribe() uses."""
        from asr.data.audio import Resampler
        from asr.inference.streaming import StreamingRecognizer
        if self._recognizer is None:
            self._recognizer = StreamingRecognizer(self.model_dir, self._backend, transcriber=self._transcriber)
        return AudioStream(self._recognizer.new_stream(), Resampler(sample_rate or self.sample_rate, self.sample_rate))


def _as_samples(samples: ArrayLike) -> np.ndarray:
    import numpy as np
    return np.asarray(samples, np.float32)


def load_model(path: PathLike | None = None, *, backend: str = "auto", strategy: str | None = None,
               beam_width: int | None = None, chunk_seconds: float | None = None) -> Model:
    """The model of a run directory (or its model/ directory); None: the default model, found as `asr
    transcribe` finds it ($ASR_MODEL, else the newest model of the default recipe, else the shipped one).

    backend: "auto", "onnx", "onnx-int8" or "tf" (asr.inference.backends); strategy, beam_width,
    chunk_seconds: None takes the model's own decoding settings. Words are timed when the strategy keeps
    word frames (greedy, beam_lm). AsrError for a missing or inconsistent model.
    """
    from asr.inference.default_model import choose_model
    from asr.inference.transcriber import Transcriber, times_words
    model_dir = choose_model(path)
    transcriber = Transcriber(model_dir, strategy, beam_width, chunk_seconds, backend,
                              words=times_words(model_dir, strategy))
    return Model(model_dir, transcriber, backend)
