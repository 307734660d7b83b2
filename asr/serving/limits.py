"""What one server lets its clients use, and the WebSocket close codes that say which limit a client hit.

Every buffer the server holds for a client is bounded by these: an upload is spooled to a temporary file
of at most max_upload_bytes, a WebSocket message holds at most max_frame_seconds of audio, and a stream
is read one message at a time (aiohttp stops reading the socket while a message waits, so a client that
sends faster than the model works is slowed down by TCP, not buffered).
"""

from dataclasses import dataclass

from aiohttp import WSCloseCode

PCM_RATE = 16000  # /stream takes 16-bit little-endian mono PCM at this rate (what the page's worklet sends)
PCM_BYTES = 2  # bytes per sample

# The close codes of GET /stream (RFC 6455, section 7.4.1), each with the reason sent alongside it.
CLOSE_DONE = WSCloseCode.OK  # the end message was answered with the last final
CLOSE_UNSUPPORTED = WSCloseCode.UNSUPPORTED_DATA  # text that is not the end message, or not whole s16le samples
# the stream went past max_stream_seconds of audio, or sent nothing for idle_seconds (holding a slot)
CLOSE_TOO_LONG = WSCloseCode.POLICY_VIOLATION
CLOSE_TOO_BIG = WSCloseCode.MESSAGE_TOO_BIG  # one message of more than max_frame_seconds of audio
CLOSE_INTERNAL = WSCloseCode.INTERNAL_ERROR  # the recogniser failed (logged), or this model cannot stream
CLOSE_BUSY = WSCloseCode.TRY_AGAIN_LATER  # every one of max_streams slots is taken


@dataclass(frozen=True)
class ServeLimits:
    """max_streams: WebSocket streams open at once (one more is refused with 1013); also the uploads
    transcribed at once (one more gets 503). workers: threads that run the model."""

    max_streams: int = 8
    max_upload_seconds: float = 600.0
    max_upload_bytes: int = 200 << 20  # 10 minutes of 48 kHz stereo float WAV is 184 MB
    max_stream_seconds: float = 3600.0
    max_frame_seconds: float = 5.0  # the page sends 0.1 s per message
    workers: int = 2
    # a TCP connection past this many open at once is answered 503 and closed: each costs a file descriptor
    max_connections: int = 256
    # a connection that spends this long outside any request (headers dribbled in: slowloris; or idle
    # keep-alive), an upload whose body stops arriving for this long, or a stream that sends nothing for
    # this long (it would hold one of max_streams slots), is closed
    idle_seconds: float = 20.0
    max_field_bytes: int = 4096  # a multipart form field other than the file (model, response_format)

    @property
    def max_frame_bytes(self):
        return int(self.max_frame_seconds * PCM_RATE) * PCM_BYTES
