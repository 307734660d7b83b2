"""Streaming recognition: audio in pieces -> partial results while it arrives, finals at each end-point.

    samples ─LogMelStream─▶ log-mel frames ─FrameStacker─▶ stacked frames ─step (state carried)─▶ logits
        ─greedy─▶ partial text;  at an end-point: the model's decoding strategy ─▶ final text + word timings

A stream's logits are the offline model's logits of the same audio (the features are log_mel's, the
encoder's state and look-ahead are carried between chunks; tests/test_streaming.py), so a file streamed
in one utterance gets the offline transcript. The step runs in onnxruntime on model.stream.onnx when
`asr export` wrote one for these weights (no TensorFlow), else in TensorFlow.

A model that needs the whole utterance (a bidirectional encoder) streams too, by decoding again: every
REDECODE_SECONDS its offline network runs over the utterance so far (RedecodeStep), so partials may revise
earlier words, and each final is the offline model's own decoding of exactly that utterance.

End-points (after which the network's state starts afresh, as each training utterance did):
  * ENDPOINT_SECONDS of blank frames after something was said: the utterance is final;
  * nothing said for IDLE_SECONDS: the state starts afresh, nothing is reported;
  * a segment as long as the model's chunk_seconds: final, as offline transcription cuts long files.
"""


import numpy as np

from asr.data.features import LogMelStream
from asr.data.tokenizer import BLANK
from asr.decoding.ctc_decoders import collapse
from asr.errors import AsrError
from asr.inference.backends import choose_backend
from asr.inference.transcriber import Transcriber, times_words
from asr.models.model_dir import current_onnx

ENDPOINT_SECONDS = 0.8
IDLE_SECONDS = 5.0
# Stacked frames per network step of a streaming encoder (120 ms by default). Steps always take this many
# frames, whatever the sizes of the pieces audio arrives in (only a stream's last step is shorter): end-points,
# checked after each step, then fall at the same frames however the audio was cut, and so do the finals.
STEP_FRAMES = 4
# How often a model that needs the whole utterance decodes it again: partials every half second cost each
# stream ~1/REDECODE_SECONDS offline passes over its utterance per second (a 10-s utterance: 20 passes).
REDECODE_SECONDS = 0.48


class LookaheadStep:
    """What the steps of a streaming encoder share: STEP_FRAMES per step, logits for the new frames only
    (`replaces` False), and at the end of a stream the frames still waiting for their look-ahead, given zeros."""

    frames_per_step, replaces = STEP_FRAMES, False

    def flush(self, state):
        """(logits of the frames still pending, or None, state) at the end of a stream."""
        pending = state[2].shape[1]
        if not pending:
            return None, state
        zeros = np.zeros((1, pending, self.width), np.float32)
        return self(zeros, zeros[:, :, 0], state)


class OnnxStreamStep(LookaheadStep):
    """One stream step in onnxruntime: (frames (1, Tc, F), mask (1, Tc), state) -> (logits (N, V), state)."""

    def __init__(self, path):
        from asr.inference.onnx_predictor import onnx_session
        self.session = onnx_session(path)
        shapes = {i.name: i.shape for i in self.session.get_inputs()}
        self.layers, self.units = int(self.session.get_modelmeta().custom_metadata_map["layers"]), shapes["h"][-1]
        self.width = shapes["frames"][-1]

    def initial_state(self):
        zeros = np.zeros((self.layers, 1, self.units), np.float32)
        return zeros, zeros.copy(), np.zeros((1, 0, self.units), np.float32)

    def __call__(self, frames, mask, state):
        h, c, pending = state
        logits, *state = self.session.run(None, {"frames": frames, "mask": mask, "h": h, "c": c, "pending": pending})
        return logits[0], tuple(state)


class TfStreamStep(LookaheadStep):
    """The same step computed by TensorFlow from the Keras model (asr.models.streaming_lstm.stream_step)."""

    def __init__(self, info, model):
        import tensorflow as tf

        stack, units, width = info.model.stack, info.model.units, info.model.stack * info.features.n_mels
        self.width = width
        mean, std = (np.tile(v.numpy(), stack) for v in (model.cmvn.mean, model.cmvn.std))  # per stacked frame
        self.initial_state = lambda: model.encoder.initial_stream_state()

        @tf.function(input_signature=[tf.TensorSpec([1, None, width]), tf.TensorSpec([1, None]),
                                      *[tf.TensorSpec([info.model.layers, 1, units])] * 2,
                                      tf.TensorSpec([1, None, units])])
        def step(frames, mask, h, c, pending):
            outputs, state = model.encoder.stream_step((frames - mean) / std, mask, (h, c, pending))
            return model.classifier(outputs), state

        self.step = step

    def __call__(self, frames, mask, state):
        logits, state = self.step(frames, mask, *state)
        return logits.numpy()[0], tuple(s.numpy() for s in state)


