"""`asr serve` as other programs call it: multipart uploads (curl -F), OpenAI's audio transcription API
through the `openai` client library itself, and the access rules (token, Origin, listening beyond loopback).
"""

import json
import urllib.error
import urllib.request

import openai  # the dev extra: the client library programs call the OpenAI-style endpoint with
import pytest

from asr.serving.access import Access
from asr.serving.app import create_app, serving_in_thread
from asr.serving.limits import ServeLimits
from tests.conftest import asr
from tests.serving import CountingRecognizer, run, stream_session

LIMITS = ServeLimits(max_streams=2, max_upload_seconds=5.0, max_upload_bytes=400_000, max_field_bytes=64)
END = json.dumps({"type": "end"})
TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def server(streaming_transcriber):
    with serving_in_thread(create_app(streaming_transcriber, CountingRecognizer(), LIMITS)) as address:
        yield address


@pytest.fixture(scope="module")
def guarded(streaming_transcriber):
    """A server with a token that also lets pages of https://app.example use it."""
    access = Access(TOKEN, ("https://app.example",))
    with serving_in_thread(create_app(streaming_transcriber, CountingRecognizer(), LIMITS, access=access)) as address:
        yield address


@pytest.fixture(scope="module")
def wav(spoken_utterance):
    """An utterance the tiny model says words for (so word times are compared, not two empty lists)."""
    from pathlib import Path
    return Path(spoken_utterance["audio"])


