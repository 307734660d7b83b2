"""Default corpus: WordNet 3.0 example sentences spoken by offline TTS engines. No download needed.

Needs the Debian packages `wordnet-base` (the sentences) and the engines' (data_prep/tts/): `espeak-ng`,
`flite`, `festival` with `festvox-kallpc16k` and `festvox-kdlpc16k`.
Sentences are split by sentence with a fixed seed. dev, test and test_unseen_voices are espeak-ng's, some
of its voices held out of training for test_unseen_voices; they are what they were before other engines
came (same sentences, voices and audio), so models stay comparable across that change. train mixes the
engines of `corpus.engines`, and so does dev under `corpus.dev_like_train` (same sentences); one more engine
(`corpus.unseen_engine`) never speaks a training sentence and speaks test_unseen_engine and
adapt_unseen_engine (a small set for fine-tuning examples). Every
utterance's engine, voice, rate, pitch and volume derive from (seed, split, utterance index), so a run is
deterministic, and finished WAV files are skipped when the stage is re-run.
"""

import hashlib
import json
import logging
import re
from pathlib import Path

import numpy as np

from asr.data.manifest import is_done, write_manifests
from asr.data.text_normalisation import NORMALISATION_VERSION, UnspellableText, normalize_text
from asr.errors import AsrError
from asr.fileio import write_text
from asr.layout import DataLayout
from asr.workers import worker_pool
from data_prep.noisy_test import NAME as NOISY_TEST
from data_prep.noisy_test import noisy_rows
from data_prep.tts import ENGINES, check_installed, speak_chunk

log = logging.getLogger(__name__)

WORDNET_DIR = Path("/usr/share/wordnet")
_QUOTED = re.compile(r'"([^"]+)"')
# Written forms espeak-ng would read differently from their spelling: digits, symbols, acronyms,
# abbreviations with periods, and a few common abbreviations without them.
_UNSPEAKABLE = re.compile(r"[0-9&%$#@+=/\\_<>\[\]{}()*~^|]|\b[A-Z]{2,}\b|\b\w+\.\w")
_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "vs", "etc", "jr", "sr", "co", "ltd", "inc", "no"}
_WORD = re.compile(r"[a-z']+")
# espeak-ng's splits from before other engines came: their sentences, voices and audio never change
ESPEAK_SPLITS = ("dev", "test", "test_unseen_voices")
# each split's index in its utterances' random streams: fixed, so adding a split renumbers none
# (the first four are the places of the splits in sorted order, as they were drawn before)
SPLIT_INDEX = {"dev": 0, "test": 1, "test_unseen_voices": 2, "train": 3, "test_unseen_engine": 4,
               "adapt_unseen_engine": 5, "test_unseen_neural": 6}
# the held-out engines' splits and the config keys that name their engines
HELD_OUT_ENGINE = {"test_unseen_engine": "unseen_engine", "adapt_unseen_engine": "unseen_engine",
                   "test_unseen_neural": "unseen_neural_engine"}
UTTERANCES_PER_TASK = 16  # a worker's chunk: one festival process speaks that many


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
    """Seeded shuffle, then disjoint sentence lists, one per split.

    The splits added with other engines come after the espeak-ng ones, so those keep their sentences; train
    comes last, and a split a config gives no sentences takes none from it."""
    order = np.random.default_rng(config.seed).permutation(len(sentences))
    shuffled = [sentences[i] for i in order]
    sizes = [("dev", config.dev_sentences), ("test", config.test_sentences),
             ("test_unseen_voices", config.unseen_voice_sentences),
             ("test_unseen_engine", config.unseen_engine_sentences),
             ("adapt_unseen_engine", config.adapt_sentences),
             ("test_unseen_neural", config.unseen_neural_sentences), ("train", config.train_sentences)]
    splits, start = {}, 0
    for name, size in sizes:
        if size or name not in HELD_OUT_ENGINE:  # a split that no config asked for is not made at all
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
    """One synthesis job per utterance; its engine, voice, prosody and gain drawn from rng(seed, split, index)."""
    jobs = []
    for name, texts in sorted(splits.items()):
        for i, text in enumerate(texts):
            rng = np.random.default_rng([config.seed, SPLIT_INDEX[name], i])
            engine = _engine(name, rng, config)
            voices = unseen if name == "test_unseen_voices" else engine_voices(engine, seen, config)
            voice = voices[rng.integers(len(voices))]
            speaker = speaker_name(engine, voice)
            job = {"split": name, "id": f"{name}-{i:06d}", "text": text, "speaker": speaker,
                   **ENGINES[engine].prosody(rng, config), "wav": str(wav_dir / name / f"{name}-{i:06d}.wav"),
                   "engine": engine, "voice": voice}
            if not espeak_split(name, config):
                job["gain_db"] = round(float(rng.uniform(*config.volume_db)), 2)
            jobs.append(job)
    return jobs


