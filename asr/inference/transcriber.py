"""Offline transcription: audio files -> features -> model -> decoded text, long files in chunks.

Features are computed by the training feature function with the settings the model was trained on
(model.json), so a model never hears other features than it learned from. Long files are cut in pauses
(asr.inference.chunking); pieces of many files share batches of similar length; chunk transcripts are
joined with spaces and word times are offset to the start of the file. Files are read block by block
(asr.data.audio.stream_audio), so memory does not grow with their length.
"""

import json
import logging
from pathlib import Path

from asr.data.audio import InMemoryAudio, load_audio, readable_path, stream_audio
from asr.data.audio_checks import LevelCheck
from asr.data.batching import plan_batches
from asr.data.features import frame_seconds, log_mel
from asr.data.padding import pad_batch
from asr.decoding.hotwords import parse_hotwords
from asr.decoding.strategies import make_decoder, strategy
from asr.decoding.word_timing import timed_words
from asr.errors import AsrError
from asr.fileio import printable_path
from asr.inference.backends import choose_backend
from asr.inference.chunking import chunk_bounds, cut_stream, frame_energy, hop_energies, smoothed
from asr.layout import run_of_model
from asr.models.model_dir import read_model_info

log = logging.getLogger(__name__)

RUN_LM = "run"  # lm= this: the run's word LM with the weights `asr evaluate` tuned on dev


def load_predictor(info, backend):
    """(backend name, predictor) of a model for a backend of asr.inference.backends."""
    name, onnx = choose_backend(info, backend)
    if onnx is not None:
        from asr.inference.onnx_predictor import OnnxPredictor
        predictor = OnnxPredictor(onnx)
        if predictor.feature_dim != info.features.n_mels:
            raise AsrError(f"{onnx}: takes {predictor.feature_dim} features per frame, but {info.layout.json.name} "
                           f"records n_mels {info.features.n_mels}: the model directory is inconsistent")
        return name, predictor
    from asr.models.model_dir import build_trained_model
    from asr.models.predict import tf_predictor
    return name, tf_predictor(build_trained_model(info))


def run_lm(info):
    """The tuned-LM record (lm_weights.json) of the run the model belongs to."""
    weights_path = run_of_model(info.layout).lm_weights
    if not weights_path.is_file():
        raise AsrError(f"{weights_path}: no tuned LM for this run (run the recipe's evaluate stage, or pass --lm-arpa)")
    weights = json.loads(weights_path.read_text())
    if not Path(weights["arpa"]).is_file():
        raise AsrError(f"{weights['arpa']}: the LM named in {weights_path} is missing")
    return weights


def times_words(model_dir, strategy_name=None):
    """Whether a model decoded with a strategy (None: the model's own) can give word timings: a character
    model and a strategy that keeps word frames (greedy, beam_lm)."""
    info = read_model_info(model_dir)
    return info.tokenizer.spells_words and strategy(strategy_name or info.decode.strategy).word_frames