def request(address, path, body=None, headers=None, method=None):
    """(status, content type, body text) of one request."""
    req = urllib.request.Request(f"http://{address}{path}", data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, response.headers.get_content_type(), response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get_content_type(), e.read().decode()


def form(fields, boundary="asr-test-boundary"):
    """A multipart/form-data body of {name: str or (filename, bytes)}, and its Content-Type."""
    parts = []
    for name, value in fields.items():
        if isinstance(value, tuple):
            head = f'Content-Disposition: form-data; name="{name}"; filename="{value[0]}"\r\n' \
                   "Content-Type: application/octet-stream\r\n\r\n"
            parts.append(f"--{boundary}\r\n{head}".encode() + value[1] + b"\r\n")
        else:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def post_form(address, path, fields, headers=None):
    body, content_type = form(fields)
    return request(address, path, body, {"Content-Type": content_type, **(headers or {})})


def test_a_form_upload_gives_what_a_raw_body_gives(server, wav):
    raw = request(server, "/transcribe", wav.read_bytes())
    multipart = post_form(server, "/transcribe", {"note": "hello", "file": ("speech.wav", wav.read_bytes())})
    assert raw[0] == multipart[0] == 200
    assert json.loads(raw[2]) == json.loads(multipart[2])


@pytest.mark.parametrize("what, fields, status, words", [
    ("no file field", {"model": "x"}, 400, "no field 'file'"),
    ("an empty file", {"file": ("a.wav", b"")}, 400, "empty"),
    ("not audio", {"file": ("a.txt", b"hello\n" * 50)}, 415, "not a readable audio file"),
    ("a field past max_field_bytes", {"note": "x" * 100, "file": ("a.wav", b"RIFF")}, 400, "longer than 64"),
])
def test_a_bad_form_gets_its_status_and_one_line(server, what, fields, status, words):
    got, content_type, body = post_form(server, "/transcribe", fields)
    error = json.loads(body)["error"]
    assert (got, content_type, words in error, "\n" in error) == (status, "application/json", True, False), \
        (what, body)


def test_a_form_with_two_files_is_400(server, wav):
    body, content_type = form({"file": ("a.wav", wav.read_bytes())})
    second, _ = form({"file": ("b.wav", wav.read_bytes())})
    twice = body.replace(b"--asr-test-boundary--\r\n", b"") + second
    got, _, text = request(server, "/transcribe", twice, {"Content-Type": content_type})
    assert got == 400 and "more than one field 'file'" in json.loads(text)["error"], text


def test_a_form_missing_its_closing_boundary_is_400(server, wav):
    body, content_type = form({"file": ("a.wav", wav.read_bytes())})
    got, _, text = request(server, "/transcribe", body[:-30], {"Content-Type": content_type})
    assert got == 400 and "multipart" in json.loads(text)["error"], text


def openai_client(address, **options):
    return openai.OpenAI(base_url=f"http://{address}/v1", api_key=options.pop("api_key", "unused"), max_retries=0,
                         timeout=60, **options)


def test_the_openai_client_gets_each_response_format(server, wav):
    expected = json.loads(request(server, "/transcribe", wav.read_bytes())[2])
    client = openai_client(server)
    with open(wav, "rb") as audio:
        plain = client.audio.transcriptions.create(model="whisper-1", file=audio)
    assert plain.text == expected["text"]
    with open(wav, "rb") as audio:
        text = client.audio.transcriptions.create(model="whisper-1", file=audio, response_format="text")
    assert text.strip() == expected["text"]
    with open(wav, "rb") as audio:
        verbose = client.audio.transcriptions.create(model="whisper-1", file=audio, response_format="verbose_json",
                                                     timestamp_granularities=["word"])
    assert (verbose.text, verbose.duration, verbose.language) == (expected["text"], expected["duration"], "english")
    assert [(w.word, w.start, w.end) for w in verbose.words] == \
        [(w["word"], w["start"], w["end"]) for w in expected["words"]] != []


def test_the_openai_client_reads_the_servers_errors(server, tmp_path):
    import openai
    client = openai_client(server)
    with pytest.raises(openai.BadRequestError, match="response_format 'srt' is not offered") as raised:
        client.audio.transcriptions.create(model="whisper-1", file=("a.wav", b"RIFF"), response_format="srt")
    assert raised.value.body["param"] == "response_format" and raised.value.body["type"] == "invalid_request_error"
    with pytest.raises(openai.UnsupportedMediaTypeError if hasattr(openai, "UnsupportedMediaTypeError")
                       else openai.APIStatusError, match="not a readable audio file") as raised:
        client.audio.transcriptions.create(model="whisper-1", file=("a.wav", b"not audio at all" * 10))
    assert raised.value.status_code == 415


def test_openai_errors_have_openais_shape(server):
    got, _, body = request(server, "/v1/audio/transcriptions", b"{}", {"Content-Type": "application/json"})
    error = json.loads(body)["error"]
    assert got == 415 and set(error) == {"message", "type", "param", "code"} and "multipart" in error["message"]
    got, _, body = request(server, "/v1/audio/transcriptions", method="GET")
    assert got == 405 and json.loads(body)["error"]["type"] == "invalid_request_error"
    got, _, body = post_form(server, "/v1/audio/transcriptions", {"file": ("a.wav", b"RIFF")})
    assert got == 400 and json.loads(body)["error"]["param"] == "model"


def test_listening_beyond_loopback_without_a_token_is_refused_with_one_line(tmp_path):
    result = asr("serve", "--model", tmp_path / "nothing", "--host", "0.0.0.0", "--port", "0")
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert "--host 0.0.0.0 lets other machines connect: give --token" in result.stderr
    empty = tmp_path / "token"
    empty.write_text("\n")
    result = asr("serve", "--model", tmp_path / "nothing", "--host", "0.0.0.0", "--token-file", empty)
    assert result.returncode == 1 and "the token file is empty" in result.stderr and result.stderr.count("\n") == 1


def test_a_token_is_required_on_every_request(guarded, wav):
    for path, body in [("/", None), ("/status", None), ("/static/app.js", None), ("/transcribe", wav.read_bytes())]:
        got, _, text = request(guarded, path, body)
        assert got == 401 and "token" in json.loads(text)["error"], path
        assert request(guarded, path, body, {"Authorization": "Bearer wrong"})[0] == 401, path
        assert request(guarded, path, body, {"Authorization": f"Bearer {TOKEN}"})[0] == 200, path
    assert request(guarded, f"/status?token={TOKEN}")[0] == 200
    assert openai_client(guarded, api_key=TOKEN).audio.transcriptions.create(model="m", file=wav.open("rb")).text \
        == json.loads(request(guarded, f"/transcribe?token={TOKEN}", wav.read_bytes())[2])["text"]


def test_the_page_opened_with_a_token_passes_it_to_its_script(guarded):
    _, _, page = request(guarded, f"/?token={TOKEN}")
    assert f'src="/static/app.js?token={TOKEN}"' in page


def test_a_websocket_needs_the_token(guarded):
    import aiohttp
    with pytest.raises(aiohttp.WSServerHandshakeError, match="401"):
        run(stream_session(guarded, [bytes(3200), END]))
    assert run(stream_session(guarded, [bytes(3200), END], path=f"/stream?token={TOKEN}"))[1] == 1000


async def open_stream(address, origin, path="/stream"):
    """The close code of a stream opened with this Origin header, or the handshake's HTTP status."""
    import aiohttp

    from tests.serving import read_until_closed
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(f"ws://{address}{path}", origin=origin) as ws:
                await ws.send_bytes(bytes(3200))
                await ws.send_str(END)
                return (await read_until_closed(ws))[1]
        except aiohttp.WSServerHandshakeError as e:
            return e.status


def test_a_cross_origin_websocket_or_upload_is_refused(server, guarded, wav):
    host = server
    assert run(open_stream(server, "https://evil.example")) == 403
    assert run(open_stream(server, "null")) == 403
    assert run(open_stream(server, f"http://{host}")) == 1000  # the server's own page
    assert run(open_stream(server, None)) == 1000  # a program, not a browser
    got, _, body = request(server, "/transcribe", wav.read_bytes(), {"Origin": "https://evil.example"})
    assert got == 403 and "another site" in json.loads(body)["error"]
    assert request(server, "/transcribe", wav.read_bytes(), {"Origin": f"http://{host}"})[0] == 200
    allowed = run(open_stream(guarded, "https://app.example", f"/stream?token={TOKEN}"))
    assert (allowed, run(open_stream(guarded, "https://evil.example", f"/stream?token={TOKEN}"))) == (1000, 403)


def test_an_allowed_origins_page_gets_cors_headers_and_its_preflight_answered(guarded, wav):
    preflight = urllib.request.Request(f"http://{guarded}/transcribe", method="OPTIONS", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization"})
    with urllib.request.urlopen(preflight, timeout=60) as response:  # no token: browsers send none here
        assert response.status == 204 and response.headers["Access-Control-Allow-Origin"] == "https://app.example"
        assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    headers = {"Origin": "https://app.example", "Authorization": f"Bearer {TOKEN}"}
    req = urllib.request.Request(f"http://{guarded}/transcribe", data=wav.read_bytes(), headers=headers)
    with urllib.request.urlopen(req, timeout=60) as response:
        assert response.status == 200 and response.headers["Access-Control-Allow-Origin"] == "https://app.example"
    evil = urllib.request.Request(f"http://{guarded}/transcribe", method="OPTIONS",
                                  headers={"Origin": "https://evil.example"})
    with pytest.raises(urllib.error.HTTPError, match="401") as refused:
        urllib.request.urlopen(evil, timeout=60)
    assert "Access-Control-Allow-Origin" not in refused.value.headers


def test_allow_origin_must_be_an_origin(tmp_path):
    result = asr("serve", "--model", tmp_path / "nothing", "--allow-origin", "https://app.example/page")
    assert result.returncode == 1 and "not an origin" in result.stderr and result.stderr.count("\n") == 1


def test_an_upload_on_a_full_disk_is_507_and_the_next_one_goes_through(server, wav, monkeypatch):
    import errno
    import os

    import asr.serving.upload

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/tmp/asr-upload-x")
    monkeypatch.setattr(asr.serving.upload.tempfile, "NamedTemporaryFile", full)
    got, _, body = request(server, "/transcribe", wav.read_bytes())
    assert got == 507 and json.loads(body) == {"error": "upload: the server has no room to hold it; try again later"}
    monkeypatch.undo()
    assert request(server, "/transcribe", wav.read_bytes())[0] == 200


def test_asr_serve_with_a_token_file_requires_it(tiny_streaming_run, tmp_path):
    from tests.test_serve import asr_serve
    token_file = tmp_path / "token"
    token_file.write_text(f"{TOKEN}\n")
    with asr_serve(tiny_streaming_run / "model", "--token-file", token_file) as address:
        refused = request(address, "/status")
        allowed = request(address, "/status", headers={"Authorization": f"Bearer {TOKEN}"})
    assert (refused[0], allowed[0]) == (401, 200)
