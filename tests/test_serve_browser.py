"""The page of `asr serve` in a real headless Chromium (Debian's /usr/bin/chromium, driven by playwright):
its fake microphone plays a known WAV, the page's AudioWorklet sends it to /stream as 16 kHz PCM, and the
transcript must appear on the page; a file chosen on the page must show its POST /transcribe transcript.

The server's recogniser is wrapped in a spy that keeps what it heard, so the test checks both ends: the
audio that arrived is the WAV (cross-correlation with the WAV resampled by soxr), and the page shows the
text the recogniser gives for exactly that audio.
"""

import contextlib
import time
from pathlib import Path

import numpy as np
import pytest
import soxr

from asr.serving.access import Access
from asr.serving.app import create_app, serving_in_thread
from asr.serving.limits import ServeLimits
from tests.serving import RATE, Spy, write_wav

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium; "
                                "`make test` installs it)")

WAV_RATE = 22050  # neither the audio context's rate nor 16 kHz: Chromium's conversion and the worklet's both run
SILENCE = 0.5  # before the sound: the fake microphone starts before the page's graph is connected


def best_correlation(heard, expected):
    """The highest normalised cross-correlation of `expected` against any stretch of `heard`."""
    from scipy.signal import correlate
    products = correlate(heard, expected, mode="valid")
    window = np.sqrt(np.convolve(heard ** 2, np.ones(len(expected)), mode="valid"))
    return float(np.max(products / (window * np.linalg.norm(expected) + 1e-9)))


@contextlib.contextmanager
def page_of(app, wav, profile, query=""):
    """Serve `app` and open its page (with `query`: "?token=...") in Chromium with the WAV as the microphone
    (on a closed network: the background flags keep Chromium from waiting on the network it cannot reach);
    yields (page, address) once the page has asked the server's /status."""
    from playwright.sync_api import sync_playwright
    with serving_in_thread(app) as address, sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                  f"--use-file-for-fake-audio-capture={wav}"])
        try:
            page = browser.new_page()
            page.goto(f"http://{address}/{query}")
            page.wait_for_function("!document.getElementById('status').textContent.startsWith('connecting')",
                                   timeout=30000)
            yield page, address
        finally:
            browser.close()


def record(page, seconds):
    """Click Record, keep recording `seconds`, click Stop, wait for the server to close the stream."""
    page.click("#record")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('recording')", timeout=30000)
    time.sleep(seconds)
    page.click("#record")
    page.wait_for_selector("#transcript[data-closed]", state="attached", timeout=60000)


@pytest.fixture(scope="module")
def speech(spoken_utterance):
    """An utterance of the tiny corpus the tiny streaming model speaks for, at WAV_RATE, after SILENCE seconds
    of silence."""
    from asr.data.audio import load_audio
    return np.concatenate([np.zeros(int(SILENCE * WAV_RATE), np.float32),
                           load_audio(spoken_utterance["audio"], WAV_RATE)])


def final_text(recognizer, pieces):
    """The text the page shows for the finals of the recogniser given these pieces of audio, in these pieces
    (an end-point restarts the network's state, and it is seen at the first step past it: where the steps
    fall depends on the pieces, so other pieces may cut the utterances elsewhere)."""
    stream = recognizer.new_stream()
    events = [event for piece in pieces for event in stream.accept(piece)] + stream.finish()
    return " ".join(e["text"] for e in events if e["type"] == "final" and e["text"])


