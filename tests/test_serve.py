"""`asr serve`: POST /transcribe and the WebSocket /stream, their limits and close codes, bad clients.

The streaming endpoint is exercised with a test double of the streaming recogniser (tests/serving.py);
uploads with a tiny random model exported to ONNX, whose transcripts are compared with `asr transcribe`'s.
"""

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from asr.serving.app import create_app, listening_url, serving_in_thread
from asr.serving.limits import ServeLimits
from tests.conftest import asr
from tests.serving import (
    RATE,
    CountingRecognizer,
    pcm_bytes,
    run,
    speechlike,
    stream_session,
    vanishing_client,
    write_wav,
)

LIMITS = ServeLimits(max_streams=2, max_upload_seconds=5.0, max_upload_bytes=400_000, max_stream_seconds=4.0,
                     max_frame_seconds=1.0)


@pytest.fixture
def server(streaming_transcriber, streaming_recognizer):
    """A server of the tiny streaming model, the one `asr serve --model` builds: its address."""
    with serving_in_thread(create_app(streaming_transcriber, streaming_recognizer, LIMITS)) as address:
        yield address


def post(address, body, path="/transcribe"):
    """(status, JSON) of a POST."""
    request = urllib.request.Request(f"http://{address}{path}", data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def get_json(address, path):
    with urllib.request.urlopen(f"http://{address}{path}", timeout=30) as response:
        return json.loads(response.read())


def frames(samples, seconds=0.1):
    step = int(seconds * RATE)
    return [pcm_bytes(samples[i:i + step]) for i in range(0, len(samples), step)]


def test_a_posted_wav_gives_the_transcript_asr_transcribe_gives(server, tiny_streaming_run, tmp_path):
    wav = write_wav(tmp_path / "speech.wav", speechlike(2.5), rate=44100)
    status, result = post(server, wav.read_bytes())
    assert status == 200, result
    command = asr("transcribe", "--model", tiny_streaming_run / "model", "--json", wav)
    assert command.returncode == 0, command.stderr
    expected = json.loads(command.stdout)[0]
    assert (result["text"], result["duration"], result["words"]) == \
        (expected["text"], expected["duration"], expected["words"])


def bad_uploads(tmp_path):
    """(what, body, status, words the error must contain) for each kind of bad upload."""
    nan = speechlike(1.0)
    nan[100] = np.nan
    return [
        ("not audio", b"this is a text file, not a recording\n" * 20, 415, "not a readable audio file"),
        ("empty", b"", 400, "empty"),
        ("too long", write_wav(tmp_path / "long.wav", speechlike(6.0, rate=8000), 8000).read_bytes(), 413,
         "at most 5 s"),
        ("too many bytes", write_wav(tmp_path / "big.wav", speechlike(3.0, 48000), 48000, "FLOAT").read_bytes(),
         413, "MB"),
        ("too short", write_wav(tmp_path / "short.wav", speechlike(0.05)).read_bytes(), 400, "too short"),
        ("NaN samples", write_wav(tmp_path / "nan.wav", nan, subtype="FLOAT").read_bytes(), 400, "NaN"),
        ("truncated header", write_wav(tmp_path / "cut.wav", speechlike(1.0)).read_bytes()[:30], 415, "not a"),
    ]


def test_each_bad_upload_gets_its_4xx_and_one_line_and_the_server_goes_on(server, tmp_path):
    good = write_wav(tmp_path / "good.wav", speechlike(1.0)).read_bytes()
    for what, body, status, words in bad_uploads(tmp_path):
        got, result = post(server, body)
        assert (got, set(result)) == (status, {"error"}), (what, result)
        assert words in result["error"] and "\n" not in result["error"] and "Traceback" not in result["error"], what
        assert result["error"].startswith("upload"), what
        assert post(server, good)[0] == 200, f"the server stopped serving after {what}"
    assert get_json(server, "/status")["uploads"] == 0


def test_a_streams_events_reach_the_client_in_order_then_a_normal_close(streaming_transcriber):
    audio = speechlike(2.55)
    with serving_in_thread(create_app(streaming_transcriber, CountingRecognizer(), LIMITS)) as address:
        events, code, reason = run(stream_session(address, [*frames(audio), json.dumps({"type": "end"})]))
    assert [e["type"] for e in events] == ["partial", "partial", "final"]
    assert [e["time"] for e in events[:2]] == [1.0, 2.0]
    assert events[-1]["text"] == f"{len(audio)} samples"
    assert code == 1000 and reason == "end of stream"


@pytest.mark.parametrize("what, messages, code, words", [
    ("odd byte count", [b"\x00\x01\x02"], 1003, "16-bit samples"),
    ("text that is not the end message", ["hello"], 1003, "not understood"),
    ("JSON that is not the end message", [json.dumps({"type": "stop"})], 1003, "not understood"),
    ("a message of more than max_frame_seconds", [bytes(2 * int(1.5 * RATE))], 1009, "at most 1 s"),
    ("more audio in all than max_stream_seconds", [bytes(2 * RATE)] * 5, 1008, "more than 4 s"),
])
def test_a_malformed_stream_is_closed_with_its_code_and_reason(server, what, messages, code, words):
    events, got, reason = run(stream_session(server, [*messages, json.dumps({"type": "end"})]))
    assert (got, words in (reason or "")) == (code, True), (what, got, reason)
    assert not any(e["type"] == "final" for e in events)
    assert run(stream_session(server, [bytes(3200), json.dumps({"type": "end"})]))[1] == 1000, what


def test_aiohttps_own_message_limit_closes_with_1009_too(server):
    assert run(stream_session(server, [bytes(2 * int(2.5 * RATE))]))[1] == 1009


def wait_for_streams(address, count, seconds=10):
    deadline = time.monotonic() + seconds
    while get_json(address, "/status")["streams"] != count and time.monotonic() < deadline:
        time.sleep(0.05)
    return get_json(address, "/status")["streams"]


async def hold_streams_and_try_one_more(address):
    """With every slot held by an open stream, one more client is refused; (its close code and reason,
    the codes of the held streams once they end)."""
    import aiohttp

    from tests.serving import read_until_closed
    async with aiohttp.ClientSession() as session:
        held = [await session.ws_connect(f"ws://{address}/stream") for _ in range(LIMITS.max_streams)]
        for ws in held:
            await ws.send_bytes(bytes(3200))
        while (await (await session.get(f"http://{address}/status")).json())["streams"] < len(held):
            await asyncio.sleep(0.02)
        extra = await session.ws_connect(f"ws://{address}/stream")
        _, code, reason = await read_until_closed(extra)
        for ws in held:
            await ws.send_str(json.dumps({"type": "end"}))
        return code, reason, [(await read_until_closed(ws))[1] for ws in held]


def test_a_client_past_max_streams_is_refused_with_1013(server):
    code, reason, held = run(hold_streams_and_try_one_more(server))
    assert code == 1013 and "try again later" in reason
    assert held == [1000] * LIMITS.max_streams
    assert wait_for_streams(server, 0) == 0
    assert run(stream_session(server, [bytes(3200), json.dumps({"type": "end"})]))[1] == 1000


def test_a_client_that_vanishes_frees_its_slot(server):
    for _ in range(LIMITS.max_streams + 1):  # more vanished clients than slots: each must have given its slot back
        vanishing_client(server, pcm_bytes(speechlike(0.5)))
        assert wait_for_streams(server, 0) == 0
    assert get_json(server, "/status")["peak_streams"] == 1
    assert run(stream_session(server, [bytes(3200), json.dumps({"type": "end"})]))[1] == 1000


def test_a_client_that_vanishes_while_the_model_works_frees_its_slot(streaming_transcriber):
    app = create_app(streaming_transcriber, CountingRecognizer(delay=1.0), LIMITS)
    with serving_in_thread(app) as address:
        vanishing_client(address, pcm_bytes(speechlike(0.5)))
        assert wait_for_streams(address, 1) == 1  # the model is still working on its audio
        assert wait_for_streams(address, 0) == 0


def test_a_failing_recogniser_closes_that_stream_with_1011_and_uploads_go_on(streaming_transcriber, tmp_path):
    app = create_app(streaming_transcriber, CountingRecognizer(fail=True), LIMITS)
    with serving_in_thread(app) as address:
        _, code, reason = run(stream_session(address, [bytes(3200)]))
        assert code == 1011 and "failed" in reason
        assert post(address, write_wav(tmp_path / "a.wav", speechlike(1.0)).read_bytes())[0] == 200
        assert get_json(address, "/status")["streams"] == 0


def test_a_model_that_cannot_stream_says_so_and_still_transcribes_uploads(streaming_transcriber, tmp_path):
    app = create_app(streaming_transcriber, None, LIMITS, "a bidirectional encoder needs the whole utterance")
    with serving_in_thread(app) as address:
        _, code, reason = run(stream_session(address, [bytes(3200)]))
        assert code == 1011 and "cannot stream" in reason and "bidirectional" in reason
        assert get_json(address, "/status")["streaming"] is False
        assert post(address, write_wav(tmp_path / "a.wav", speechlike(1.0)).read_bytes())[0] == 200


def test_the_page_and_its_scripts_are_served(server):
    with urllib.request.urlopen(f"http://{server}/", timeout=30) as response:
        page = response.read().decode()
    assert "/static/app.js" in page and "http" not in page.replace("http-equiv", "")  # no CDN
    for script in ("app.js", "pcm-worklet.js"):
        with urllib.request.urlopen(f"http://{server}/static/{script}", timeout=30) as response:
            assert response.status == 200 and b"16" in response.read()


def test_serve_with_a_missing_model_is_one_line(tmp_path):
    result = asr("serve", "--model", tmp_path / "nothing", "--port", "0")
    assert result.returncode == 1 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_the_load_test_holds_every_stream_it_may_and_prints_its_figures(tiny_streaming_run, utterance):
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}  # this checkout's asr, whichever the environment installed
    command = [sys.executable, root / "tools" / "load_test_serve.py", "--model", tiny_streaming_run / "model",
               "--wav", utterance[0], "--clients", "3", "--max-streams", "2", "--speed", "4", "--max-seconds", "120"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "concurrent streams held: 2 at once by the clients, server peak 2; completed 2, refused (1013) 1, " \
           "other 0" in out, out
    assert re.search(r"first partial after start of audio: p50 [\d.]+ s, .*\(n=2\)", out), out
    assert re.search(r"end of audio -> final \(or close\): +p50 [\d.]+ s, .*\(n=2\)", out), out
    received = 2 * (len(utterance[1]) // 2) / RATE  # the two completed streams' audio (s16le: 2 bytes a sample)
    assert re.search(rf"RTF: [\d.]+ \(server: [\d.]+ model seconds for {received:.1f} s of audio\)", out), out


END_MESSAGE = json.dumps({"type": "end"})


@pytest.fixture(scope="module")
def utterance(spoken_utterance):
    """(path, 16 kHz s16le PCM) of an utterance of the tiny corpus the tiny streaming model speaks for."""
    from asr.data.audio import load_audio
    return spoken_utterance["audio"], pcm_bytes(load_audio(spoken_utterance["audio"], RATE))


def as_terminal_job():
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a suite run in the background ignores Ctrl-C; a server must not


@contextlib.contextmanager
def asr_serve(model_dir, *options):
    """`asr serve --model MODEL_DIR --port 0 OPTIONS` in its own process; yields its address once it listens,
    then stops it with Ctrl-C (SIGINT) and checks that it said so and exited with 0."""
    process = subprocess.Popen([sys.executable, "-m", "asr.cli", "serve", "--model", str(model_dir), "--port", "0",
                                *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=as_terminal_job)
    try:
        url = listening_url(process.stdout)
        if url is None:
            pytest.fail(f"asr serve did not start: {process.stderr.read()}")
        yield url.removeprefix("http://")
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0 and "asr serve: stopped" in stderr and "Traceback" not in stderr, stderr


def streamed_finals(recognizer, messages):
    """The finals the recogniser gives for these s16le messages, each given to it as one piece, as the
    server does (where an end-point is seen depends on the pieces: other pieces may cut elsewhere)."""
    stream = recognizer.new_stream()
    events = [e for pcm in messages for e in stream.accept(np.frombuffer(pcm, "<i2").astype(np.float32) / 32768)]
    return [e for e in events + stream.finish() if e["type"] == "final"]


def test_asr_serve_with_a_real_streaming_model(tiny_streaming_run, utterance):
    """The command itself, with the tiny trained streaming model: the stream's finals are those of the
    recogniser given the whole audio at once, an upload's transcript is `asr transcribe`'s."""
    from asr.inference.streaming import StreamingRecognizer
    model, (wav, pcm) = tiny_streaming_run / "model", utterance
    messages = [pcm[i:i + 3200] for i in range(0, len(pcm), 3200)]
    with asr_serve(model, "--max-streams", "2") as address:
        events, code, reason = run(stream_session(address, [*messages, END_MESSAGE]))
        status, result = post(address, Path(wav).read_bytes())
        assert get_json(address, "/status")["streaming"] is True
    assert (code, reason) == (1000, "end of stream")
    finals = [e for e in events if e["type"] == "final"]
    assert finals == streamed_finals(StreamingRecognizer(model), messages) != []
    offline = asr("transcribe", "--model", model, "--json", wav)
    assert status == 200 and result["text"] == json.loads(offline.stdout)[0]["text"] != ""
