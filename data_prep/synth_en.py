"""Default corpus: WordNet 3.0 example sentences spoken by espeak-ng voices. No download needed.

Needs the Debian packages `wordnet-base` (the sentences) and `espeak-ng` (the voices).
Sentences are split by sentence with a fixed seed; some voices never appear in training and speak the
`test_unseen_voices` split. Every utterance's voice, rate and pitch derive from (seed, utterance index),
so a run is deterministic, and finished WAV files are skipped when the stage is re-run.
"""

import hashlib
import io
import json
import logging
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf

from asr.data.audio import SAMPLE_RATE, to_mono
from asr.data.manifest import is_done, write_manifests
from asr.data.text_normalisation import NORMALISATION_VERSION, UnspellableText, normalize_text
from asr.errors import AsrError
from asr.fileio import write_bytes, write_text
from asr.layout import DataLayout
from asr.workers import worker_pool

log = logging.getLogger(__name__)

WORDNET_DIR = Path("/usr/share/wordnet")
_QUOTED = re.compile(r'"([^"]+)"')
# Written forms espeak-ng would read differently from their spelling: digits, symbols, acronyms,
# abbreviations with periods, and a few common abbreviations without them.
_UNSPEAKABLE = re.compile(r"[0-9&%$#@+=/\\_<>\[\]{}()*~^|]|\b[A-Z]{2,}\b|\b\w+\.\w")
_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "vs", "etc", "jr", "sr", "co", "ltd", "inc", "no"}
_WORD = re.compile(r"[a-z']+")


def wordnet_glosses_raw(wordnet_dir=WORDNET_DIR):
    """The gloss (definition; "examples") of every synset in the WordNet data files, as written."""
    files = [Path(wordnet_dir) / f"data.{pos}" for pos in ("noun", "verb", "adj", "adv")]
    if not all(f.is_file() for f in files):
        raise AsrError(f"{wordnet_dir}: WordNet data files not found (install the Debian package wordnet-base)")
    return [line.split("|", 1)[1] for path in files for line in path.read_text(encoding="latin-1").splitlines()
            if not line.startswith("  ") and "|" in line]


def wordnet_sentences(wordnet_dir=WORDNET_DIR):
    """All quoted example sentences from the WordNet data files, as written."""
    return [q.strip() for gloss in wordnet_glosses_raw(wordnet_dir) for q in _QUOTED.findall(gloss)]


def wordnet_glosses(wordnet_dir=WORDNET_DIR):
    """WordNet's definitions with the quoted examples cut out: LM text that holds no corpus sentence.

    One normalised line per ";"-separated piece; a piece the vocabulary cannot spell is left out, counted.
    """
    definitions = (_QUOTED.sub(" ", gloss) for gloss in wordnet_glosses_raw(wordnet_dir))
    spelled = [_spelled_or_none(piece) for definition in definitions for piece in definition.split(";")]
    if None in spelled:
        log.info(f"synth_en: {spelled.count(None)} WordNet definition pieces left out of the LM text: "
                 "characters the vocabulary cannot spell (e.g. 'and/or', 'x^2')")
    return [text for text in spelled if text]


def _spelled_or_none(text):
    """The normalised text, or None when the vocabulary cannot spell it."""
    try:
        return normalize_text(text)
    except UnspellableText:
        return None


def write_lm_text(out_dir, wordnet_dir=WORDNET_DIR):
    """DATA_DIR/lm/wordnet_glosses.txt, the extra text the recipe's word LM is estimated from."""
    path = DataLayout(out_dir).lm / "wordnet_glosses.txt"
    made_by = path.with_suffix(".json")  # the normalisation rule it was written under
    wanted = {"normalisation": NORMALISATION_VERSION}
    if not path.is_file() or not made_by.is_file() or json.loads(made_by.read_text()) != wanted:
        write_text(path, "\n".join(wordnet_glosses(wordnet_dir)) + "\n")
        write_text(made_by, json.dumps(wanted) + "\n")
        log.info(f"synth_en: wrote LM text {path}")
    return path


def speakable_sentences(raw_sentences, min_words, max_words):
    """Normalised, de-duplicated, sorted sentences whose spoken form equals their written form.

    Abbreviations are looked for in the written words: normalisation now spells most of them out, but
    leaving those sentences out, as before it did, keeps the default corpus (and its published results)
    what it was.
    """
    kept = set()
    for raw in raw_sentences:
        written_words = {w.strip("'") for w in _WORD.findall(raw.lower())}
        if _UNSPEAKABLE.search(raw) or _ABBREVIATIONS.intersection(written_words):
            continue
        text = _spelled_or_none(raw)
        if text is not None and min_words <= len(text.split()) <= max_words:
            kept.add(text)
    return sorted(kept)


