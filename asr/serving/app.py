"""The aiohttp application of `asr serve`: routes, the state every handler shares, starting and stopping.

    GET  /            the page (static/index.html): microphone and dropped files
    GET  /static/...  its script and AudioWorklet
    GET  /status      JSON: streams open, the most open at once, limits, audio and model seconds so far
    POST /transcribe  an audio file as the body, or a form's field `file` -> JSON {text, duration, words}
                      (asr.serving.upload)
    POST /v1/audio/transcriptions  the same, as OpenAI's audio transcription API (asr.serving.openai_api)
    GET  /stream      WebSocket: 16 kHz s16le PCM in, partial and final events out (asr.serving.websocket)

Every request passes the connection guard (asr.serving.connections), the error middleware (JSON errors
only: asr.serving.responses) and the access check (token and Origin: asr.serving.access).

The models are passed in (create_app), so the same application runs with any recogniser that has the
StreamingRecognizer interface; `load_models` builds the real ones from a model directory.
"""

import asyncio
import contextlib
import logging
import os
import re
import signal
import threading
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web

from asr.errors import AsrError
from asr.serving.access import TOKEN_PARAMETER, Access, access_middleware, check_exposure
from asr.serving.connections import ConnectionGuard, guard_middleware, guard_server
from asr.serving.limits import ServeLimits
from asr.serving.openai_api import openai_transcriptions_handler
from asr.serving.responses import errors_middleware, quiet_client_errors
from asr.serving.state import STATE, ServerState
from asr.serving.upload import transcribe_handler
from asr.serving.websocket import stream_handler

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"


async def index(request):
    """The page; with a token in its address, its script's address carries it too (app.js passes it on)."""
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    if token := request.query.get(TOKEN_PARAMETER):  # valid: the access check let the request through
        page = page.replace('src="/static/app.js"', f'src="/static/app.js?{urlencode({TOKEN_PARAMETER: token})}"')
    return web.Response(text=page, content_type="text/html")


def process_figures():
    """(resident memory in MB, open file descriptors) of this process, for watching it over time; (None,
    None) where /proc does not say (not Linux)."""
    try:
        resident_pages = int(Path("/proc/self/statm").read_text().split()[1])
        return round(resident_pages * os.sysconf("SC_PAGE_SIZE") / 1e6, 1), len(os.listdir("/proc/self/fd"))
    except (OSError, ValueError, IndexError):
        return None, None


async def status(request):
    state = request.app[STATE]
    rss_mb, open_fds = process_figures()
    return web.json_response({
        "streams": state.streams.used, "peak_streams": state.streams.peak, "max_streams": state.limits.max_streams,
        "uploads": state.uploads.used, "connections": state.connections.open if state.connections else None,
        "streaming": state.recognizer is not None,
        "no_stream_reason": state.no_stream_reason, "max_upload_seconds": state.limits.max_upload_seconds,
        "audio_seconds": round(state.audio_seconds, 3), "model_seconds": round(state.model_seconds, 3),
        "rss_mb": rss_mb, "open_fds": open_fds})


async def stop_executor(app):
    app[STATE].executor.shutdown(wait=True, cancel_futures=True)


def create_app(transcriber, recognizer, limits=ServeLimits(), no_stream_reason="", access=Access()):
    """The application around an offline transcriber (asr.inference.transcriber.Transcriber) and a
    streaming recogniser (new_stream() -> stream with accept(samples) and finish()), or None."""
    app = web.Application(client_max_size=limits.max_upload_bytes,
                          middlewares=[guard_middleware, errors_middleware, access_middleware(access)])
    app[STATE] = ServerState(transcriber, recognizer, limits, no_stream_reason, access)
    app.router.add_get("/", index)
    app.router.add_static("/static", STATIC)
    app.router.add_get("/status", status)
    app.router.add_post("/transcribe", transcribe_handler)
    app.router.add_post("/v1/audio/transcriptions", openai_transcriptions_handler)
    app.router.add_get("/stream", stream_handler)
    app.on_cleanup.append(stop_executor)
    return app


def load_models(model_dir, backend="auto"):
    """(offline transcriber, streaming recogniser or None, why not) for a model directory, loaded once: the
    recogniser decodes its finals with the transcriber. The offline one times words when the model's decoding
    strategy can (else it decodes greedily, which can)."""
    from asr.decoding.strategies import strategy
    from asr.inference.transcriber import Transcriber
    from asr.models.model_dir import read_model_info
    info = read_model_info(model_dir)
    spells = info.tokenizer.spells_words  # a model of phones has no words to time
    chosen = info.decode.strategy if strategy(info.decode.strategy).word_frames or not spells else "greedy"
    transcriber = Transcriber(model_dir, chosen, backend=backend, words=spells)
    from asr.inference.streaming import StreamingRecognizer  # after the checks above: a bad model is one line
    try:
        return transcriber, StreamingRecognizer(model_dir, backend=backend, transcriber=transcriber), ""
    except AsrError as e:  # a model whose frame stacking drops frames: it still transcribes files
        log.warning(f"asr serve: /stream is off: {e}")
        return transcriber, None, str(e)


async def start(app, host, port):
    """Start serving `app`; (runner to clean up, the port bound: `port` 0 picks a free one)."""
    quiet_client_errors()
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    state = app[STATE]
    state.connections = ConnectionGuard(asyncio.get_running_loop(), state.limits.max_connections,
                                        state.limits.idle_seconds)
    guard_server(runner.server, state.connections)
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as e:
        await runner.cleanup()
        raise AsrError(f"{host}:{port}: cannot listen ({e.strerror or e})") from None
    return runner, runner.addresses[0][1]


LISTENING = re.compile(r"serving on (http://[\d.]+:\d+)/")  # the line below, which tests and tools wait for


def listening_url(lines):
    """The server's URL from the line serve_forever logs once it listens, read from `lines` (the output of
    an `asr serve` process); None if they end first."""
    for line in lines:
        if match := LISTENING.search(line):
            return match.group(1)
    return None


async def serve_forever(app, host, port):
    runner, bound = await start(app, host, port)
    log.info(f"serving on http://{host}:{bound}/ (Ctrl-C stops)")
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


@contextlib.contextmanager
def serving_in_thread(app, host="127.0.0.1", port=0):
    """Serve `app` from an event loop in a background thread while the block runs; yields "host:port".
    For tests and tools/load_test_serve.py, which drive the server from the same process."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="asr-serve", daemon=True)
    thread.start()
    try:
        runner, bound = asyncio.run_coroutine_threadsafe(start(app, host, port), loop).result()
        try:
            yield f"{host}:{bound}"
        finally:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result()
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def interrupt(signum, frame):
    raise KeyboardInterrupt


def stop_on_signals():
    """Ctrl-C (SIGINT) and SIGTERM stop the server, also when it was started with SIGINT ignored, as a background
    job of a non-interactive shell is (Python then leaves it ignored, and the server would run on)."""
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, interrupt)


def serve(model_dir, host="127.0.0.1", port=8000, limits=ServeLimits(), backend="auto", access=Access()):
    """Load the model and serve until interrupted (KeyboardInterrupt reaches the caller)."""
    stop_on_signals()
    check_exposure(host, access.token)  # before the model loads: a refusal is immediate
    transcriber, recognizer, reason = load_models(model_dir, backend)
    asyncio.run(serve_forever(create_app(transcriber, recognizer, limits, reason, access), host, port))