class Transcriber:
    """Audio -> text with a trained model.

    strategy, beam_width, chunk_seconds: None takes the model's own decoding defaults (model.json).
    backend: one of asr.inference.backends.BACKENDS ("auto": ONNX if `asr export` wrote one for these weights).
    lm: for a strategy that uses an LM: RUN_LM (the run's tuned LM, the default) or an ARPA file path.
    words: also return word timings and confidences (strategies that keep word frames).
    hotwords: [(spec "word[:weight]", where it was given), ...] for a strategy that favours hot-words.
    nbest: also return the nbest alternatives of each file (strategies that keep several hypotheses).
    """

    BATCH_FRAMES, MAX_BATCH = 48000, 64  # chunks of several files share a batch, grouped by length

    def __init__(self, model_dir, strategy_name=None, beam_width=None, chunk_seconds=None, backend="auto",
                 lm=None, words=False, hotwords=(), nbest=None):
        self.info = info = read_model_info(model_dir)
        self.strategy = strategy(strategy_name or info.decode.strategy)
        self.check_strategy(words, lm, hotwords, nbest)
        hot = parse_hotwords(hotwords, info.tokenizer.symbols) if hotwords else None  # before the LM loads
        if self.strategy.uses_lm and lm in (None, RUN_LM):
            lm = run_lm(info)
        self.decoder = make_decoder(self.strategy.name, info.tokenizer, beam_width or info.decode.beam_width, lm)
        if hot is not None:
            self.decoder.hotwords = hot
        if nbest is not None and nbest > self.decoder.beam_width:
            raise AsrError(f"{nbest} alternatives asked for, more than the beam width {self.decoder.beam_width} keeps")
        self.backend, self.predict = load_predictor(info, backend)
        self.chunk_seconds = chunk_seconds or info.decode.chunk_seconds
        self.words, self.nbest = words, nbest
        self.frame_seconds = info.model.skip * frame_seconds(info.features)

    def check_strategy(self, words, lm, hotwords, nbest):
        """AsrError when the strategy cannot do what is asked of it."""
        name, tokenizer = self.strategy.name, self.info.tokenizer
        if words and not self.strategy.word_frames:
            raise AsrError(f"word timings need a strategy that keeps word frames (not {name})")
        if (words or self.strategy.uses_lm) and not tokenizer.spells_words:
            raise AsrError(f"{self.info.layout.root}: LM decoding and word timings need a character model (this one "
                           "outputs symbols such as phones)")
        if lm is not None and not self.strategy.uses_lm:
            raise AsrError(f"an LM was given, but strategy {name} decodes without one (use beam_lm)")
        if hotwords and not self.strategy.hotwords:
            raise AsrError(f"hot-words need the word-LM beam search (beam_lm), not {name}")
        if nbest is not None and not self.strategy.nbest:
            raise AsrError(f"alternatives (n-best lists) need a beam search (beam, beam_lm), not {name}")

    def decode_chunk(self, logits, offset_seconds):
        """(T', V) logits of one chunk -> (text, timed words or None, [(text, score)] alternatives or None)."""
        alternatives = self.decoder.decode_nbest(logits, self.nbest) if self.nbest else None
        if not self.words:  # the best alternative is the transcript: TensorFlow's beam search asked for one path
            # and for two may break a near-tie (the random test model's two best differ by 0.01 nats) either way
            return alternatives[0][0] if alternatives else self.decoder.decode([logits])[0], None, alternatives
        text, word_frames = self.decoder.decode_with_frames(logits)
        return text, timed_words(word_frames, logits, self.frame_seconds, offset_seconds), alternatives

    def chunks(self, samples):
        """[(start seconds, features)] of the pieces chunk_bounds cuts mono samples at the model's rate into."""
        config = self.info.features
        rate, hop = config.sample_rate, config.hop_length
        return [(a / rate, log_mel(samples[a:b], config))
                for a, b in chunk_bounds(len(samples), self.chunk_seconds, frame_energy(samples, hop), rate, hop)]

    def plan_file(self, path, name=None):
        """(seconds, chunk bounds) of an audio file, from one pass over its blocks: every problem of the
        file is an AsrError naming it (as `name`) here, before any of it is transcribed."""
        config = self.info.features
        rate, hop, levels = config.sample_rate, config.hop_length, LevelCheck()
        energy, length = hop_energies(stream_audio(path, rate, name, levels), hop)
        for warning in levels.warnings():  # usable audio, but the user should know why a transcript may be poor
            log.warning(f"{name or path}: warning: {warning}")
        return length / rate, chunk_bounds(length, self.chunk_seconds, smoothed(energy), rate, hop)

    def file_chunks(self, path, bounds, name=None):
        """Yield (start seconds, features) of each chunk of a file, reading it block by block again."""
        config = self.info.features
        for start, samples in cut_stream(stream_audio(path, config.sample_rate, name), bounds):
            yield start / config.sample_rate, log_mel(samples, config)

    def decode_chunks(self, chunks):
        """[(start seconds, features)] -> [(text, timed words or None)], in batches of similar length."""
        decoded = [None] * len(chunks)
        for batch in plan_batches([len(f) for _, f in chunks], self.BATCH_FRAMES, self.MAX_BATCH):
            logits, out_lengths = self.predict(*pad_batch([chunks[i][1] for i in batch]))
            for i, chunk_logits, length in zip(batch, logits, out_lengths):
                decoded[i] = self.decode_chunk(chunk_logits[:length], chunks[i][0])
        return decoded

    def transcribe_many(self, recordings):
        """List of mono sample arrays at the model's rate -> list of (text, words or None), chunks batched
        (transcribe_files over them); AsrError naming the first recording that is not usable audio."""
        rate = self.info.features.sample_rate
        sources = [InMemoryAudio(samples, rate, f"recording {k}") for k, samples in enumerate(recordings)]
        results = list(transcribe_files(sources, self))
        for result in results:
            if "error" in result:
                raise AsrError(result["error"])
        return [(result["text"], result.get("words")) for result in results]

    def transcribe_samples(self, samples):
        """Mono samples at the model's rate -> text."""
        return self.transcribe_many([samples])[0][0]

    def load(self, path):
        """A file's samples as the model needs them; AsrError naming the file otherwise."""
        return load_audio(path, self.info.features.sample_rate)


