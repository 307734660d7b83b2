"""Where a stream's audio comes from, in PIECE_SECONDS pieces: raw PCM on standard input (a microphone
through `arecord -f S16_LE -r 16000 -c 1` or `sox -d -t raw -e signed -b 16 -r 16000 -c 1 -`), or an audio
file of any format and rate, optionally fed at the pace of real time (to see what a live user would)."""

import logging
import time

import numpy as np

from asr.data.audio import stream_audio

log = logging.getLogger(__name__)

PIECE_SECONDS = 0.1
PCM_SCALE = 32768.0  # 16-bit signed samples -> [-1, 1)


def pcm_pieces(binary, rate):
    """Float32 pieces of 16-bit little-endian mono PCM read from a binary file object until its end."""
    size = 2 * int(rate * PIECE_SECONDS)
    odd = b""
    while data := binary.read(size):
        data, odd = odd + data, b""
        if len(data) % 2:  # a sample split between two reads is completed by the next
            data, odd = data[:-1], data[-1:]
        yield np.frombuffer(data, "<i2").astype(np.float32) / PCM_SCALE
    if odd:
        log.warning("standard input: ended in the middle of a 16-bit sample; its last byte was left out")


def file_pieces(path, rate):
    """Float32 pieces of an audio file at `rate` (decoded and resampled block by block)."""
    size = int(rate * PIECE_SECONDS)
    for block in stream_audio(path, rate):
        for start in range(0, len(block), size):
            yield block[start:start + size]


def paced(pieces, rate, clock=time.monotonic, sleep=time.sleep):
    """The pieces, each released no earlier than the moment its audio would have been spoken."""
    start, sent = clock(), 0
    for piece in pieces:
        sent += len(piece)
        sleep(max(0.0, start + sent / rate - clock()))
        yield piece


def stream_events(recognizer, pieces):
    """Yield the events of one stream fed with `pieces`, then those of its end."""
    stream = recognizer.new_stream()
    for piece in pieces:
        yield from stream.accept(piece)
    yield from stream.finish()
