"""What the handlers of one server share: the models, the limits, the model's thread pool and the counters."""

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from aiohttp import web

from asr.serving.access import Access
from asr.serving.limits import ServeLimits


class Slots:
    """A counter of places in use, with the most ever used at once (for /status and the load test).
    Only the event loop touches it, so it needs no lock."""

    def __init__(self, size):
        self.size, self.used, self.peak = size, 0, 0

    def take(self):
        if self.used >= self.size:
            return False
        self.used += 1
        self.peak = max(self.peak, self.used)
        return True

    def release(self):
        self.used -= 1


@dataclass
class ServerState:
    """What the handlers share. recognizer None: the model cannot stream (its reason in no_stream_reason)."""

    transcriber: object
    recognizer: object
    limits: ServeLimits
    no_stream_reason: str = ""
    access: Access = Access()
    executor: ThreadPoolExecutor = None
    streams: Slots = None
    uploads: Slots = None
    audio_seconds: float = 0.0  # received on /stream, for the real-time factor in /status
    model_seconds: float = 0.0  # spent in the recogniser on that audio
    connections: object = None  # the ConnectionGuard, once the server listens (asr.serving.app.start)

    def __post_init__(self):
        self.executor = ThreadPoolExecutor(self.limits.workers, thread_name_prefix="asr-model")
        self.streams, self.uploads = Slots(self.limits.max_streams), Slots(self.limits.max_streams)

    async def run(self, function, *args):
        """function(*args) in the model's thread pool (never on the event loop); its result."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, function, *args)

    async def run_timed(self, function, *args):
        """As run, adding the seconds the call computed (not those it queued) to model_seconds."""
        def timed():
            start = time.perf_counter()
            return function(*args), time.perf_counter() - start
        result, seconds = await self.run(timed)
        self.model_seconds += seconds  # here, on the event loop: the threads never write the counter
        return result


STATE = web.AppKey("state", ServerState)
