"""Soak test of `asr serve`: N clients stream over the WebSocket /stream, one utterance after another, for
--minutes; every --interval seconds a line of the latency (end of audio -> its final, p50 / p95), the
streams completed, the errors, and the server's memory (RSS) and open file descriptors (from GET /status);
at the end the server's figures at start and end, and all the errors by kind.

    python tools/soak_serve.py --model RUN_DIR --clients 8 --minutes 60        # starts `asr serve` itself
    python tools/soak_serve.py --url http://127.0.0.1:8000 --clients 8 --minutes 10 [--token T]

Bounded in count (--clients at most 256) and time (--minutes at most 1440, and each stream at most
--stream-timeout); it only talks to loopback addresses. The server it starts is a separate process (so its
RSS and descriptors are its own), stopped with Ctrl-C (SIGINT) at the end. Exit status 1 if any stream
failed. Without --wav each client streams 3 s of speech-like noise.
"""

import argparse
import asyncio
import collections
import contextlib
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from asr.data.audio import load_audio
from asr.serving.access import is_loopback
from asr.serving.app import listening_url
from asr.serving.limits import PCM_RATE
from load_test_serve import FRAME_SECONDS, speechlike
from load_test_serve import frames as pcm_frames

MAX_CLIENTS, MAX_MINUTES = 256, 1440
END = json.dumps({"type": "end"})


class Tally:
    """What the clients saw since the last interval line, and in all."""

    def __init__(self):
        self.latencies, self.completed = [], 0
        self.errors, self.all_errors = collections.Counter(), collections.Counter()
        self.all_latencies, self.all_completed = [], 0

    def done(self, latency):
        self.latencies.append(latency)
        self.all_latencies.append(latency)
        self.completed += 1
        self.all_completed += 1

    def failed(self, kind):
        self.errors[kind] += 1
        self.all_errors[kind] += 1

    def take_interval(self):
        interval = (self.latencies, self.completed, sum(self.errors.values()))
        self.latencies, self.completed, self.errors = [], 0, collections.Counter()
        return interval


async def one_stream(session, url, frames, speed, timeout):
    """Stream `frames` paced at `speed` times real time, then the end message; the seconds from the end of
    the audio to the close that follows the last final. An error's kind as a string in ValueError."""
    import aiohttp
    async with session.ws_connect(url, timeout=aiohttp.ClientWSTimeout(ws_close=timeout)) as ws:
        start = time.monotonic()
        for k, frame in enumerate(frames):
            if speed > 0:
                await asyncio.sleep(max(0.0, start + k * FRAME_SECONDS / speed - time.monotonic()))
            await ws.send_bytes(frame)
        await ws.send_str(END)
        end = time.monotonic()
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
        if ws.close_code != 1000:
            raise ValueError(f"close {ws.close_code}")
        return time.monotonic() - end


async def client(session, url, frames, args, tally, stop_at):
    while time.monotonic() < stop_at:
        try:
            tally.done(await asyncio.wait_for(one_stream(session, url, frames, args.speed, args.stream_timeout),
                                              args.stream_timeout))
        except ValueError as e:
            tally.failed(str(e))
        except Exception as e:  # noqa: BLE001 - a timeout, a refused connection...: counted by kind, the soak goes on
            tally.failed(type(e).__name__)
            await asyncio.sleep(1.0)  # a server that refuses connections is not hammered in a tight loop


async def server_status(session, base, headers):
    async with session.get(f"{base}/status", headers=headers) as response:
        response.raise_for_status()  # 401: the server has a token and --token did not give it
        return await response.json()


def percentile(values, q):
    return f"{np.percentile(values, q):.3f}" if values else "-"


async def report_intervals(session, base, headers, tally, args, started):
    import aiohttp
    while True:
        await asyncio.sleep(args.interval)
        latencies, completed, errors = tally.take_interval()
        try:
            status = await server_status(session, base, headers)
            server = f"server RSS {status['rss_mb']} MB fds {status['open_fds']} connections {status['connections']}"
        except aiohttp.ClientError as e:  # the server went: the clients' errors say so too
            server = f"server status: {e}"
        print(f"{time.monotonic() - started:7.0f} s  streams {completed:5d}  errors {errors:3d}  end->final p50 "
              f"{percentile(latencies, 50)} s p95 {percentile(latencies, 95)} s  {server}", flush=True)


