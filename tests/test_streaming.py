"""Streaming: chunked features, frame stacking and network steps equal the offline computation; a streamed
file gets the offline transcript; end-points, partials and finals follow their rules."""

import keras
import numpy as np
import onnxruntime as ort
import pytest

from asr.config import ModelConfig
from asr.data.features import LogMelStream, log_mel
from asr.data.manifest import load_manifest
from asr.errors import AsrError
from asr.inference.streaming import FrameStacker, LookaheadStep, StreamingRecognizer
from asr.inference.transcriber import Transcriber
from asr.models.acoustic import build_model
from asr.models.onnx_streaming import streaming_model_onnx
from tests.conftest import first_spoken


def random_pieces(n, rng, largest):
    """Cut range(n) into consecutive pieces of random sizes 1..largest."""
    cuts = np.cumsum(rng.integers(1, largest + 1, size=n + 1))
    return list(zip(np.r_[0, cuts[cuts < n]], np.r_[cuts[cuts < n], n]))


@pytest.mark.parametrize("samples", [0, 100, 511, 512, 1600, 16037, 48000])
def test_log_mel_stream_frames_equal_the_offline_frames(samples):
    rng = np.random.default_rng(samples)
    audio = (0.1 * rng.normal(size=samples)).astype(np.float32)
    stream = LogMelStream()
    frames = [stream.accept(audio[a:b]) for a, b in random_pieces(samples, rng, 3000)] + [stream.finish()]
    streamed, offline = np.concatenate(frames), log_mel(audio)
    assert streamed.shape == offline.shape
    np.testing.assert_allclose(streamed, offline, atol=2e-6)  # the same windows; only matmul rounding differs


@pytest.mark.parametrize("stack, skip", [(3, 3), (3, 2), (1, 1)])
def test_frame_stacker_equals_frame_stack(stack, skip):
    model = build_model(ModelConfig(stack=stack, skip=skip, layers=1, units=4), 5, 7)
    frames = np.random.default_rng(0).normal(size=(40, 7)).astype(np.float32)
    stacker = FrameStacker(stack, skip, 7)
    streamed = np.concatenate([stacker.accept(frames[a:b]) for a, b in random_pieces(40, np.random.default_rng(1), 5)])
    np.testing.assert_array_equal(streamed, model.frame_stack(frames[None]).numpy()[0])


@pytest.fixture(scope="module")
def streaming_model():
    keras.utils.set_random_seed(5)
    model = build_model(ModelConfig(encoder="lstm_lookahead", layers=2, units=16, lookahead=3), 29, 80)
    taps = model.encoder.row_convolution.taps
    taps.assign(np.random.default_rng(0).normal(size=taps.shape).astype(np.float32))  # every tap matters
    return model


def stream_logits(step, initial_state, stacked, pieces, lookahead):
    """Logits of stacked frames (T', F) fed in `pieces`, then the zeros that end a stream."""
    state, logits = initial_state, []
    chunks = [(stacked[a:b], 1.0) for a, b in pieces] + [(np.zeros((lookahead, stacked.shape[1]), np.float32), 0.0)]
    for frames, live in chunks:
        out, state = step(frames[None], np.full((1, len(frames)), live, np.float32), state)
        logits.append(np.asarray(out)[0])
    return np.concatenate(logits)


@pytest.mark.parametrize("backend", ["tf", "onnx"])
def test_a_stream_step_by_step_gives_the_offline_logits(streaming_model, backend):
    model, rng = streaming_model, np.random.default_rng(2)
    features = rng.normal(size=(2, 90, 80)).astype(np.float32)
    offline, _ = model((features, np.array([90, 61])))  # the second utterance is padded
    stacked = model.frame_stack(features).numpy()  # raw stacked frames: CMVN is inside the step
    if backend == "tf":
        import tensorflow as tf
        mean, std = (np.tile(v.numpy(), 3) for v in (model.cmvn.mean, model.cmvn.std))

        def step(frames, mask, state):
            out, state = model.encoder.stream_step(tf.constant((frames - mean) / std), tf.constant(mask), state)
            return model.classifier(out).numpy(), state
    else:
        session = ort.InferenceSession(streaming_model_onnx(model).SerializeToString())

        def step(frames, mask, state):
            logits, *state = session.run(None, {"frames": frames, "mask": mask, "h": state[0], "c": state[1],
                                                "pending": state[2]})
            return logits, state
    for utterance, frames in ((0, 30), (1, 20)):  # 20 stacked frames of 61 feature frames
        pieces = random_pieces(frames, rng, 4)
        logits = stream_logits(step, model.encoder.initial_stream_state(), stacked[utterance, :frames], pieces, 3)
        np.testing.assert_allclose(logits, offline.numpy()[utterance, :frames], atol=2e-5)