def split_sentences(sentences, config):
    """Seeded shuffle, then disjoint dev / test / test_unseen_voices / train sentence lists."""
    order = np.random.default_rng(config.seed).permutation(len(sentences))
    shuffled = [sentences[i] for i in order]
    sizes = [("dev", config.dev_sentences), ("test", config.test_sentences),
             ("test_unseen_voices", config.unseen_voice_sentences), ("train", config.train_sentences)]
    splits, start = {}, 0
    for name, size in sizes:
        splits[name] = shuffled[start:start + size]
        start += size
    if len(splits["train"]) < config.train_sentences:
        log.warning(f"synth_en: only {len(splits['train'])} train sentences available "
                    f"(config asks for {config.train_sentences})")
    return splits


def split_voices(config):
    """(seen voices, unseen voices): every accent+variant pair, a seeded few held out of training."""
    voices = [f"{a}+{v}" for a in config.accents for v in config.variants]
    if not 0 < config.unseen_voices < len(voices):
        raise AsrError(f"corpus.unseen_voices must be between 1 and {len(voices) - 1}")
    order = np.random.default_rng(config.seed + 1).permutation(len(voices))
    unseen = sorted(voices[i] for i in order[:config.unseen_voices])
    return [v for v in voices if v not in unseen], unseen


def utterance_jobs(splits, seen, unseen, config, wav_dir):
    """One synthesis job per utterance; voice, rate and pitch drawn from rng(seed, split, index)."""
    jobs = []
    for split_index, (name, texts) in enumerate(sorted(splits.items())):
        voices = unseen if name == "test_unseen_voices" else seen
        for i, text in enumerate(texts):
            rng = np.random.default_rng([config.seed, split_index, i])
            voice = voices[rng.integers(len(voices))]
            jobs.append({"split": name, "id": f"{name}-{i:06d}", "text": text, "speaker": voice,
                         "rate": int(rng.integers(config.rate_wpm[0], config.rate_wpm[1] + 1)),
                         "pitch": int(rng.integers(config.pitch[0], config.pitch[1] + 1)),
                         "wav": str(wav_dir / name / f"{name}-{i:06d}.wav")})
    return jobs


def synthesize(job):
    """Speak one job's text to its 16 kHz WAV unless already there; returns (job, duration or error)."""
    wav = Path(job["wav"])
    if wav.is_file():
        return job, sf.info(str(wav)).duration
    command = ["espeak-ng", "-v", job["speaker"], "-s", str(job["rate"]), "-p", str(job["pitch"]),
               "--stdout", job["text"]]
    result = subprocess.run(command, capture_output=True)
    if result.returncode != 0 or len(result.stdout) < 100:
        return job, f"espeak-ng failed: {result.stderr.decode(errors='replace').strip()[:200]}"
    samples, rate = sf.read(io.BytesIO(result.stdout), dtype="float32")
    samples = to_mono(samples, rate)
    buffer = io.BytesIO()  # libsndfile's write errors are no OSError: write to memory, then to disk
    sf.write(buffer, samples, SAMPLE_RATE, subtype="PCM_16", format="WAV")
    write_bytes(wav, buffer.getvalue())
    return job, len(samples) / SAMPLE_RATE


def fingerprint(config):
    return hashlib.sha256(json.dumps(vars(config), sort_keys=True).encode()).hexdigest()[:16]


def prepare_synth_en(config, out_dir, jobs_count=None):
    """Synthesise the corpus into out_dir/wav and write out_dir/manifests/*.jsonl (idempotent)."""
    data = DataLayout(out_dir)
    manifest_dir = data.manifests
    write_lm_text(data.root)
    if is_done(manifest_dir, fingerprint(config)):
        log.info(f"synth_en: {manifest_dir} is complete, nothing to do")
        return manifest_dir
    if shutil.which("espeak-ng") is None:
        raise AsrError("espeak-ng not found (install the Debian package espeak-ng)")
    sentences = speakable_sentences(wordnet_sentences(), config.min_words, config.max_words)
    splits = split_sentences(sentences, config)
    seen, unseen = split_voices(config)
    # audio of another config must never pass for this one's, so each config has its own folder
    jobs = utterance_jobs(splits, seen, unseen, config, data.wav / fingerprint(config))
    log.info(f"synth_en: {len(sentences)} speakable sentences; {len(seen)} training voices, "
             f"{len(unseen)} held out; synthesising {len(jobs)} utterances")
    rows = {name: [] for name in splits}
    with worker_pool(jobs_count) as pool:
        for job, outcome in pool.imap(synthesize, jobs, chunksize=16):
            if isinstance(outcome, str):
                log.warning(f"synth_en: skipped {job['id']}: {outcome}")
                continue
            rows[job["split"]].append({"id": job["id"], "audio": str(Path(job["wav"]).resolve()),
                                       "duration": round(outcome, 3), "text": job["text"],
                                       "speaker": job["speaker"]})
    write_manifests(manifest_dir, rows, fingerprint(config))
    hours = sum(r["duration"] for r in rows["train"]) / 3600
    log.info(f"synth_en: wrote {', '.join(f'{k}={len(v)}' for k, v in rows.items())} utterances "
             f"({hours:.2f} h of training audio) to {manifest_dir}")
    return manifest_dir
