"""POST /transcribe: the request body is an audio file (any format libsndfile reads) -> JSON
{text, duration, words: [{word, start, end, confidence}]} from the offline Transcriber.

The body is spooled to a temporary file (at most max_upload_bytes, never whole in memory) and
transcribed in the model's thread pool, block by block as `asr transcribe` does. A bad upload is a 4xx
with {"error": "<one line>"}, and costs nothing to the other clients:
    400 empty body, no audio samples, too short, NaN samples    413 too many bytes or seconds
    415 not an audio file libsndfile reads                       503 max_streams uploads already running
"""

import logging
import tempfile

from aiohttp import web

from asr.data.audio import open_sound
from asr.errors import AsrError
from asr.inference.transcriber import FileTranscript
from asr.serving.state import STATE

log = logging.getLogger(__name__)

NAME = "upload"  # how error messages name the file: the client knows which one it sent
SPOOL_BLOCK = 1 << 16


class UploadError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def error_response(status, message):
    return web.json_response({"error": message}, status=status)


async def spool_body(request, spool, max_bytes):
    """Copy the request body into the open file `spool`; UploadError when it is empty or too big."""
    too_big = UploadError(413, f"{NAME}: more than {max_bytes / 1e6:.0f} MB; send at most that")
    if request.content_length is not None and request.content_length > max_bytes:
        raise too_big
    size = 0
    while block := await request.content.read(SPOOL_BLOCK):
        size += len(block)
        if size > max_bytes:
            raise too_big
        spool.write(block)
    if size == 0:
        raise UploadError(400, f"{NAME}: empty body; send an audio file as the request body")
    spool.flush()


def header_seconds(path):
    """The file's length in seconds as its header says; UploadError 415 when it is not audio."""
    try:
        with open_sound(path) as sound:
            return sound.frames / sound.samplerate
    except AsrError as e:
        raise UploadError(415, f"{NAME}: {e}") from None


def transcribe_upload(transcriber, path, max_seconds):
    """The JSON result for the audio file at `path` (run in the thread pool); UploadError for a bad one."""
    seconds = header_seconds(path)
    if seconds > max_seconds:  # before any decoding: a long file is refused at the cost of its header
        raise UploadError(413, f"{NAME}: {seconds:.1f} s of audio; this server takes at most {max_seconds:g} s")
    try:
        duration, bounds = transcriber.plan_file(path, NAME)
        chunks = list(transcriber.file_chunks(path, bounds, NAME))
    except AsrError as e:  # no samples, too short, NaN or absurd samples, a decoding error mid-file
        raise UploadError(400, str(e)) from None
    transcript = FileTranscript(NAME)
    for decoded in transcriber.decode_chunks(chunks):
        transcript.add(*decoded)
    return {"text": transcript.text(), "duration": round(duration, 3), "words": transcript.words}


async def transcribe_handler(request):
    state = request.app[STATE]
    if not state.uploads.take():
        return error_response(503, f"{state.uploads.size} uploads are being transcribed; try again later")
    try:
        with tempfile.NamedTemporaryFile(prefix="asr-upload-") as spool:
            await spool_body(request, spool, state.limits.max_upload_bytes)
            result = await state.run(transcribe_upload, state.transcriber, spool.name, state.limits.max_upload_seconds)
        return web.json_response(result)
    except UploadError as e:
        log.info(f"POST /transcribe from {request.remote}: {e.status} {e}")
        return error_response(e.status, str(e))
    except Exception:  # noqa: BLE001 - a bug costs this request only: logged in full, the client told plainly
        log.exception(f"POST /transcribe from {request.remote} failed")
        return error_response(500, "the server failed on this file (logged); other files are not affected")
    finally:
        state.uploads.release()
