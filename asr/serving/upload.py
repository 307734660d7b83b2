"""POST /transcribe: an audio file (any format libsndfile reads) -> JSON {text, duration, words: [{word,
start, end, confidence}]} from the offline Transcriber. The file is the request body, or the field `file`
of a multipart/form-data body (`curl -F file=@a.wav`, an HTML form).

The audio is spooled to a temporary file (at most max_upload_bytes, never whole in memory) and
transcribed in the model's thread pool, block by block as `asr transcribe` does. A bad upload is a 4xx
with {"error": "<one line>"}, and costs nothing to the other clients:
    400 empty body, no `file` field, a malformed form, no audio samples, too short, NaN samples
    408 the body stopped arriving for idle_seconds      413 too many bytes or seconds
    415 not an audio file libsndfile reads              503 max_streams uploads already running
    507 no space left for the temporary file
run_upload is the part POST /v1/audio/transcriptions (asr.serving.openai_api) shares.
"""

import asyncio
import errno
import logging
import tempfile

from aiohttp import ClientPayloadError, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.multipart import BodyPartReader

from asr.data.audio import open_sound
from asr.errors import AsrError
from asr.inference.transcriber import transcribe_files
from asr.serving.responses import error_response
from asr.serving.state import STATE

log = logging.getLogger(__name__)

NAME = "upload"  # how error messages name the file: the client knows which one it sent
SPOOL_BLOCK = 1 << 16
FILE_FIELD = "file"  # the form field that holds the audio (curl -F file=@a.wav; OpenAI's clients)


class UploadError(Exception):
    """A bad upload: answered with this status and message. `param`: the form field at fault, if any."""

    def __init__(self, status, message, param=None):
        super().__init__(message)
        self.status, self.param = status, param


def too_big(limits):
    return UploadError(413, f"{NAME}: more than {limits.max_upload_bytes / 1e6:g} MB; send at most that")


async def in_time(arrival, limits):
    """await `arrival` (more of the body); UploadError 408 when the client sends nothing for idle_seconds."""
    try:
        return await asyncio.wait_for(arrival, limits.idle_seconds)
    except asyncio.TimeoutError:
        raise UploadError(408, f"{NAME}: nothing arrived for {limits.idle_seconds:g} s; send the body "
                               "without pausing") from None


async def spool_stream(read, spool, limits):
    """Copy blocks from read(n) into the open file `spool` until b""; the bytes copied. UploadError when too big."""
    size = 0
    while block := await in_time(read(SPOOL_BLOCK), limits):
        size += len(block)
        if size > limits.max_upload_bytes:
            raise too_big(limits)
        spool.write(block)
    spool.flush()
    return size


async def read_field(part, limits):
    """The text of a form field other than the file; UploadError when it is longer than max_field_bytes."""
    value = b""
    while block := await in_time(part.read_chunk(SPOOL_BLOCK), limits):
        value += block
        if len(value) > limits.max_field_bytes:
            raise UploadError(400, f"{NAME}: form field {part.name!r} is longer than {limits.max_field_bytes} "
                                   "bytes", part.name)
    return value.decode("utf-8", errors="replace")


async def spool_form(request, spool, limits):
    """The multipart form's other fields ({name: text}), its `file` field copied into `spool`."""
    fields, size = {}, None
    reader = await request.multipart()
    while (part := await in_time(reader.next(), limits)) is not None:
        if not isinstance(part, BodyPartReader):
            raise UploadError(400, f"{NAME}: a nested multipart part; send a flat form")
        if part.name == FILE_FIELD and size is not None:
            raise UploadError(400, f"{NAME}: more than one field {FILE_FIELD!r}; send one file a request",
                              FILE_FIELD)
        if part.name == FILE_FIELD:
            size = await spool_stream(part.read_chunk, spool, limits)
        else:
            fields[part.name] = await read_field(part, limits)
    if size is None:
        raise UploadError(400, f"{NAME}: the form has no field {FILE_FIELD!r}; send the audio file as "
                               f"{FILE_FIELD}", FILE_FIELD)
    return fields, size


async def spool_request(request, spool, limits, form_only=False):
    """Copy the request's audio into the open file `spool`: the body, or a form's `file` field; the form's
    other fields ({} for a body). UploadError when it is empty, too big or a malformed form."""
    if request.content_length is not None and request.content_length > limits.max_upload_bytes:
        raise too_big(limits)
    if request.content_type == "multipart/form-data":
        try:
            fields, size = await spool_form(request, spool, limits)
        except (ValueError, AssertionError, RuntimeError, ClientPayloadError, HttpProcessingError) as e:  # aiohttp's
            raise UploadError(400, f"{NAME}: a malformed multipart/form-data body ({one_line(e)})") from None
    elif form_only:
        raise UploadError(415, f"{NAME}: send a multipart/form-data body with the audio as field {FILE_FIELD!r}")
    else:
        fields, size = {}, await spool_stream(request.content.read, spool, limits)
    if size == 0:
        raise UploadError(400, f"{NAME}: empty; send an audio file as the request body or as field {FILE_FIELD!r}")
    return fields


def one_line(error):
    return " ".join(str(error).split())[:200] or type(error).__name__


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
    [result] = transcribe_files([path], transcriber, names=[NAME])  # the loop `asr transcribe` runs
    if "error" in result:  # no samples, too short, NaN or absurd samples, a decoding error mid-file
        raise UploadError(400, result["error"])
    return {"text": result["text"], "duration": result["duration"], "words": result.get("words", [])}


async def run_upload(request, respond, form_only=False, check_fields=None):
    """Take an upload slot, spool the request's audio, transcribe it: respond(result, form fields) -> the
    response. check_fields(fields) may raise UploadError before the model runs; any UploadError is the
    answer (in the shape of the endpoint: asr.serving.responses)."""
    state = request.app[STATE]
    if not state.uploads.take():
        return error_response(request, 503, f"{state.uploads.size} uploads are being transcribed; try again later")
    try:
        with tempfile.NamedTemporaryFile(prefix="asr-upload-") as spool:
            fields = await spool_request(request, spool, state.limits, form_only)
            if check_fields:
                check_fields(fields)
            result = await state.run(transcribe_upload, state.transcriber, spool.name, state.limits.max_upload_seconds)
        return respond(result, fields)
    except UploadError as e:
        log.info(f"POST {request.path} from {request.remote}: {e.status} {e}")
        return error_response(request, e.status, str(e), e.param)
    except ConnectionResetError:  # the client went mid-upload: nobody to answer, nothing to log but a line
        log.info(f"POST {request.path} from {request.remote}: the client left before the upload was whole")
        return error_response(request, 400, f"{NAME}: the connection was lost mid-upload")
    except OSError as e:
        if e.errno != errno.ENOSPC:
            raise  # a bug or a broken machine: the error middleware logs it in full and answers 500
        log.warning(f"POST {request.path}: no space left on device for the upload's temporary file")
        return error_response(request, 507, f"{NAME}: the server has no room to hold it; try again later")
    finally:
        state.uploads.release()


async def transcribe_handler(request):
    return await run_upload(request, lambda result, fields: web.json_response(result))
