"""Helpers of the `asr serve` tests: a tiny exported model, test audio, a test double of the streaming
recogniser, a spy that keeps what a recogniser heard, and WebSocket clients (a polite one and one that
vanishes)."""

import asyncio
import base64
import json
import os
import socket
import struct
import time
import types

import numpy as np
import soundfile as sf

RATE = 16000


def speechlike(seconds, rate=RATE, seed=0):
    """Noise whose level rises and falls like syllables, float32 mono."""
    t = np.arange(int(seconds * rate)) / rate
    noise = np.random.default_rng(seed).normal(size=len(t))
    return (0.1 * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)) * noise).astype(np.float32)


def write_wav(path, samples, rate=RATE, subtype="PCM_16"):
    sf.write(path, samples, rate, subtype=subtype)
    return path


def pcm_bytes(samples):
    return (np.clip(samples, -1, 32767 / 32768) * 32768).astype("<i2").tobytes()


class CountingRecognizer:
    """A test double with StreamingRecognizer's interface: a partial at every whole second of audio, and
    a final that counts the samples. `fail`: accept raises; `delay`: accept takes this many seconds."""

    def __init__(self, fail=False, delay=0.0):
        self.fail, self.delay = fail, delay
        self.info = types.SimpleNamespace(features=types.SimpleNamespace(sample_rate=RATE))  # what the server reads

    def new_stream(self):
        return CountingStream(self.fail, self.delay)


class CountingStream:
    def __init__(self, fail, delay):
        self.fail, self.delay, self.samples, self.seconds = fail, delay, 0, 0

    def accept(self, samples):
        assert samples.dtype == np.float32 and samples.ndim == 1 and np.abs(samples).max(initial=0) <= 1
        if self.fail:
            raise RuntimeError("the test double fails on purpose")
        time.sleep(self.delay)
        self.samples += len(samples)
        events = []
        while self.samples >= (self.seconds + 1) * RATE:
            self.seconds += 1
            events.append({"type": "partial", "text": f"{self.seconds} s", "time": float(self.seconds)})
        return events

    def finish(self):
        return [{"type": "final", "text": f"{self.samples} samples", "start": 0.0, "end": self.samples / RATE,
                 "words": []}]


class Spy:
    """Wraps a recogniser; `heard` collects, per stream, the list of sample arrays it was given (at finish)."""

    def __init__(self, recognizer):
        self.recognizer, self.heard, self.info = recognizer, [], recognizer.info

    def new_stream(self):
        return SpyStream(self.recognizer.new_stream(), self.heard)


class SpyStream:
    def __init__(self, stream, heard):
        self.stream, self.heard, self.chunks = stream, heard, []

    def accept(self, samples):
        self.chunks.append(samples.copy())
        return self.stream.accept(samples)

    def finish(self):
        self.heard.append(self.chunks)
        return self.stream.finish()


async def stream_session(address, messages, timeout=60, path="/stream"):
    """Send `messages` (bytes: audio, str: text) on ws://address/stream, then read until the server
    closes; (events, close code, close reason)."""
    import aiohttp
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"ws://{address}{path}") as ws:
            for message in messages:
                try:
                    await (ws.send_bytes(message) if isinstance(message, bytes) else ws.send_str(message))
                except ConnectionError:  # the server closed already (a refusal): its close message tells why
                    break
            return await read_until_closed(ws, timeout)


async def read_until_closed(ws, timeout=60):
    """(events, close code, close reason) of a client WebSocket, reading until the server closes it."""
    import aiohttp
    events, reason, deadline = [], None, time.monotonic() + timeout
    while True:
        reply = await asyncio.wait_for(ws.receive(), deadline - time.monotonic())
        if reply.type == aiohttp.WSMsgType.TEXT:
            events.append(json.loads(reply.data))
        elif reply.type == aiohttp.WSMsgType.CLOSE:
            reason = reply.extra
        else:
            return events, ws.close_code, reason


def run(coroutine):
    return asyncio.run(coroutine)


def vanishing_client(address, audio=b""):
    """Open ws://address/stream by hand, send `audio` as one binary message, then drop the TCP connection
    without a WebSocket close, as a browser tab that crashed or a laptop that lost its network."""
    host, port = address.rsplit(":", 1)
    connection = socket.create_connection((host, int(port)), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    connection.sendall(f"GET /stream HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
    response = b""
    while b"\r\n\r\n" not in response:
        response += connection.recv(4096)
    assert response.startswith(b"HTTP/1.1 101"), response
    if audio:
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(audio))
        header = struct.pack("!BBQ", 0x82, 0x80 | 127, len(audio))  # FIN + binary, masked, 64-bit length
        connection.sendall(header + mask + masked)
    connection.close()
