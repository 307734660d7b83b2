"""Abusive clients of `asr serve` for tests/test_serve_abuse.py, each a function of the server's address
that returns what it saw (an HTTP status, a WebSocket close code, or "closed" when the server hung up
without an answer), listed with what the server documents for it (docs/serving.md). Loopback only, every
read bounded by a timeout."""

import asyncio
import json
import socket
import tempfile
import threading
import time
from pathlib import Path

import asr
from tests.serving import RATE, pcm_bytes, run, speechlike, stream_session, vanishing_client

END = json.dumps({"type": "end"})
READ_SECONDS = 15  # no answer in this long is a failure of the test, not a wait
SERVER_PATHS = (str(Path(asr.__file__).parent), tempfile.gettempdir())  # never in an error body


def connect(address):
    host, port = address.rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=READ_SECONDS)


def read_all(connection):
    """Everything the server sends until it closes (or READ_SECONDS pass: then what came, and "<timeout>")."""
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    except socket.timeout:
        received += b"<timeout>"
    except ConnectionResetError:
        pass
    connection.close()
    return received


def status_of(response):
    """The status of a raw HTTP response, "closed" for none. AssertionError if its body shows the server's
    insides (a traceback, a path of the server's files or temporary files)."""
    if not response:
        return "closed"
    assert b"Traceback" not in response and not any(p.encode() in response for p in SERVER_PATHS), response[:300]
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/") else response[:40]


def raw(data, pause_then=None):
    """A client that sends `data` (then, after a pause, `pause_then`) and reads the answer; its status."""
    def client(address):
        connection = connect(address)
        connection.sendall(data)
        if pause_then is not None:
            time.sleep(0.2)
            connection.sendall(pause_then)
        return status_of(read_all(connection))
    return client


def request(method, path, headers=(), body=b""):
    head = "".join(f"{h}\r\n" for h in ("Host: abuse", "Connection: close", *headers))
    return f"{method} {path} HTTP/1.1\r\n{head}\r\n".encode() + body


def chunked(total, block=64 * 1024):
    """A chunked body of `total` zero bytes."""
    chunks = [bytes(min(block, total - i)) for i in range(0, total, block)]
    return b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"


def form(fields, boundary="abuse"):
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="x"\r\n\r\n'.encode() + value
             + b"\r\n" for name, value in fields.items()]
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


def form_request(body, path="/transcribe"):
    return request("POST", path, ["Content-Type: multipart/form-data; boundary=abuse",
                                  f"Content-Length: {len(body)}"], body)


def slowloris(address):
    """Request headers one byte at a time, never finished: the server hangs up (idle_seconds)."""
    connection = connect(address)
    connection.settimeout(0.3)
    for byte in request("GET", "/status", ["X-Slow: " + "z" * 200]):
        try:
            connection.sendall(bytes([byte]))
            if connection.recv(1) == b"":
                return "closed"
        except socket.timeout:
            continue
        except (BrokenPipeError, ConnectionResetError):
            return "closed"
    return "still open after all the header bytes"


def stalled_body(address):
    """A body that stops arriving half-way: 408 after idle_seconds."""
    connection = connect(address)
    connection.sendall(request("POST", "/transcribe", ["Content-Length: 10000"], bytes(100)))
    return status_of(read_all(connection))