@pytest.fixture(scope="module")
def exported_bidirectional_run(tiny_run, tmp_path_factory):
    """A copy of the tiny BiLSTM run, exported to ONNX (which writes no stream step for it)."""
    import shutil

    from asr.models.export import export_model
    run = tmp_path_factory.mktemp("bidirectional") / "run"
    shutil.copytree(tiny_run, run)
    export_model(run / "model")
    return run


@pytest.mark.parametrize("backend", ["onnx", "tf"])
def test_a_bidirectional_model_streams_by_decoding_again(exported_bidirectional_run, tiny_data, backend):
    """Its partials come every REDECODE_SECONDS; a file streamed in one utterance gets the offline transcript,
    whatever the sizes of the pieces it arrives in."""
    model = exported_bidirectional_run / "model"
    recognizer = StreamingRecognizer(model, backend=backend, endpoint_seconds=60)
    assert recognizer.backend == backend and recognizer.step.replaces
    transcriber = Transcriber(model, backend=backend)
    samples = transcriber.load(first_spoken(tiny_data, transcriber)["audio"])
    finals = {}
    for piece in (1600, 2731):
        stream, events = recognizer.new_stream(), []
        for start in range(0, len(samples), piece):
            events += stream.accept(samples[start:start + piece])
        events += stream.finish()
        finals[piece] = [e["text"] for e in events if e["type"] == "final"]
        times = [e["time"] for e in events if e["type"] == "partial"]
        assert times and times == sorted(times)
    assert finals[1600] == finals[2731] == [transcriber.transcribe_samples(samples)] != [""]


def test_unstacking_gives_back_the_frames_that_were_stacked():
    from asr.inference.streaming import unstacked
    frames = np.arange(40 * 2, dtype=np.float32).reshape(40, 2)
    for stack, skip in ((3, 3), (4, 2), (1, 1)):
        stacker = FrameStacker(stack, skip, 2)
        stacked = np.concatenate([stacker.accept(frames[:17]), stacker.accept(frames[17:])])
        restored = unstacked(stacked, stack, skip, 2)
        np.testing.assert_array_equal(restored, frames[:len(restored)])
        assert len(restored) == (len(stacked) - 1) * skip + stack


def first_test_audio(tiny_data):
    return next(iter(load_manifest(tiny_data / "manifests" / "test.jsonl")))["audio"]


@pytest.mark.parametrize("backend", ["onnx", "tf"])
def test_a_streamed_file_gets_the_offline_logits_and_transcript(tiny_streaming_run, spoken_utterance, backend):
    recognizer = StreamingRecognizer(tiny_streaming_run / "model", backend=backend, endpoint_seconds=60)
    assert recognizer.backend == backend
    transcriber = Transcriber(tiny_streaming_run / "model", backend="tf")
    samples = transcriber.load(spoken_utterance["audio"])
    recognizer.step = recording = RecordingStep(recognizer.step)
    stream, events = recognizer.new_stream(), []
    for start in range(0, len(samples), 1600):  # 100 ms at a time
        events += stream.accept(samples[start:start + 1600])
    events += stream.finish()
    (_, features), = transcriber.chunks(samples)
    offline, lengths = transcriber.predict(features[None], np.array([len(features)]))
    np.testing.assert_allclose(np.concatenate(recording.logits), offline[0, :lengths[0]], atol=1e-4)
    finals = [e for e in events if e["type"] == "final"]
    assert " ".join(e["text"] for e in finals) == transcriber.transcribe_samples(samples) != ""


class RecordingStep:
    """A recogniser's network step that keeps what it outputs: the logits its streams decode."""

    def __init__(self, step):
        self.step, self.logits = step, []
        self.frames_per_step, self.replaces = step.frames_per_step, step.replaces

    def initial_state(self):
        return self.step.initial_state()

    def __call__(self, frames, mask, state):
        logits, state = self.step(frames, mask, state)
        self.logits.append(logits)
        return logits, state

    def flush(self, state):
        logits, state = self.step.flush(state)
        if logits is not None:
            self.logits.append(logits)
        return logits, state