def speaker_name(engine, voice):
    """A manifest's speaker: espeak-ng's voices by their bare names (as before other engines came), others as
    engine:voice."""
    return voice if engine == "espeak-ng" else f"{engine}:{voice}"


def engine_of(speaker):
    """The engine of a speaker_name."""
    return speaker.split(":")[0] if ":" in speaker else "espeak-ng"


def espeak_split(split, config):
    """Whether a split is one of espeak-ng's, as it was before other engines came."""
    return split in ESPEAK_SPLITS and not (split == "dev" and config.dev_like_train)


def _engine(split, rng, config):
    """The engine of one utterance: espeak-ng's splits stay espeak-ng's (drawing nothing, as they always
    have), the held-out engine speaks its splits, and train (and a dev like it) draws one by the configured
    shares (nothing when there is one: an espeak-ng-only train split draws its voices as it did before other
    engines)."""
    if espeak_split(split, config):
        return "espeak-ng"
    if split in HELD_OUT_ENGINE:
        return getattr(config, HELD_OUT_ENGINE[split])
    names = sorted(config.engines)
    if len(names) == 1:
        return names[0]
    shares = np.array([config.engines[n] for n in names], dtype=float)
    return names[rng.choice(len(names), p=shares / shares.sum())]


def engine_voices(engine, seen, config):
    """An engine's voices: espeak-ng's training voices, Kokoro's numbered mixtures (of its Japanese or its English
    packs), Pico's two, or the configured list of another engine."""
    if engine == "espeak-ng":
        return seen
    if engine in ("kokoro", "kokoro-en"):  # one count for both
        return ENGINES[engine].voice_names(config.kokoro_voices)
    if engine == "pico":  # no key to choose among two: a new corpus key would change every corpus's fingerprint
        return list(ENGINES[engine].VOICES)
    return getattr(config, f"{engine}_voices")


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
    held_out = [config.unseen_engine] + ([config.unseen_neural_engine] if config.unseen_neural_sentences else [])
    check_installed(["espeak-ng", *sorted(config.engines), *held_out])
    sentences = speakable_sentences(wordnet_sentences(), config.min_words, config.max_words)
    splits = split_sentences(sentences, config)
    seen, unseen = split_voices(config)
    # audio of another config must never pass for this one's, so each config has its own folder
    jobs = utterance_jobs(splits, seen, unseen, config, data.wav / fingerprint(config))
    log.info(f"synth_en: {len(sentences)} speakable sentences; {len(seen)} training espeak-ng voices, "
             f"{len(unseen)} held out; engines {', '.join(config.engines)} and, held out, {', '.join(held_out)}; "
             f"synthesising {len(jobs)} utterances")
    rows = {name: [] for name in splits}
    tasks = [jobs[i:i + UTTERANCES_PER_TASK] for i in range(0, len(jobs), UTTERANCES_PER_TASK)]
    with worker_pool(jobs_count) as pool:
        for job, outcome in (pair for done in pool.imap(speak_chunk, tasks) for pair in done):
            if isinstance(outcome, str):
                log.warning(f"synth_en: skipped {job['id']}: {outcome}")
                continue
            rows[job["split"]].append({"id": job["id"], "audio": str(Path(job["wav"]).resolve()),
                                       "duration": round(outcome, 3), "text": job["text"],
                                       "speaker": job["speaker"]})
    rows[NOISY_TEST] = noisy_rows(rows["test"], rows["train"], data.wav / fingerprint(config), config.seed)
    write_manifests(manifest_dir, rows, fingerprint(config))
    hours = sum(r["duration"] for r in rows["train"]) / 3600
    log.info(f"synth_en: wrote {', '.join(f'{k}={len(v)}' for k, v in rows.items())} utterances "
             f"({hours:.2f} h of training audio) to {manifest_dir}")
    return manifest_dir
