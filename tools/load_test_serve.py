"""Loopback load test of `asr serve`'s WebSocket /stream: N clients stream a WAV at once, paced in real
time (or --speed times faster, 0 for as fast as they can), and the figures are printed:

    concurrent streams held (by the clients, and the server's own peak), refused and failed streams
    latency percentiles: first partial after the start of the audio; end of audio -> the final it brings
        (or the close that follows the last events, when every utterance was final before the end)
    RTF: the server's model seconds over the audio seconds it received (from GET /status)

    python tools/load_test_serve.py --model RUN_DIR --clients 8           # serves RUN_DIR itself, in-process
    python tools/load_test_serve.py --address 127.0.0.1:8000 --clients 8  # a running `asr serve`

Bounded in count (--clients at most 256) and time (--max-seconds); it only talks to loopback addresses.
Without --wav it streams 3 s of speech-like noise.
"""

import argparse
import asyncio
import contextlib
import json
import sys
import time

import numpy as np

from asr.data.audio import load_audio
from asr.serving.access import is_loopback
from asr.serving.limits import PCM_RATE, ServeLimits

MAX_CLIENTS = 256
FRAME_SECONDS = 0.1  # what the page sends per message


def speechlike(seconds=3.0):
    t = np.arange(int(seconds * PCM_RATE)) / PCM_RATE
    noise = np.random.default_rng(0).normal(size=len(t))
    return (0.1 * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)) * noise).astype(np.float32)


def frames(samples):
    pcm = (np.clip(samples, -1, 32767 / 32768) * 32768).astype("<i2")
    step = int(FRAME_SECONDS * PCM_RATE)
    return [pcm[i:i + step].tobytes() for i in range(0, len(pcm), step)]


class Client:
    """One stream's timings (time.monotonic seconds) and how it ended. `final`: the first final after the
    end message (None when every utterance was final before it: an end-point in the silence that ends it)."""

    def __init__(self):
        self.start = self.first_partial = self.end = self.final = self.closed = None
        self.code = None


async def receive(ws, client):
    import aiohttp
    async for message in ws:
        if message.type != aiohttp.WSMsgType.TEXT:
            break
        event = json.loads(message.data)
        if event["type"] == "partial" and client.first_partial is None:
            client.first_partial = time.monotonic()
        elif event["type"] == "final" and client.end is not None and client.final is None:
            client.final = time.monotonic()  # the final the end of the audio brought
    client.code, client.closed = ws.close_code, time.monotonic()


async def stream(session, address, chunks, speed, client):
    """Stream the chunks on one WebSocket, paced at `speed` times real time, then the end message."""
    async with session.ws_connect(f"ws://{address}/stream") as ws:
        reader = asyncio.create_task(receive(ws, client))
        client.start = time.monotonic()
        for k, chunk in enumerate(chunks):
            if speed > 0:  # each frame leaves when its audio would have been spoken
                await asyncio.sleep(max(0.0, client.start + k * FRAME_SECONDS / speed - time.monotonic()))
            if reader.done():  # refused or closed by the server
                break
            await ws.send_bytes(chunk)
        else:
            client.end = time.monotonic()
            await ws.send_str(json.dumps({"type": "end"}))
        await reader


async def watch_status(session, address, peak):
    """Poll /status until cancelled; peak[0]: the most streams the server had open at once."""
    while True:
        async with session.get(f"http://{address}/status") as response:
            peak[0] = max(peak[0], (await response.json())["streams"])
        await asyncio.sleep(0.05)


async def load(address, samples, clients, speed):
    """Run `clients` streams at once; (clients, status before, status after, server peak, wall seconds)."""
    import aiohttp
    chunks, peak, results = frames(samples), [0], [Client() for _ in range(clients)]
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://{address}/status") as response:
            before = await response.json()
        watcher = asyncio.create_task(watch_status(session, address, peak))
        start = time.monotonic()
        await asyncio.gather(*(stream(session, address, chunks, speed, c) for c in results), return_exceptions=True)
        wall = time.monotonic() - start
        watcher.cancel()
        async with session.get(f"http://{address}/status") as response:
            after = await response.json()
    return results, before, after, peak[0], wall