def test_the_microphone_page_streams_a_known_wav_and_shows_its_transcript(streaming_transcriber,
                                                                         streaming_recognizer, speech, tmp_path):
    wav = write_wav(tmp_path / "mic.wav", speech, WAV_RATE)
    spy = Spy(streaming_recognizer)
    app = create_app(streaming_transcriber, spy, ServeLimits(max_streams=2))
    with page_of(app, wav, tmp_path / "profile") as (page, _):
        # Chromium's fake microphone loops the file from wherever it was when the page connected (late on a busy
        # machine: the speech's start was missed once), so two lengths of it always hold one whole copy
        record(page, 2 * len(speech) / WAV_RATE + 1.0)
        closed, final = page.get_attribute("#transcript", "data-closed"), page.text_content("#final")
        partials, status = page.get_attribute("#transcript", "data-partials"), page.text_content("#status")
    assert closed == "1000", status
    (pieces,) = spy.heard
    heard = np.concatenate(pieces)
    # the worklet's 16 kHz is the WAV (not noise, not another rate), from its first word on
    assert 2 * len(speech) / WAV_RATE <= len(heard) / RATE <= 2 * len(speech) / WAV_RATE + 4
    expected = soxr.resample(speech[int(SILENCE * WAV_RATE):], WAV_RATE, RATE)
    assert best_correlation(heard, expected) > 0.9
    # the page shows the recogniser's transcript of that audio, and showed partials on the way
    assert final == final_text(streaming_recognizer, pieces) != ""
    assert int(partials or 0) >= 1


def test_a_file_chosen_on_the_page_shows_its_transcript(streaming_transcriber, speech, tmp_path):
    wav = write_wav(tmp_path / "file.wav", speech, WAV_RATE)
    expected = streaming_transcriber.transcribe_samples(streaming_transcriber.load(wav))
    app = create_app(streaming_transcriber, None, ServeLimits(), "offline only")
    with page_of(app, wav, tmp_path / "profile") as (page, _):
        page.set_input_files("#file", str(wav))
        page.wait_for_function("!document.getElementById('files').textContent.includes('transcribing')",
                               timeout=60000)
        shown, status = page.text_content("#files"), page.text_content("#status")
    assert expected != "" and shown == f"file.wav ({len(speech) / WAV_RATE:.1f} s): {expected}"
    assert "live transcription is off: offline only" in status


def test_a_refused_stream_shows_its_close_code_and_reason_on_the_page(streaming_transcriber, streaming_recognizer,
                                                                      speech, tmp_path):
    wav = write_wav(tmp_path / "mic.wav", speech, WAV_RATE)
    app = create_app(streaming_transcriber, streaming_recognizer, ServeLimits(max_streams=0))
    with page_of(app, wav, tmp_path / "profile") as (page, _):
        page.click("#record")
        page.wait_for_selector("#transcript[data-closed]", state="attached", timeout=30000)
        status, button = page.text_content("#status"), page.text_content("#record")
    assert status == "stream closed (1013 server busy, try again later: all 0 streams are in use; try again later)"
    assert button == "Record"


def test_the_page_opened_with_the_servers_token_streams_and_uploads_with_it(streaming_transcriber,
                                                                           streaming_recognizer, speech, tmp_path):
    """With --token every request needs it: the page passes the token of its address on to its script, the
    AudioWorklet, /status, the WebSocket and the upload (the server refuses any of them without it)."""
    wav = write_wav(tmp_path / "file.wav", speech, WAV_RATE)
    expected = streaming_transcriber.transcribe_samples(streaming_transcriber.load(wav))
    app = create_app(streaming_transcriber, streaming_recognizer, ServeLimits(max_streams=2),
                     access=Access("tok en/&?"))  # characters an address must escape
    with page_of(app, wav, tmp_path / "profile", "?token=tok%20en%2F%26%3F") as (page, _):
        ready = page.text_content("#status")
        record(page, 1.5)
        closed = page.get_attribute("#transcript", "data-closed")
        page.set_input_files("#file", str(wav))
        page.wait_for_function("!document.getElementById('files').textContent.includes('transcribing')",
                               timeout=60000)
        shown = page.text_content("#files")
    assert (ready, closed) == ("ready", "1000")
    assert expected != "" and shown == f"file.wav ({len(speech) / WAV_RATE:.1f} s): {expected}"
