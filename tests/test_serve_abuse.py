"""`asr serve` under abuse: malformed, oversized, slow, truncated and vanishing clients (tests/abuse.py) each
get the status or close code docs/serving.md gives them, while a good client beside them is served every
time, and the server's memory and file descriptors come back to where they were.

Tolerances: open file descriptors within FD_SLACK of the baseline once every abusive connection is gone;
resident memory within RSS_SLACK_MB after three rounds of every abuse (a leak of one stream's or one
upload's buffers per round would pass neither with time; the slack is what allocator caches and Python's
own arenas may keep: one run measured +4.7 MB and +1 descriptor). Loopback only; every wait bounded.
Wall time: about 25 s for the abuse, 30 s for the soak tool's run, after the shared tiny-model fixtures.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from asr.serving.app import create_app, process_figures, serving_in_thread
from asr.serving.limits import ServeLimits
from tests import abuse
from tests.serving import CountingRecognizer, speechlike, write_wav

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
    assert refused in (5, 6), refused  # 6 when quiet()'s own /status connection was not yet gone on the server
    assert quiet(server)["connections"] == 1
    assert abuse.websocket([bytes(3200), abuse.END])(server) == 1000


def test_the_soak_tool_reports_latency_over_time_and_the_servers_figures(tiny_streaming_run, utterance_wav):
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}  # this checkout's asr, for the tool and the server it starts
    command = [sys.executable, root / "tools" / "soak_serve.py", "--model", tiny_streaming_run / "model",
               "--clients", "3", "--minutes", "0.4", "--interval", "8", "--speed", "2", "--wav", utterance_wav]
    # its own process group, killed whole if it overruns: the server it started must not outlive the test
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    result = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    intervals = [line for line in lines if re.match(r" +\d+ s  streams +\d+  errors +0  end->final p50 [\d.]+ s p95 "
                                                     r"[\d.]+ s  server RSS [\d.]+ MB fds \d+ connections \d+$", line)]
    assert len(intervals) >= 2, result.stdout
    figures = re.search(r"server RSS ([\d.]+) MB -> ([\d.]+) MB, open fds (\d+) -> (\d+), connections \d+ -> (\d+), "
                        r"streams open 0", result.stdout)
    assert figures and figures.group(5) == "1", result.stdout  # only the tool's own /status request is left
    assert re.search(r"streams completed [1-9]\d*, end->final p50 [\d.]+ s p95 [\d.]+ s; errors 0$", lines[-1]), lines


@pytest.fixture(scope="module")
def utterance_wav(spoken_utterance):
    return spoken_utterance["audio"]