class RedecodeStep:
    """A model that needs the whole utterance, made to stream: the state is the utterance's stacked frames so
    far, and each step runs the offline network (the Transcriber's predictor) over all of them and returns the
    logits of all of them (`replaces`): the stream replaces what it had. Every REDECODE_SECONDS."""

    replaces = True

    def __init__(self, transcriber):
        model = transcriber.info.model
        if model.stack < model.skip:
            raise AsrError(f"{transcriber.info.layout.root}: stack {model.stack} < skip {model.skip} drops frames, "
                           "so the utterance cannot be decoded again from its stacked frames")
        self.predict, self.stack, self.skip = transcriber.predict, model.stack, model.skip
        self.n_mels = transcriber.info.features.n_mels
        self.frames_per_step = max(1, round(REDECODE_SECONDS / transcriber.frame_seconds))

    def initial_state(self):
        return np.zeros((0, self.stack * self.n_mels), np.float32)

    def __call__(self, frames, mask, state):
        state = np.concatenate([state, frames[0][mask[0] > 0]])
        features = unstacked(state, self.stack, self.skip, self.n_mels)
        logits, lengths = self.predict(features[None], np.array([len(features)], np.int32))
        return logits[0, :lengths[0]], state

    def flush(self, state):
        return None, state  # nothing waits: every step decoded all there was


def unstacked(stacked, stack, skip, n_mels):
    """FrameStacker's output (n, stack * n_mels) -> the feature frames it came from ((n - 1) * skip + stack,
    n_mels): the first `skip` frames of each stacked frame, then the rest of the last one (stack >= skip)."""
    if not len(stacked):
        return np.zeros((0, n_mels), np.float32)
    frames = stacked.reshape(len(stacked), stack, n_mels)  # (n, stack * F) -> (n, stack, F)
    return np.concatenate([frames[:, :skip].reshape(-1, n_mels), frames[-1, skip:]])


