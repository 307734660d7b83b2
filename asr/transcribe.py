"""Offline transcription: audio files -> features -> model -> decoded text, long files in chunks.

Uses exactly the training feature function (asr.features.log_mel). A file longer than `chunk_seconds`
is cut at the quietest 10 ms frame in the last quarter of each chunk-sized window, so cuts fall in
pauses rather than inside words; chunk transcripts are joined with spaces.
"""

import json
from pathlib import Path

import numpy as np

from asr.audio import SAMPLE_RATE, load_audio
from asr.data import pad_batch
from asr.decode import decode
from asr.errors import AsrError
from asr.evaluate import predict_function
from asr.features import HOP_LENGTH, log_mel
from asr.model import load_trained_model
from asr.tokenizer import CharTokenizer

RECIPES_DIR = Path(__file__).resolve().parent.parent / "recipes"
DEFAULT_RECIPE = "synth_en"


def chunk_bounds(num_samples, chunk_seconds, energy):
    """(start, end) sample ranges of at most chunk_seconds, cut at low-energy frames.

    energy: (num_samples // HOP_LENGTH,) per-10 ms frame energy.
    """
    limit = int(chunk_seconds * SAMPLE_RATE)
    bounds, start = [], 0
    while num_samples - start > limit:
        lo, hi = (start + limit * 3 // 4) // HOP_LENGTH, (start + limit) // HOP_LENGTH
        cut = (lo + int(np.argmin(energy[lo:hi]))) * HOP_LENGTH if hi > lo else start + limit
        bounds.append((start, cut))
        start = cut
    bounds.append((start, num_samples))
    return bounds


PAUSE_FRAMES = 21  # energy is averaged over 210 ms so cuts fall inside pauses, not at their edges


def frame_energy(samples):
    """Per-10 ms energy averaged over PAUSE_FRAMES frames: (N,) samples -> (N // 160,)."""
    frames = len(samples) // HOP_LENGTH
    energy = (samples[:frames * HOP_LENGTH].reshape(frames, HOP_LENGTH) ** 2).mean(axis=1)  # (N,) -> (F,)
    return np.convolve(energy, np.ones(PAUSE_FRAMES) / PAUSE_FRAMES, mode="same")


def default_model_dir():
    """The most recently trained model of the default recipe."""
    candidates = sorted((RECIPES_DIR / DEFAULT_RECIPE / "exp").glob("*/model/model.weights.h5"),
                        key=lambda p: p.stat().st_mtime)
    if not candidates:
        raise AsrError(f"no trained model under {RECIPES_DIR / DEFAULT_RECIPE / 'exp'} "
                       "(run the default recipe first, or pass --model RUN_DIR)")
    return candidates[-1].parent


def resolve_model_dir(path):
    """Accept a run directory or its model/ directory."""
    path = Path(path)
    return path / "model" if (path / "model").is_dir() else path


class Transcriber:
    def __init__(self, model_dir=None, strategy="greedy", beam_width=16, chunk_seconds=20.0):
        self.model_dir = resolve_model_dir(model_dir) if model_dir else default_model_dir()
        self.model, self.settings = load_trained_model(self.model_dir)
        self.predict = predict_function(self.model)
        self.tokenizer = CharTokenizer()
        self.strategy, self.beam_width, self.chunk_seconds = strategy, beam_width, chunk_seconds

    def transcribe_samples(self, samples):
        """16 kHz mono samples -> text."""
        bounds = chunk_bounds(len(samples), self.chunk_seconds, frame_energy(samples))
        features, lengths = pad_batch([log_mel(samples[a:b]) for a, b in bounds])
        logits, out_lengths = self.predict(features, lengths)
        ids = decode(logits.numpy(), out_lengths.numpy(), self.strategy, self.beam_width)
        return " ".join(t for t in (self.tokenizer.decode(i) for i in ids) if t)

    def transcribe_file(self, path):
        samples = load_audio(path)
        return {"file": str(path), "duration": round(len(samples) / SAMPLE_RATE, 3),
                "text": self.transcribe_samples(samples)}


def transcribe_paths(paths, transcriber, as_json, out, err):
    """Transcribe each path; a bad file gets one line on `err` and the rest go on. Returns failures."""
    results, failures = [], 0
    for path in paths:
        try:
            result = transcriber.transcribe_file(path)
        except AsrError as e:
            print(f"asr transcribe: {e}", file=err, flush=True)
            failures += 1
            results.append({"file": str(path), "error": str(e)})
            continue
        results.append(result)
        if not as_json:
            print(result["text"] if len(paths) == 1 else f"{path}\t{result['text']}", file=out, flush=True)
    if as_json:
        print(json.dumps(results, indent=2, ensure_ascii=False), file=out)
    return failures
