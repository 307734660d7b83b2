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
from asr.decode import beam_decode, greedy_decode
from asr.errors import AsrError
from asr.evaluate import predict_function
from asr.export import OnnxPredictor, current_onnx
from asr.features import HOP_LENGTH, log_mel
from asr.model import load_trained_model
from asr.tokenizer import make_tokenizer
from asr.word_timing import greedy_word_frames, timed_words

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
    lm: None, "run" (the LM and weights `asr evaluate` tuned for this run) or an ARPA file path.
    words: also return word timings and confidences (greedy or LM decoding).
    """

    BATCH_FRAMES, MAX_BATCH = 48000, 64  # chunks of several files share a batch, grouped by length

    def __init__(self, model_dir=None, strategy="greedy", beam_width=32, chunk_seconds=20.0, backend="auto",
                 lm=None, words=False):
        self.model_dir = resolve_model_dir(model_dir) if model_dir else default_model_dir()
        onnx = current_onnx(self.model_dir) if backend != "tf" else None
        if backend == "onnx" and onnx is None:
            raise AsrError(f"{self.model_dir}: no ONNX export of these weights (run `asr export {self.model_dir}`)")
        model, self.settings = load_trained_model(self.model_dir)  # also checks the directory
        self.backend = "onnx" if onnx else "tf"
        self.predict = OnnxPredictor(onnx) if onnx else tf_predictor(model)
        self.tokenizer = make_tokenizer(self.settings.get("vocabulary", []))
        if (lm or words) and not self.tokenizer.spells_words:
            raise AsrError(f"{self.model_dir}: --lm and word timings need a character model (this one outputs "
                           "symbols such as phones)")
        self.strategy, self.beam_width, self.chunk_seconds = strategy, beam_width, chunk_seconds
        self.lm_decoder = load_lm_decoder(lm, self.model_dir, beam_width) if lm else None
        if words and strategy == "beam" and not lm:
            raise AsrError("word timings need greedy decoding or --lm (TensorFlow's beam search keeps no frames)")
        self.words = words
        self.frame_seconds = self.settings["skip"] * HOP_LENGTH / SAMPLE_RATE

    def decode_chunk(self, logits, offset_seconds):
        """(T', V) logits of one chunk -> (text, timed words or None)."""
        if self.lm_decoder is not None:
            text, word_frames = self.lm_decoder.best_beam(logits)
        elif self.strategy == "greedy":
            text = self.tokenizer.decode(greedy_decode(logits[None], [len(logits)])[0])
            word_frames = greedy_word_frames(logits, self.tokenizer) if self.words else None
        else:
            text, word_frames = self.tokenizer.decode(beam_decode(logits[None], [len(logits)], self.beam_width)[0]), None
        if not self.words:
            return text, None
        return text, timed_words(word_frames, logits, self.frame_seconds, offset_seconds)

    def transcribe_many(self, recordings):
        """List of 16 kHz mono sample arrays -> list of (text, words or None), chunks batched by length."""
        owners, starts, features = [], [], []
        for k, samples in enumerate(recordings):
            for a, b in chunk_bounds(len(samples), self.chunk_seconds, frame_energy(samples)):
                owners.append(k)
                starts.append(a / SAMPLE_RATE)
                features.append(log_mel(samples[a:b]))
        decoded = [("", [])] * len(features)
        for batch in plan_batches([len(f) for f in features], self.BATCH_FRAMES, self.MAX_BATCH):
            logits, out_lengths = self.predict(*pad_batch([features[i] for i in batch]))
            for i, chunk_logits, length in zip(batch, logits, out_lengths):
                decoded[i] = self.decode_chunk(chunk_logits[:length], starts[i])
        texts, words = [[] for _ in recordings], [[] for _ in recordings]
        for owner, (text, chunk_words) in zip(owners, decoded):  # chunks are in time order within a recording
            texts[owner] += [text] if text else []
            words[owner] += chunk_words or []
        return [(" ".join(t), w if self.words else None) for t, w in zip(texts, words)]

    def transcribe_samples(self, samples):
        """16 kHz mono samples -> text."""
        return self.transcribe_many([samples])[0][0]


def load_lm_decoder(lm, model_dir, beam_width):
    """An LmDecoder: the run's tuned LM (lm="run") or an ARPA file with default weights."""
    from asr.lm_decode import LmDecoder
    if lm != "run":
        if not Path(lm).is_file():
            raise AsrError(f"{lm}: LM file not found")
        return LmDecoder(lm, beam_width=beam_width)
    weights_path = Path(model_dir).parent / "decode" / "lm_weights.json"
    if not weights_path.is_file():
        raise AsrError(f"{weights_path}: no tuned LM for this run (run the recipe's evaluate stage, "
                       "or pass --lm ARPA)")
    weights = json.loads(weights_path.read_text())
    if not Path(weights["arpa"]).is_file():
        raise AsrError(f"{weights['arpa']}: the LM named in {weights_path} is missing")
    return LmDecoder(weights["arpa"], weights["alpha"], weights["beta"], weights.get("beam_width", beam_width))


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
            text, words = next(texts)  # in the order of the group's readable files
            results.append({"file": str(path), "duration": round(len(samples) / SAMPLE_RATE, 3), "text": text,
                            **({"words": words} if words is not None else {})})
            if not as_json:
                print(text if len(paths) == 1 else f"{path}\t{text}", file=out, flush=True)
    if as_json:
        print(json.dumps(results, indent=2, ensure_ascii=False), file=out)
    failed = [r for r in results if "error" in r]
    if failed and len(results) > 1:
        print(f"asr transcribe: {len(failed)} of {len(results)} files could not be transcribed:", file=err)
        for result in failed:
            print(f"asr transcribe:   {result['error']}", file=err)
    return len(failed)
