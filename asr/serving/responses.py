"""Error answers of `asr serve`: always JSON with one line a person can read, never a traceback or a path.

Two shapes: the server's own {"error": "<line>"}, and under /v1/ the one OpenAI's clients parse,
{"error": {"message", "type", "param", "code"}}. The middleware gives aiohttp's own refusals (404, 405,
a body over client_max_size) and any bug in a handler the same shape.
"""

import logging

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

log = logging.getLogger(__name__)

OPENAI_PREFIX = "/v1/"  # the paths whose clients expect OpenAI's error shape
# aiohttp's refusals, said as a person would (its own text is "404: Not Found")
MESSAGES = {404: "no such page or endpoint", 405: "this method is not allowed here",
            413: "the request body is too large"}


def openai_error(status, message, param=None):
    kind = "server_error" if status >= 500 else "invalid_request_error"
    code = "invalid_api_key" if status == 401 else None
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def error_response(request, status, message, param=None, headers=None):
    """The JSON error answer to `request`: OpenAI's shape under /v1/ (`param`: the form field at fault)."""
    if request.path.startswith(OPENAI_PREFIX):
        body = openai_error(status, message, param)
    else:
        body = {"error": message}
    return web.json_response(body, status=status, headers=headers)


@web.middleware
async def errors_middleware(request, handler):
    """aiohttp's refusals and a handler's bug as JSON errors; a bug is logged in full, told plainly."""
    try:
        return await handler(request)
    except web.HTTPException as e:
        if e.status < 400:  # redirects and the like pass through
            raise
        message = MESSAGES.get(e.status, e.reason.lower())
        allowed = {"Allow": e.headers["Allow"]} if "Allow" in e.headers else None
        return error_response(request, e.status, message, headers=allowed)
    except Exception:  # noqa: BLE001 - one request's bug costs that request only
        log.exception(f"{request.method} {request.path} from {request.remote} failed")
        return error_response(request, 500, "the server failed on this request (logged); others are not affected")


class ClientErrorsInOneLine(logging.Filter):
    """aiohttp logs a request it cannot parse (a client's garbage: a bad request line, a header too long)
    with a traceback of its parser; it is the client's fault, answered 400: one line at INFO instead."""

    def filter(self, record):
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.msg, record.args = f"{record.getMessage()}: {' '.join(str(error).split())[:200]}", ()
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def quiet_client_errors():
    server_log = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, ClientErrorsInOneLine) for f in server_log.filters):
        server_log.addFilter(ClientErrorsInOneLine())
