"""`asr serve` under abuse: malformed, oversized, slow, truncated and vanishing clients (tests/abuse.py) each
get the status or close code docs/serving.md gives them, while a good client beside them is served every
time, and the server's memory and file descriptors come back to where they were.

Tolerances: open file descriptors within FD_SLACK of the baseline once every abusive connection is gone;
resident memory within RSS_SLACK_MB after three rounds of every abuse (a leak of one stream's or one
upload's buffers per round would pass neither with time; the slack is what allocator caches and Python's
own arenas may keep, measured at about a tenth of it). Loopback only; every wait bounded.
"""

import json
import time
import urllib.request

import pytest

from asr.serving.app import create_app, process_figures, serving_in_thread
from asr.serving.limits import ServeLimits
from tests import abuse
from tests.serving import CountingRecognizer, speechlike, write_wav

pytest.importorskip("aiohttp")

LIMITS = ServeLimits(max_streams=4, max_upload_seconds=5.0, max_upload_bytes=400_000, max_stream_seconds=30.0,
                     max_frame_seconds=1.0, max_connections=24, idle_seconds=1.0)
ROUNDS = 3
FD_SLACK = 8
RSS_SLACK_MB = 60


@pytest.fixture(scope="module")
def server(streaming_transcriber):
    with serving_in_thread(create_app(streaming_transcriber, CountingRecognizer(), LIMITS)) as address:
        yield address


def status(address):
    with urllib.request.urlopen(f"http://{address}/status", timeout=abuse.READ_SECONDS) as response:
        return json.loads(response.read())


def quiet(address, seconds=15):
    """/status once no stream, upload or other connection is left (the status request's own excepted)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        now = status(address)
        if (now["streams"], now["uploads"], now["connections"]) == (0, 0, 1):
            return now
        time.sleep(0.1)
    return now


def run_cases(address):
    """Every abuse once: [(what, what it got, what it must get)] for those that got something else."""
    wrong = []
    for what, client, expected in abuse.cases(LIMITS):
        got = client(address)
        if got != expected:
            wrong.append((what, got, expected))
    return wrong


def test_every_abuse_gets_its_answer_beside_a_good_client_and_nothing_leaks(server, tmp_path):
    wav = write_wav(tmp_path / "good.wav", speechlike(1.0)).read_bytes()
    assert run_cases(server) == []  # a warm-up round: first-time allocations are not leaks
    quiet(server)
    rss_before, fds_before = process_figures()
    with abuse.GoodClient(server, wav) as good:
        wrong = [run_cases(server) for _ in range(ROUNDS)]
    assert wrong == [[]] * ROUNDS
    assert len(good.outcomes) >= ROUNDS and set(good.outcomes) == {(1000, 200)}, good.outcomes
    after = quiet(server)
    assert (after["streams"], after["uploads"], after["connections"]) == (0, 0, 1), after
    rss_after, fds_after = process_figures()
    assert fds_after <= fds_before + FD_SLACK, (fds_before, fds_after)
    assert rss_after <= rss_before + RSS_SLACK_MB, (rss_before, rss_after)


def test_more_streams_or_connections_than_the_limits_are_refused_and_the_server_recovers(server, tmp_path):
    codes = abuse.run(abuse.hold_streams(server, LIMITS.max_streams + 2))
    assert codes == [1000] * LIMITS.max_streams + [1013] * 2
    quiet(server)
    refused, _ = abuse.hold_connections(server, LIMITS.max_connections + 5)
    assert refused == 5
    assert quiet(server)["connections"] == 1
    assert abuse.websocket([bytes(3200), abuse.END])(server) == 1000
