"""GET /stream: live recognition over a WebSocket.

The client sends binary messages of 16-bit little-endian mono PCM at 16 kHz, then the text message
{"type": "end"}; the server answers with JSON text messages, the events of the streaming recogniser
({"type": "partial", ...} and {"type": "final", ...}), and closes with 1000 after the last final. A client
that closes (or vanishes) first has its stream dropped. Close codes (asr.serving.limits): 1003 a text
message that is not the end message or an odd number of bytes, 1009 a message of more than
max_frame_seconds, 1008 more than max_stream_seconds in all or no message for idle_seconds, 1013 every
stream slot taken, 1011 the recogniser failed or the model cannot stream. Each has a reason a person can read.
"""

import asyncio
import json
import logging

import numpy as np
from aiohttp import WSMsgType, web

from asr.data.audio import Resampler
from asr.inference.stream_sources import PCM_SCALE
from asr.serving.limits import (
    CLOSE_BUSY,
    CLOSE_DONE,
    CLOSE_INTERNAL,
    CLOSE_TOO_BIG,
    CLOSE_TOO_LONG,
    CLOSE_UNSUPPORTED,
    PCM_BYTES,
    PCM_RATE,
)
from asr.serving.state import STATE

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 20  # a client that answers no ping for this long is gone: its stream is dropped
END = {"type": "end"}


class Refusal(Exception):
    """Close the stream with this code and reason."""

    def __init__(self, code, reason):
        super().__init__(reason)
        self.code = code


def pcm_samples(data, received, limits):
    """A binary message -> float32 samples in [-1, 1); Refusal when it breaks the protocol or a limit.
    `received`: samples of the stream before this message."""
    if len(data) % PCM_BYTES:
        raise Refusal(CLOSE_UNSUPPORTED, f"{len(data)} bytes is not a whole number of 16-bit samples")
    if len(data) > limits.max_frame_bytes:
        raise Refusal(CLOSE_TOO_BIG, f"a message of {len(data) // PCM_BYTES / PCM_RATE:.1f} s of audio; send at "
                                     f"most {limits.max_frame_seconds:g} s per message")
    if (received + len(data) // PCM_BYTES) / PCM_RATE > limits.max_stream_seconds:
        raise Refusal(CLOSE_TOO_LONG, f"more than {limits.max_stream_seconds:g} s of audio in one stream; "
                                      "end it and start another")
    return np.frombuffer(data, "<i2").astype(np.float32) / PCM_SCALE


def check_end(text):
    """Refusal unless `text` is the end message."""
    try:
        is_end = json.loads(text) == END
    except ValueError:
        is_end = False
    if not is_end:
        raise Refusal(CLOSE_UNSUPPORTED, f"text messages other than {json.dumps(END)} are not understood; send "
                                         "audio as binary messages")


async def next_message(ws, idle_seconds):
    """The client's next message; Refusal when it sends none for idle_seconds: a silent client would hold
    one of the stream slots for as long as it liked (its pings are answered by its WebSocket library)."""
    try:
        return await ws.receive(timeout=idle_seconds)
    except asyncio.TimeoutError:
        raise Refusal(CLOSE_TOO_LONG, f"no message for {idle_seconds:g} s; send audio continuously, or the end "
                                      "message") from None


async def send_events(ws, events):
    for event in events:
        await ws.send_str(json.dumps(event, default=float))  # default: numpy scalars become numbers


def new_stream(recognizer):
    """(accept, finish) of a new stream of the recogniser: accept(16 kHz samples) -> events, finish() -> the
    last events. Samples are resampled to the model's rate when it is not 16 kHz (soxr's streaming resampler)."""
    stream, resample = recognizer.new_stream(), Resampler(PCM_RATE, recognizer.info.features.sample_rate)
    return (lambda samples: stream.accept(resample(samples)),
            lambda: stream.accept(resample(np.zeros(0, np.float32), last=True)) + stream.finish())


async def recognise(ws, state):
    """Read the client's messages into one stream of the recogniser until the end message (answered with
    the last events) or the client goes. Refusal for a message that breaks the protocol or a limit."""
    accept, finish = await state.run(new_stream, state.recognizer)
    received = 0
    while True:  # one at a time: aiohttp stops reading the socket while one waits here
        message = await next_message(ws, state.limits.idle_seconds)
        if message.type == WSMsgType.BINARY:
            samples = pcm_samples(message.data, received, state.limits)
            received += len(samples)
            state.audio_seconds += len(samples) / PCM_RATE
            await send_events(ws, await state.run_timed(accept, samples))
        elif message.type == WSMsgType.TEXT:
            check_end(message.data)
            await send_events(ws, await state.run_timed(finish))
            await ws.close(code=CLOSE_DONE, message=b"end of stream")
            return
        else:  # the client closed, or aiohttp met an error (a message past max_msg_size: it closed with 1009)
            return


async def close(ws, code, reason):
    log.info(f"/stream closed with {code}: {reason}")
    # a close reason is at most 123 bytes of UTF-8: cut there, never inside a character
    await ws.close(code=code, message=reason.encode()[:123].decode(errors="ignore").encode())


async def stream_handler(request):
    state = request.app[STATE]
    # aiohttp's own limit only backs up ours (pcm_samples), which says in its reason what the limit is
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_SECONDS, max_msg_size=2 * state.limits.max_frame_bytes)
    await ws.prepare(request)
    if state.recognizer is None:
        await close(ws, CLOSE_INTERNAL, f"this model cannot stream ({state.no_stream_reason}); POST /transcribe")
        return ws
    if not state.streams.take():
        await close(ws, CLOSE_BUSY, f"all {state.streams.size} streams are in use; try again later")
        return ws
    try:
        await recognise(ws, state)
    except Refusal as e:
        await close(ws, e.code, str(e))
    except ConnectionError:  # the client went while we answered: nothing to tell it
        pass
    except Exception:  # noqa: BLE001 - a failure costs this stream only: logged in full, the client told plainly
        log.exception(f"/stream from {request.remote} failed")
        await close(ws, CLOSE_INTERNAL, "the recogniser failed on this stream (logged); other streams go on")
    finally:
        state.streams.release()  # the stream's state is dropped with it: the slot is free for another client
    return ws