class FileTranscript:
    """One file's transcript as its chunks are decoded (in time order), or the error that stopped it."""

    def __init__(self, file, nbest=None):
        self.file, self.duration, self.chunks_left, self.nbest = file, None, 0, nbest
        self.texts, self.words, self.error = [], [], None
        self.alternatives = [("", 0.0)]  # with nbest: the file's best [(text, score)] of its chunks so far

    def add(self, text, words, alternatives=None):
        self.texts += [text] if text else []
        self.words += words or []
        if self.nbest:
            self.alternatives = joined_nbest(self.alternatives, alternatives, self.nbest)
        self.chunks_left -= 1

    def text(self):
        return " ".join(self.texts)

    def result(self, with_words):
        if self.error is not None:
            return {"file": self.file, "error": self.error}
        alternatives = [{"text": text, "score": round(score, 3)} for text, score in self.alternatives]
        return {"file": self.file, "duration": round(self.duration, 3), "text": self.text(),
                **({"words": self.words} if with_words else {}),
                **({"alternatives": alternatives} if self.nbest else {})}


def joined_nbest(firsts, seconds, n):
    """The n best distinct [(text, score)] of a text of `firsts` followed by one of `seconds` (the
    alternatives of consecutive chunks): scores add, a text reached twice keeps its best score."""
    best = {}
    for first, first_score in firsts:
        for second, second_score in seconds:
            text = " ".join(t for t in (first, second) if t)
            best[text] = max(best.get(text, float("-inf")), first_score + second_score)
    return sorted(best.items(), key=lambda item: item[1], reverse=True)[:n]


GROUP_SECONDS = 600  # audio whose chunks are decoded together: short files fill batches, memory stays bounded


def printable_name(source):
    """How results and errors name a source: a path printably (asr.fileio.printable_path), audio in memory by
    its own name."""
    return str(source) if isinstance(source, InMemoryAudio) else printable_path(source)


def transcribe_files(sources, transcriber, names=None, group_seconds=GROUP_SECONDS):
    """Yield one result per source, in order: {file, duration, text[, words][, alternatives]} or {file, error}.
    The one loop from audio to transcripts: `asr transcribe`, the Python API and Transcriber.transcribe_many.

    sources: audio file paths (STDIN reads standard input) or asr.data.audio.InMemoryAudio; names: how the
    results and error messages name them (default: the path). Files are read block by block, twice
    (asr.data.audio, asr.inference.chunking): memory holds at most `group_seconds` of chunk features,
    whatever the files' lengths; chunks of several files share batches. A source that cannot be read costs
    only its own result.
    """
    transcripts, queue, seconds = [], [], 0.0
    for source, name in zip(sources, names or [None] * len(sources), strict=True):
        transcripts.append(transcript := FileTranscript(name or printable_name(source), transcriber.nbest))
        for start, features in chunks_or_error(transcriber, source, transcript):
            queue.append((transcript, (start, features)))
            seconds += len(features) * frame_seconds(transcriber.info.features)
            if seconds >= group_seconds:  # decoded out here: a decoding problem is not this file's error
                yield from decode_queue(transcriber, queue, transcripts)
                queue, seconds = [], 0.0
    yield from decode_queue(transcriber, queue, transcripts)


def chunks_or_error(transcriber, source, transcript):
    """Yield (start seconds, features) of each chunk of a source; a problem with it (found by the planning
    pass, before any chunk) becomes the transcript's error instead."""
    try:
        with readable_path(source) as readable:
            transcript.duration, bounds = transcriber.plan_file(readable, transcript.file)
            transcript.chunks_left = len(bounds)
            yield from transcriber.file_chunks(readable, bounds, transcript.file)
    except AsrError as e:
        transcript.error = str(e)


def decode_queue(transcriber, queue, transcripts):
    """Decode the queued (transcript, chunk) pairs, then yield (and drop) the results of the files at the
    front of `transcripts` that are complete."""
    for (transcript, _), decoded in zip(queue, transcriber.decode_chunks([chunk for _, chunk in queue])):
        transcript.add(*decoded)
    while transcripts and (transcripts[0].error is not None or transcripts[0].chunks_left == 0):
        yield transcripts.pop(0).result(transcriber.words)