def cut_off_form(address):
    """Half a multipart upload, then the connection dropped: no answer, and the upload slot comes back."""
    body = form({"file": bytes(20000)})
    connection = connect(address)
    connection.sendall(form_request(body)[:len(body) // 2])
    connection.close()
    return "closed"


def websocket(messages):
    def client(address):
        return run(stream_session(address, messages, READ_SECONDS))[1]
    return client


def tiny_frame_flood(address):
    """2000 messages of one sample each, then the end: all of them heard, then a normal close."""
    events, code, _ = run(stream_session(address, [bytes(2)] * 2000 + [END], READ_SECONDS))
    return code if events and events[-1].get("text") == "2000 samples" else f"final {events[-1:]}"


async def leave_mid_utterance(address):
    import aiohttp
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"ws://{address}/stream") as ws:
            for _ in range(3):
                await ws.send_bytes(pcm_bytes(speechlike(0.1)))
            await ws.close()  # a polite close, but no end message: the stream is dropped
    return "closed"


def vanish(address):
    vanishing_client(address, pcm_bytes(speechlike(0.3)))
    return "closed"


TRAVERSALS = ["/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2f..%2fapp.py", "/static//etc/passwd",
              "/static/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/../../etc/passwd"]


def cases(limits):
    """(what, client, the status or close code it must get) for every abuse but exhausting the limits."""
    too_big = limits.max_upload_bytes + 1
    return [
        ("not HTTP", raw(b"GARBAGE\r\n\r\n"), 400),
        ("a header line of 20 kB", raw(request("GET", "/status", ["X-Big: " + "a" * 20000])), 400),
        ("a request line of 20 kB", raw(request("GET", "/" + "a" * 20000)), 400),
        ("500 headers", raw(request("GET", "/status", [f"X-{i}: 1" for i in range(500)])), 400),
        ("a header without a colon", raw(request("GET", "/status", ["no colon here"])), 400),
        ("a Content-Length that is not a number", raw(request("POST", "/transcribe", ["Content-Length: many"])), 400),
        ("PUT /transcribe", raw(request("PUT", "/transcribe", ["Content-Length: 0"])), 405),
        ("GET /transcribe", raw(request("GET", "/transcribe")), 405),
        ("POST /status", raw(request("POST", "/status", ["Content-Length: 0"])), 405),
        ("text as the audio", raw(request("POST", "/transcribe", ["Content-Type: text/plain", "Content-Length: 600"],
                                          b"not audio\n" * 60)), 415),
        ("JSON to the OpenAI endpoint", raw(request("POST", "/v1/audio/transcriptions",
                                                    ["Content-Type: application/json", "Content-Length: 2"], b"{}")),
         415),
        ("a Content-Length over the limit", raw(request("POST", "/transcribe", [f"Content-Length: {too_big}"])), 413),
        ("a chunked body over the limit", raw(request("POST", "/transcribe", ["Transfer-Encoding: chunked"],
                                                      chunked(too_big))), 413),
        ("a body that stops arriving", stalled_body, 408),
        ("a form without its closing boundary", raw(form_request(form({"file": bytes(2000)})[:-9])), 400),
        ("a form with a broken part header", raw(form_request(b"--abuse\r\nno header end" + bytes(50))), 400),
        ("a form cut off mid-upload", cut_off_form, "closed"),
        *[(f"path traversal {path}", raw(request("GET", path)), 404) for path in TRAVERSALS],
        ("slowloris", slowloris, "closed"),
        ("a text message where audio is expected", websocket(["hello", END]), 1003),
        ("an odd number of PCM bytes", websocket([bytes(3), END]), 1003),
        ("a message over max_frame_seconds", websocket([bytes(int(1.5 * limits.max_frame_bytes)), END]), 1009),
        ("a message over aiohttp's own limit", websocket([bytes(3 * limits.max_frame_bytes)]), 1009),
        ("a flood of tiny messages", tiny_frame_flood, 1000),
        ("a client that leaves mid-utterance", lambda address: run(leave_mid_utterance(address)), "closed"),
        ("a client that vanishes mid-utterance", vanish, "closed"),
        ("a stream that sends nothing", websocket([]), 1008),
        ("a stream that stops sending mid-utterance", websocket([bytes(3200)] * 3), 1008),
    ]


class GoodClient:
    """Streams an utterance and posts a file, again and again, in a thread, until stopped (at most
    `most` rounds); `outcomes`: (close code, upload status) of each round."""

    def __init__(self, address, wav_bytes, most=500):
        self.address, self.wav, self.most, self.outcomes = address, wav_bytes, most, []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.loop, name="good-client", daemon=True)

    def loop(self):
        import urllib.request
        audio = pcm_bytes(speechlike(0.5))
        frames = [audio[i:i + 3200] for i in range(0, len(audio), 3200)]
        while not self.stopping.is_set() and len(self.outcomes) < self.most:
            try:
                _, code, _ = run(stream_session(self.address, [*frames, END], READ_SECONDS))
                post = urllib.request.Request(f"http://{self.address}/transcribe", data=self.wav, method="POST")
                with urllib.request.urlopen(post, timeout=READ_SECONDS) as response:
                    self.outcomes.append((code, response.status))
            except Exception as e:  # noqa: BLE001 - refused, reset, timed out: an outcome the test reports
                self.outcomes.append((type(e).__name__, str(e)[:100]))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join(READ_SECONDS * 2)


async def hold_streams(address, count):
    """Open `count` streams at once, each sending audio and waiting; their close codes once one more than
    the server's limit has been refused (the held ones then end normally)."""
    import aiohttp

    from tests.serving import read_until_closed
    async with aiohttp.ClientSession() as session:
        opened = [await session.ws_connect(f"ws://{address}/stream") for _ in range(count)]
        for ws in opened:
            await ws.send_bytes(bytes(2 * RATE // 10))
        await asyncio.sleep(0.5)
        for ws in opened:
            if not ws.closed:
                await ws.send_str(END)
        return sorted([(await read_until_closed(ws, READ_SECONDS))[1] for ws in opened])


def hold_connections(address, count):
    """Open `count` connections and read what each gets in a second; (answers 503, still open)."""
    connections = [connect(address) for _ in range(count)]
    answers = []
    for connection in connections:
        connection.settimeout(1.0)
        try:
            answers.append(status_of(connection.recv(4096)))
        except socket.timeout:
            answers.append("open")
    for connection in connections:
        connection.close()
    return answers.count(503), answers.count("open")