class ScriptedStep(LookaheadStep):
    """A network step that outputs the argmax path it is given, one output frame per stacked frame."""

    width = 1

    def __init__(self, path, vocab_size):
        self.path, self.vocab_size, self.fed = path, vocab_size, 0

    def initial_state(self):
        return None, None, np.zeros((1, 0, 1))

    def __call__(self, frames, mask, state):
        n = frames.shape[1] if mask.any() else 0
        ids = self.path[self.fed:self.fed + n]
        self.fed += n
        return np.eye(self.vocab_size, dtype=np.float32)[ids] * 10, state


def scripted_stream(tiny_streaming_run, path):
    """A stream of the tiny model's recogniser whose network step outputs `path` (token ids per output frame)."""
    recognizer = StreamingRecognizer(tiny_streaming_run / "model", endpoint_seconds=0.3)
    recognizer.step = ScriptedStep(path, recognizer.info.tokenizer.vocab_size)
    return recognizer.new_stream(), recognizer


def ids(recognizer, text):
    return recognizer.info.tokenizer.encode(text)


def test_end_points_partials_and_finals(tiny_streaming_run):
    rec = StreamingRecognizer(tiny_streaming_run / "model", endpoint_seconds=0.3)
    hi, there = ids(rec, "hi"), ids(rec, "there")
    # "hi", 20 blanks (0.6 s > 0.3 s: an end-point), "there", 3 blanks, then the stream ends
    path = np.array(hi + [0] * 20 + there + [0] * 3)
    stream, _ = scripted_stream(tiny_streaming_run, path)
    samples = np.zeros(len(path) * 480 + 200, np.float32)  # 30 ms per stacked frame
    events = stream.accept(samples) + stream.finish()
    finals = [e for e in events if e["type"] == "final"]
    assert [e["text"] for e in finals] == ["hi", "there"]
    assert finals[0]["start"] == 0 and finals[1]["start"] > finals[0]["start"]
    partials = [e["text"] for e in events if e["type"] == "partial"]
    assert partials[0] == "hi" and partials[-1] == "there"  # a partial per network step (120 ms)
    assert all(a != b for a, b in zip(partials, partials[1:]))  # a partial only when the text changes


def test_silence_gives_no_final(tiny_streaming_run):
    stream, _ = scripted_stream(tiny_streaming_run, np.zeros(400, int))  # 12 s of blanks: idle resets
    events = stream.accept(np.zeros(400 * 480, np.float32)) + stream.finish()
    assert events == []


def test_transcribe_stream_prints_the_offline_transcript_from_a_file_and_from_raw_pcm(tiny_streaming_run,
                                                                                      spoken_utterance):
    import json
    import subprocess
    import sys

    from tests.conftest import asr
    audio = spoken_utterance["audio"]
    offline = asr("transcribe", "--model", tiny_streaming_run, audio)
    assert offline.returncode == 0, offline.stderr
    streamed = asr("transcribe", "--stream", "--json", "--model", tiny_streaming_run, audio)
    assert streamed.returncode == 0, streamed.stderr
    events = [json.loads(line) for line in streamed.stdout.splitlines()]
    assert {e["type"] for e in events} <= {"partial", "final"}
    assert " ".join(e["text"] for e in events if e["type"] == "final") == offline.stdout.strip() != ""
    samples = Transcriber(tiny_streaming_run / "model").load(audio)
    pcm = (np.clip(samples, -1, 32767 / 32768) * 32768).astype("<i2").tobytes()
    piped = subprocess.run([sys.executable, "-m", "asr.cli", "transcribe", "--stream", "--model",
                            str(tiny_streaming_run), "-"], input=pcm, capture_output=True, timeout=300)
    assert piped.returncode == 0, piped.stderr
    stream = StreamingRecognizer(tiny_streaming_run / "model").new_stream()  # the same 16-bit samples, in-process
    events = stream.accept(np.frombuffer(pcm, "<i2").astype(np.float32) / 32768) + stream.finish()
    assert piped.stdout.decode() == "".join(e["text"] + "\n" for e in events if e["type"] == "final") != ""


