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

from asr.serving.app import create_app, serving_in_thread
from asr.serving.limits import ServeLimits
from tests.serving import RATE, CountingRecognizer, Spy, tiny_exported_model, write_wav

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium; "
                                "`make test` installs it)")

WAV_RATE = 22050  # espeak-ng's rate: neither the context's rate nor 16 kHz, so both conversions are exercised
SILENCE = 0.5  # before the sound: the fake microphone starts before the page's graph is connected


def glide(seconds=2.5, rate=WAV_RATE):
    """A voice-like test sound: harmonics of a pitch gliding 110 -> 220 Hz, in syllable-like bursts. It has
    no period to confuse the alignment, and its energy is below 4 kHz as speech's mostly is."""
    t = np.arange(int(seconds * rate)) / rate
    phase = 2 * np.pi * (110 * t + 110 / (2 * seconds) * t ** 2)
    voice = sum(np.sin(k * phase) / k for k in range(1, 12))
    envelope = np.clip(np.sin(2 * np.pi * 2.5 * t), 0, None) ** 0.5
    sound = 0.25 * envelope * voice / np.abs(voice).max()
    return np.concatenate([np.zeros(int(SILENCE * rate)), sound]).astype(np.float32)


def best_correlation(heard, expected):
    """The highest normalised cross-correlation of `expected` against any stretch of `heard`."""
    from scipy.signal import correlate
    products = correlate(heard, expected, mode="valid")
    window = np.sqrt(np.convolve(heard ** 2, np.ones(len(expected)), mode="valid"))
    return float(np.max(products / (window * np.linalg.norm(expected) + 1e-9)))


@contextlib.contextmanager
def page_of(app, wav, profile):
    """Serve `app` and open its page in Chromium with the WAV as the microphone (on a closed network: the
    background flags keep Chromium from waiting on the network it cannot reach); yields (page, address)
    once the page has asked the server's /status."""
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
            page.goto(f"http://{address}/")
            page.wait_for_function("!document.getElementById('status').textContent.startsWith('connecting')",
                                   timeout=30000)
            yield page, address
        finally:
            browser.close()


def record(page, seconds):
    """Click Record, keep recording `seconds`, click Stop; the partial texts seen on the way."""
    page.click("#record")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('recording')", timeout=30000)
    partials, end = set(), time.monotonic() + seconds
    while time.monotonic() < end:
        partials.add(page.text_content("#partial"))
        time.sleep(0.05)
    page.click("#record")
    page.wait_for_selector("#transcript[data-closed]", state="attached", timeout=60000)
    return partials - {""}


@pytest.fixture(scope="module")
def transcriber(tmp_path_factory):
    from asr.inference.transcriber import Transcriber
    return Transcriber(tiny_exported_model(tmp_path_factory.mktemp("browser_model")), words=True)


def test_the_microphone_page_streams_a_known_wav_and_shows_its_transcript(transcriber, tmp_path):
    sound = glide()
    wav = write_wav(tmp_path / "mic.wav", sound, WAV_RATE)
    spy = Spy(CountingRecognizer())
    with page_of(create_app(transcriber, spy, ServeLimits(max_streams=2)), wav, tmp_path / "profile") as (page, _):
        partials = record(page, len(sound) / WAV_RATE + 1.0)
        closed, final = page.get_attribute("#transcript", "data-closed"), page.text_content("#final")
        status = page.text_content("#status")
    assert closed == "1000", status
    (heard,) = spy.heard
    assert final == f"{len(heard)} samples"  # the recogniser's final, shown on the page
    assert "1 s" in partials  # a partial was shown while recording (grey, replaced by the final)
    assert len(sound) / WAV_RATE <= len(heard) / RATE <= len(sound) / WAV_RATE + 4
    expected = soxr.resample(sound[int(SILENCE * WAV_RATE):], WAV_RATE, RATE)
    assert best_correlation(heard, expected) > 0.9  # the worklet's 16 kHz is the WAV, not noise or a wrong rate


def test_a_file_chosen_on_the_page_shows_its_transcript(transcriber, tmp_path):
    wav = write_wav(tmp_path / "file.wav", glide(), WAV_RATE)
    expected = transcriber.transcribe_samples(transcriber.load(wav))
    app = create_app(transcriber, None, ServeLimits(), "offline only")
    with page_of(app, wav, tmp_path / "profile") as (page, _):
        page.set_input_files("#file", str(wav))
        page.wait_for_function("!document.getElementById('files').textContent.includes('transcribing')",
                               timeout=60000)
        shown, status = page.text_content("#files"), page.text_content("#status")
    assert shown == f"file.wav (3.0 s): {expected}"
    assert "live transcription is off: offline only" in status


def test_a_refused_stream_shows_its_close_code_and_reason_on_the_page(tmp_path):
    wav = write_wav(tmp_path / "mic.wav", glide(), WAV_RATE)
    with page_of(create_app(None, CountingRecognizer(), ServeLimits(max_streams=0)), wav, tmp_path / "p") as (page, _):
        page.click("#record")
        page.wait_for_selector("#transcript[data-closed]", state="attached", timeout=30000)
        status, button = page.text_content("#status"), page.text_content("#record")
    assert status == "stream closed (1013 server busy, try again later: all 0 streams are in use; try again later)"
    assert button == "Record"