class FrameStacker:
    """asr.models.acoustic.FrameStack over frames that arrive in pieces: stacked frame i concatenates
    frames i * skip ... i * skip + stack - 1."""

    def __init__(self, stack, skip, n_mels):
        self.stack, self.skip, self.width = stack, skip, stack * n_mels
        self.held = np.zeros((0, n_mels), np.float32)

    def accept(self, frames):
        """(n, n_mels) frames -> (m, stack * n_mels) stacked frames now complete."""
        self.held = np.concatenate([self.held, frames])
        count = max(0, (len(self.held) - self.stack) // self.skip + 1)
        # (T, F) -> (count, stack * F): frames i * skip + j for j < stack, side by side
        stacked = np.concatenate([self.held[j:j + (count - 1) * self.skip + 1:self.skip] for j in range(self.stack)],
                                 axis=1) if count else np.zeros((0, self.width), np.float32)
        self.held = self.held[count * self.skip:]
        return stacked


class StreamingRecognizer:
    """A streaming model loaded once, shared by any number of streams (`new_stream`), from any thread.

    backend: one of asr.inference.backends.BACKENDS ("auto": onnxruntime when a current model.stream.onnx exists).
    strategy_name, beam_width, lm, hotwords: the decoding of finals, as for Transcriber (partials are greedy);
    or `transcriber`, a Transcriber of this model that decodes finals (its network and decoder are shared).

    `step` is the network step every stream runs, `step(frames (1, n, F), mask (1, n), state) -> (logits
    (n', V), state)` with `step.initial_state()`: a wrapper put in its place sees (or scripts) the logits the
    streams made afterwards decode.
    """

    def __init__(self, model_dir, backend="auto", strategy_name=None, lm=None, beam_width=None,
                 endpoint_seconds=ENDPOINT_SECONDS, hotwords=(), transcriber=None):
        if transcriber is None:  # given: the offline Transcriber of the same model, loaded once for both
            transcriber = Transcriber(model_dir, strategy_name, beam_width, None, backend, lm,
                                      times_words(model_dir, strategy_name), hotwords)
        self.transcriber = transcriber
        self.info = info = transcriber.info
        self.backend, self.step = load_stream_step(info, backend, transcriber)
        self.frame_seconds = transcriber.frame_seconds  # seconds per output frame (stacked frame)
        self.endpoint_frames = max(1, round(endpoint_seconds / self.frame_seconds))
        self.idle_frames = round(IDLE_SECONDS / self.frame_seconds)
        self.segment_frames = round(transcriber.chunk_seconds / self.frame_seconds)

    def new_stream(self):
        return Stream(self)


def load_stream_step(info, backend, transcriber):
    """(backend name, step) of a model for a backend of asr.inference.backends: onnxruntime runs
    model.stream[.int8].onnx; a model exported without one (an encoder that does not stream) decodes again
    with the transcriber's offline network, and so does one TensorFlow builds whose encoder does not stream."""
    if backend != "tf" and transcriber.backend != "tf" and \
            current_onnx(info.layout.root, transcriber.backend == "onnx-int8", stream=True) is None:
        return transcriber.backend, RedecodeStep(transcriber)
    name, path = choose_backend(info, backend, stream=True)
    if path is not None:
        return name, OnnxStreamStep(path)
    from asr.models.model_dir import build_trained_model
    model = build_trained_model(info)
    return "tf", (TfStreamStep(info, model) if model.encoder.streams else RedecodeStep(transcriber))


class Stream:
    """One stream's state. `accept(samples)` and `finish()` return events, in order:

        {"type": "partial", "text", "time"}: the greedy text of the utterance so far, when it changes
        {"type": "final", "text", "start", "end"[, "words"]}: an utterance decoded with the model's strategy

    `time` is the seconds of audio received; start, end and word times count from the stream's start.
    """

    def __init__(self, recognizer):
        self.recognizer, info = recognizer, recognizer.info
        self.rate = info.features.sample_rate
        self.features = LogMelStream(info.features)
        self.stacker = FrameStacker(info.model.stack, info.model.skip, info.features.n_mels)
        self.unfed = np.zeros((0, self.stacker.width), np.float32)  # stacked frames waiting for a whole step
        self.received = self.fed = 0  # samples received, stacked frames fed to the network
        self._start_segment()

    def _start_segment(self):
        self.state, self.logits, self.best = self.recognizer.step.initial_state(), [], []
        self.segment_start, self.partial = self.fed, ""

    def accept(self, samples):
        """Mono float32 samples at the model's rate (any number) -> events."""
        samples = np.asarray(samples, np.float32).reshape(-1)
        self.received += len(samples)
        return self._feed(self.stacker.accept(self.features.accept(samples)))

    def finish(self):
        """The end of the audio -> the last events; the stream is done."""
        events = self._feed(self.stacker.accept(self.features.finish()), last=True)
        logits, self.state = self.recognizer.step.flush(self.state)  # what waited for look-ahead, given zeros
        if logits is not None:
            events += self._take(logits, end_of_stream=True)
        return events + self._final()

    def _feed(self, stacked, last=False):
        """Run the network on the held and new stacked frames, the step's frames_per_step at a time (`last`: all
        of them)."""
        self.unfed = np.concatenate([self.unfed, stacked])
        events, size = [], self.recognizer.step.frames_per_step
        while len(self.unfed) >= size or (last and len(self.unfed)):
            piece, self.unfed = self.unfed[:size], self.unfed[size:]
            logits, self.state = self.recognizer.step(piece[None], np.ones((1, len(piece)), np.float32), self.state)
            self.fed += len(piece)
            events += self._take(logits)
        return events

    def _take(self, logits, end_of_stream=False):
        """Add a step's logits (N, V) to the utterance (or, from a step that `replaces`, put them in place of the
        utterance's): a partial if its text changed, a final at an end-point."""
        if self.recognizer.step.replaces:
            self.logits, self.best = [], []
        self.logits.append(logits)
        self.best += np.argmax(logits, axis=-1).tolist()
        events, text = [], self.recognizer.info.tokenizer.decode(collapse(self.best))
        if text != self.partial:
            self.partial = text
            events.append({"type": "partial", "text": text, "time": round(self.received / self.rate, 3)})
        if end_of_stream:
            return events
        r, frames = self.recognizer, len(self.best)
        trailing_blanks = frames - max((i + 1 for i, t in enumerate(self.best) if t != BLANK), default=0)
        if text and (trailing_blanks >= r.endpoint_frames or frames >= r.segment_frames):
            events += self._final()
        elif not text and frames >= r.idle_frames:
            self._start_segment()  # a long silence: start afresh, as every training utterance did
        return events

    def _final(self):
        """The utterance so far decoded with the model's strategy ([] if nothing was said); a new one begins."""
        events = []
        if self.logits and self.partial:
            logits, offset = np.concatenate(self.logits), self.segment_start * self.recognizer.frame_seconds
            text, words, _ = self.recognizer.transcriber.decode_chunk(logits, offset)
            event = {"type": "final", "text": text, "start": round(offset, 3),
                     "end": round(offset + len(logits) * self.recognizer.frame_seconds, 3)}
            events.append({**event, "words": words} if words is not None else event)
        self._start_segment()
        return events