async def soak(base, frames, args):
    """Run the clients for --minutes; (server status at start, at end, the tally)."""
    import aiohttp
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    stream_url = f"ws{base[4:]}/stream" + (f"?token={args.token}" if args.token else "")
    tally, started = Tally(), time.monotonic()
    async with aiohttp.ClientSession() as session:
        before = await server_status(session, base, headers)
        reporter = asyncio.create_task(report_intervals(session, base, headers, tally, args, started))
        stop_at = started + args.minutes * 60
        await asyncio.gather(*(client(session, stream_url, frames, args, tally, stop_at) for _ in range(args.clients)))
        reporter.cancel()
        await asyncio.sleep(1.0)  # the last streams' sockets close on the server's side too
        after = await server_status(session, base, headers)
    return before, after, tally


@contextlib.contextmanager
def server_of(args):
    """The base URL to soak: --url, or `asr serve --model` started as a separate process on loopback."""
    if args.url:
        yield args.url.rstrip("/")
        return
    command = [sys.executable, "-m", "asr.cli", "serve", "--model", args.model, "--port", "0",
               "--max-streams", str(args.clients)] + (["--token", args.token] if args.token else [])
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = listening_url(process.stdout)
        if url is None:
            sys.exit(f"soak_serve: asr serve did not start: {process.stderr.read().strip()}")
        for output in (process.stdout, process.stderr):  # read on, or a full pipe would stop the server's logging
            threading.Thread(target=collections.deque, args=(output, 0), daemon=True).start()
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)  # its output is read by the threads above (or, if it never listened, was)
        except subprocess.TimeoutExpired:  # never leave a server behind
            process.kill()
            process.wait()
            print("soak_serve: the server did not stop within 60 s of Ctrl-C; killed it", file=sys.stderr)


def summary(before, after, tally):
    print(f"server RSS {before['rss_mb']} MB -> {after['rss_mb']} MB, open fds {before['open_fds']} -> "
          f"{after['open_fds']}, connections {before['connections']} -> {after['connections']}, streams open "
          f"{after['streams']}")
    print(f"streams completed {tally.all_completed}, end->final p50 {percentile(tally.all_latencies, 50)} s p95 "
          f"{percentile(tally.all_latencies, 95)} s; errors {sum(tally.all_errors.values())}"
          + "".join(f", {kind}: {count}" for kind, count in tally.all_errors.most_common()))


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--model", help="start `asr serve --model MODEL` on 127.0.0.1 (a free port)")
    where.add_argument("--url", help="http://HOST:PORT of a running `asr serve` on this machine")
    parser.add_argument("--clients", type=int, default=8, help=f"streaming clients at once (8; at most {MAX_CLIENTS})")
    parser.add_argument("--minutes", type=float, default=10, help=f"how long (10; at most {MAX_MINUTES})")
    parser.add_argument("--interval", type=float, default=60, help="seconds between report lines (60)")
    parser.add_argument("--wav", help="audio each client streams (default: 3 s of speech-like noise)")
    parser.add_argument("--speed", type=float, default=1.0, help="times real time (1; 0: as fast as possible)")
    parser.add_argument("--stream-timeout", type=float, default=120, help="a stream that takes longer fails (120 s)")
    parser.add_argument("--token", help="the server's --token (given to the server this tool starts, too)")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= MAX_CLIENTS or not 0 < args.minutes <= MAX_MINUTES or args.interval <= 0:
        parser.error(f"--clients must be 1 to {MAX_CLIENTS}, --minutes above 0 and at most {MAX_MINUTES}, "
                     "--interval above 0")
    if args.url and not (urlsplit(args.url).scheme == "http" and is_loopback(urlsplit(args.url).hostname or "")):
        parser.error(f"{args.url} is not http:// on a loopback address: this tool only loads this machine")
    return args


def main(argv=None):
    args = parse_args(argv)
    frames = pcm_frames(load_audio(Path(args.wav), PCM_RATE) if args.wav else speechlike())
    print(f"{args.clients} clients, {len(frames) * FRAME_SECONDS:.1f} s of audio per stream at "
          f"{'full speed' if args.speed == 0 else f'{args.speed:g}x real time'}, {args.minutes:g} minutes", flush=True)
    import aiohttp
    with server_of(args) as base:
        try:
            before, after, tally = asyncio.run(soak(base, frames, args))
        except aiohttp.ClientError as e:  # the server is not there, or refuses /status
            sys.exit(f"soak_serve: {base}: {e}")
    summary(before, after, tally)
    return 1 if tally.all_errors else 0


if __name__ == "__main__":
    sys.exit(main())
