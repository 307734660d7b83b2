"""Offline transcription: audio files -> features -> model -> decoded text, long files in chunks.

Uses exactly the training feature function (asr.features.log_mel). A file longer than `chunk_seconds`
is cut at the quietest 10 ms frame in the last quarter of each chunk-sized window, so cuts fall in
pauses rather than inside words; chunk transcripts are joined with spaces.
"""

import json
from pathlib import Path

import numpy as np

from asr.audio import SAMPLE_RATE, load_audio
from asr.data import pad_batch, plan_batches
from asr.decode import decode
from asr.errors import AsrError
from asr.evaluate import predict_function
from asr.export import OnnxPredictor, current_onnx
from asr.features import HOP_LENGTH, log_mel
from asr.model import load_trained_model
from asr.tokenizer import CharTokenizer

RECIPES_DIR = Path(__file__).resolve().parent.parent / "recipes"
DEFAULT_RECIPE = "synth_en"


PAUSE_FRAMES = 21  # energy is averaged over 210 ms so cuts fall inside pauses, not at their edges
PAUSE_LEVEL = 0.05  # a pause: smoothed energy below 5 % of the file's median frame energy
MIN_CHUNK_SECONDS = 0.5


def frame_energy(samples):
    """Per-10 ms energy averaged over PAUSE_FRAMES frames: (N,) samples -> (N // 160,)."""
    frames = len(samples) // HOP_LENGTH
    energy = (samples[:frames * HOP_LENGTH].reshape(frames, HOP_LENGTH) ** 2).mean(axis=1)  # (N,) -> (F,)
    return np.convolve(energy, np.ones(PAUSE_FRAMES) / PAUSE_FRAMES, mode="same")


def pause_cuts(energy):
    """Sample positions in the middle of every pause (a run of frames below PAUSE_LEVEL)."""
    quiet = energy < PAUSE_LEVEL * max(np.median(energy), 1e-12)
    edges = np.flatnonzero(np.diff(quiet.astype(np.int8)))  # run starts and ends
    starts, ends = edges[quiet[edges + 1]] + 1, edges[~quiet[edges + 1]] + 1
    return [((a + b) // 2) * HOP_LENGTH for a in starts for b in ends[ends > a][:1]]


def chunk_bounds(num_samples, chunk_seconds, energy):
    """(start, end) sample ranges covering the file, each at most about chunk_seconds long.

    A file within the limit stays whole. A longer one is cut in the middle of every pause (the model
    was trained on single sentences), and a piece still too long is cut at the quietest 10 ms in the
    last quarter of each chunk-sized window. Pieces shorter than MIN_CHUNK_SECONDS join a neighbour.
    """
    limit = int(chunk_seconds * SAMPLE_RATE)
    if num_samples <= limit:
        return [(0, num_samples)]
    cuts, pauses = [], pause_cuts(energy)
    for start, end in zip([0] + pauses, pauses + [num_samples]):
        while end - start > limit:
            lo, hi = (start + limit * 3 // 4) // HOP_LENGTH, (start + limit) // HOP_LENGTH
            start = (lo + int(np.argmin(energy[lo:hi]))) * HOP_LENGTH if hi > lo else start + limit
            cuts.append(start)
        cuts.append(end)
    shortest = MIN_CHUNK_SECONDS * SAMPLE_RATE
    bounds, start = [], 0
    for cut in cuts[:-1]:  # the last cut is the file's end
        if cut - start >= shortest and num_samples - cut >= shortest:
            bounds.append((start, cut))
            start = cut
    return bounds + [(start, num_samples)]


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


def tf_predictor(model):
    """(features, lengths) -> (logits, out_lengths) numpy arrays, computed by TensorFlow."""
    predict = predict_function(model)
    return lambda features, lengths: tuple(t.numpy() for t in predict(features, lengths))


class Transcriber:
    """Audio -> text with a trained model: onnxruntime when a current export exists, TensorFlow otherwise.

    backend: "auto" (ONNX if `asr export` wrote one for these weights), "onnx" or "tf".
    """

    BATCH_FRAMES, MAX_BATCH = 48000, 64  # chunks of several files share a batch, grouped by length

    def __init__(self, model_dir=None, strategy="greedy", beam_width=16, chunk_seconds=20.0, backend="auto"):
        self.model_dir = resolve_model_dir(model_dir) if model_dir else default_model_dir()
        onnx = current_onnx(self.model_dir) if backend != "tf" else None
        if backend == "onnx" and onnx is None:
            raise AsrError(f"{self.model_dir}: no ONNX export of these weights (run `asr export {self.model_dir}`)")
        model, self.settings = load_trained_model(self.model_dir)  # also checks the directory
        self.backend = "onnx" if onnx else "tf"
        self.predict = OnnxPredictor(onnx) if onnx else tf_predictor(model)
        self.tokenizer = CharTokenizer()
        self.strategy, self.beam_width, self.chunk_seconds = strategy, beam_width, chunk_seconds

    def transcribe_many(self, recordings):
        """List of 16 kHz mono sample arrays -> list of texts, all chunks batched together by length."""
        owners, features = [], []
        for k, samples in enumerate(recordings):
            for a, b in chunk_bounds(len(samples), self.chunk_seconds, frame_energy(samples)):
                owners.append(k)
                features.append(log_mel(samples[a:b]))
        texts = [""] * len(features)
        for batch in plan_batches([len(f) for f in features], self.BATCH_FRAMES, self.MAX_BATCH):
            logits, out_lengths = self.predict(*pad_batch([features[i] for i in batch]))
            for i, ids in zip(batch, decode(logits, out_lengths, self.strategy, self.beam_width)):
                texts[i] = self.tokenizer.decode(ids)
        joined = [[] for _ in recordings]
        for owner, text in zip(owners, texts):  # chunks are in time order within each recording
            if text:
                joined[owner].append(text)
        return [" ".join(parts) for parts in joined]

    def transcribe_samples(self, samples):
        """16 kHz mono samples -> text."""
        return self.transcribe_many([samples])[0]


GROUP_SECONDS = 600  # audio decoded together: short files fill batches, memory stays bounded


def loaded_groups(paths, err):
    """Yield lists of (path, samples or error text), each holding up to GROUP_SECONDS of audio."""
    group, seconds = [], 0.0
    for path in paths:
        try:
            samples = load_audio(path)
        except AsrError as e:
            print(f"asr transcribe: {e}", file=err, flush=True)
            samples = str(e)
        group.append((path, samples))
        seconds += len(samples) / SAMPLE_RATE if not isinstance(samples, str) else 0.0
        if seconds >= GROUP_SECONDS:
            yield group
            group, seconds = [], 0.0
    if group:
        yield group


def transcribe_paths(paths, transcriber, as_json, out, err):
    """Transcribe each path in order; a bad file gets one line on `err` and the rest go on.

    Returns the number of files that failed.
    """
    results = []
    for group in loaded_groups(paths, err):
        texts = iter(transcriber.transcribe_many([s for _, s in group if not isinstance(s, str)]))
        for path, samples in group:
            if isinstance(samples, str):
                results.append({"file": str(path), "error": samples})
                continue
            text = next(texts)  # in the order of the group's readable files
            results.append({"file": str(path), "duration": round(len(samples) / SAMPLE_RATE, 3), "text": text})
            if not as_json:
                print(text if len(paths) == 1 else f"{path}\t{text}", file=out, flush=True)
    if as_json:
        print(json.dumps(results, indent=2, ensure_ascii=False), file=out)
    return sum("error" in r for r in results)