def percentiles(values):
    if not values:
        return "none"
    p50, p90, p99 = np.percentile(values, [50, 90, 99])
    return f"p50 {p50:.3f} s, p90 {p90:.3f} s, p99 {p99:.3f} s, max {max(values):.3f} s (n={len(values)})"


def most_at_once(clients):
    """The most streams open at the same moment, as the clients saw them (refused ones left out)."""
    changes = sorted([(c.start, 1) for c in clients] + [(c.closed, -1) for c in clients])
    return int(np.cumsum([change for _, change in changes]).max(initial=0))


def report(results, before, after, peak, wall, audio_seconds, speed):
    done = [c for c in results if c.code == 1000]
    refused = [c for c in results if c.code == 1013]
    print(f"clients {len(results)}, {audio_seconds:.1f} s of audio each, "
          f"{'as fast as possible' if speed == 0 else f'{speed:g}x real time'}")
    held = [c for c in results if c.code != 1013 and c.start is not None and c.closed is not None]
    print(f"concurrent streams held: {most_at_once(held)} at once by the clients, server peak {peak}; completed "
          f"{len(done)}, refused (1013) {len(refused)}, other {len(results) - len(done) - len(refused)}")
    first = [c.first_partial - c.start for c in done if c.first_partial is not None]
    print(f"first partial after start of audio: {percentiles(first)}")
    answered = [(c.final or c.closed) - c.end for c in done]  # the close comes right after the last final
    print(f"end of audio -> final (or close):   {percentiles(answered)}")
    audio = after["audio_seconds"] - before["audio_seconds"]
    model = after["model_seconds"] - before["model_seconds"]
    if audio > 0:
        print(f"RTF: {model / audio:.4f} (server: {model:.2f} model seconds for {audio:.1f} s of audio); wall "
              f"{wall:.1f} s for {len(done) * audio_seconds:.1f} s of audio completed")
    return len(done)


@contextlib.contextmanager
def server_for(args):
    """The address to test: --address, or a server of --model started in this process."""
    if args.address:
        yield args.address
        return
    from asr.serving.app import create_app, load_models, serving_in_thread
    transcriber, recognizer, reason = load_models(args.model)
    if recognizer is None:
        sys.exit(f"load_test_serve: {args.model}: cannot stream ({reason})")
    limits = ServeLimits(max_streams=args.max_streams or args.clients, workers=args.workers)
    with serving_in_thread(create_app(transcriber, recognizer, limits)) as address:
        yield address


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--model", help="serve this run directory in-process (on 127.0.0.1, a free port)")
    where.add_argument("--address", help="HOST:PORT of a running `asr serve` on this machine")
    parser.add_argument("--clients", type=int, default=8, help=f"streams at once (8; at most {MAX_CLIENTS})")
    parser.add_argument("--wav", help="audio each client streams (default: 3 s of speech-like noise)")
    parser.add_argument("--speed", type=float, default=1.0, help="times real time (1; 0: as fast as possible)")
    parser.add_argument("--max-seconds", type=float, default=300, help="give up after this long (300)")
    parser.add_argument("--max-streams", type=int, help="with --model: the server's limit (default: --clients)")
    parser.add_argument("--workers", type=int, default=2, help="with --model: model threads (2)")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= MAX_CLIENTS:
        parser.error(f"--clients must be 1 to {MAX_CLIENTS}")
    if args.address and not is_loopback(args.address.rsplit(":", 1)[0]):
        parser.error(f"{args.address} is not a loopback address: this tool only loads this machine")
    samples = load_audio(args.wav, PCM_RATE) if args.wav else speechlike()
    with server_for(args) as address:
        outcome = asyncio.run(asyncio.wait_for(load(address, samples, args.clients, args.speed), args.max_seconds))
    return report(*outcome, len(samples) / PCM_RATE, args.speed)


if __name__ == "__main__":
    main()