@pytest.mark.parametrize("args, message", [
    (["a.wav", "b.wav"], "--stream takes one FILE"),
    (["missing.wav"], "missing.wav: no such file"),
])
def test_transcribe_stream_problems_are_one_line(tiny_streaming_run, args, message):
    from tests.conftest import asr
    result = asr("transcribe", "--stream", "--model", tiny_streaming_run, *args)
    assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_transcribe_stream_with_a_bidirectional_model_prints_the_offline_transcript(exported_bidirectional_run,
                                                                                      tiny_data):
    from tests.conftest import asr
    audio = first_spoken(tiny_data, Transcriber(exported_bidirectional_run / "model"))["audio"]
    offline = asr("transcribe", "--model", exported_bidirectional_run, audio)
    streamed = asr("transcribe", "--stream", "--model", exported_bidirectional_run, audio)
    assert streamed.returncode == offline.returncode == 0, streamed.stderr
    assert streamed.stdout.strip() == offline.stdout.strip() != ""


def test_the_latency_tool_runs_on_a_split(tiny_streaming_run, tiny_run, tiny_data):
    import subprocess
    import sys
    result = subprocess.run([sys.executable, "tools/bench_streaming.py", "--model", str(tiny_streaming_run),
                             "--align-model", str(tiny_run), "--data-dir", str(tiny_data), "--utterances", "2"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("2 utterances of test, backend onnx")
    assert lines[-2].startswith("RTF") and float(lines[-2].split()[1]) > 0
    assert lines[-1].startswith("WER") and 0 <= float(lines[-1].split()[1]) <= 1000


def test_the_streaming_encoder_meets_the_cudnn_conditions_and_starts_as_plain_lstms(streaming_model):
    from asr.models.acoustic import cudnn_eligible
    fresh = build_model(ModelConfig(encoder="lstm_lookahead", layers=3, units=8, lookahead=4), 29, 80)
    assert cudnn_eligible(fresh) and len(fresh.encoder.recurrent_layers()) == 3
    assert all(not layer.go_backwards for layer in fresh.encoder.recurrent_layers())
    taps = fresh.encoder.row_convolution.taps.numpy()  # identity at the start: the look-ahead is learned
    assert taps.shape == (5, 8) and (taps[0] == 1).all() and (taps[1:] == 0).all()


def test_streaming_with_an_export_runs_without_tensorflow(tiny_streaming_run):
    import subprocess
    import sys
    script = ("import sys, numpy as np\n"
              "from asr.inference.streaming import StreamingRecognizer\n"
              f"r = StreamingRecognizer({str(tiny_streaming_run / 'model')!r})\n"
              "s = r.new_stream(); s.accept(np.zeros(16000, np.float32)); s.finish()\n"
              "print(r.backend, sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "onnx []"


def test_an_int8_export_streams_too(tiny_streaming_run, tiny_data, tmp_path):
    import shutil

    from asr.models.export import export_model
    model_dir = shutil.copytree(tiny_streaming_run / "model", tmp_path / "model")
    export_model(model_dir, int8=True)
    samples = Transcriber(model_dir).load(first_test_audio(tiny_data))
    logits = {}
    for backend in ("onnx", "onnx-int8"):
        recognizer = StreamingRecognizer(model_dir, backend=backend)
        assert recognizer.backend == backend
        recognizer.step = logits[backend] = RecordingStep(recognizer.step)
        stream = recognizer.new_stream()
        stream.accept(samples)
        stream.finish()
    fp32, int8 = (np.concatenate(logits[b].logits) for b in ("onnx", "onnx-int8"))
    assert fp32.shape == int8.shape and not np.array_equal(fp32, int8)
    assert np.linalg.norm(int8 - fp32) / np.linalg.norm(fp32) < 0.05
    export_model(model_dir)  # without --int8: the int8 files go
    with pytest.raises(AsrError, match=r"no int8 ONNX export of these weights \(run `asr export --int8 "):
        StreamingRecognizer(model_dir, backend="onnx-int8")


@pytest.mark.parametrize("piece_samples", [160, 1600, 4321, 100000])
def test_finals_do_not_depend_on_how_the_audio_is_cut(tiny_streaming_run, piece_samples):
    rec = StreamingRecognizer(tiny_streaming_run / "model", endpoint_seconds=0.3)
    path = np.array(ids(rec, "hi") + [0] * 11 + ids(rec, "there") + [0] * 13 + ids(rec, "you") + [0] * 3)
    samples = np.zeros(len(path) * 480 + 200, np.float32)

    def finals(size):
        stream, _ = scripted_stream(tiny_streaming_run, path)
        events = [e for start in range(0, len(samples), size) for e in stream.accept(samples[start:start + size])]
        return [e for e in events + stream.finish() if e["type"] == "final"]

    assert finals(piece_samples) == finals(480)
    assert [e["text"] for e in finals(piece_samples)] == ["hi", "there", "you"]
