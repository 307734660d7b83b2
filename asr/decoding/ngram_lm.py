"""Word n-gram language models: collect the text, estimate an ARPA file with IRSTLM.

IRSTLM's `tlm` (Debian package `irstlm`) estimates an interpolated modified shift-beta model, IRSTLM's
form of modified Kneser-Ney, and writes ARPA that KenLM reads. (KenLM's own estimator, lmplz, is not
in the PyPI wheel, and the pure-Python PyPI builders we tried write ARPA that KenLM rejects.)
Sentences of the evaluation splits are removed from the LM text, so the LM never saw a test sentence.
"""

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

from asr.data.manifest import load_manifest
from asr.data.text_normalisation import UnspellableText, normalize_text
from asr.errors import AsrError
from asr.fileio import atomic_path, read_utf8_text, write_json
from asr.layout import DataLayout

log = logging.getLogger(__name__)

TLM_PATHS = ("/usr/lib/irstlm/bin/tlm", "/usr/bin/tlm")


def find_tlm():
    for path in TLM_PATHS:
        if Path(path).is_file():
            return path
    found = shutil.which("tlm")
    if found:
        return found
    raise AsrError("IRSTLM's tlm not found (install the Debian package irstlm)")


def read_text_lines(path):
    """Normalised non-empty lines of a text file; a missing or non-UTF-8 file is a one-line error.

    A line the vocabulary cannot spell (asr/data/text_normalisation.py) is left out, and counted in the log.
    """
    try:
        raw_lines = read_utf8_text(path).splitlines()
    except FileNotFoundError:
        raise AsrError(f"{path}: LM text file not found") from None
    lines, unspellable = [], []
    for n, raw in enumerate(raw_lines, 1):
        try:
            lines.append(normalize_text(raw))
        except UnspellableText as e:
            unspellable.append(f"line {n}: {e}")
    if unspellable:
        log.warning(f"lm: {path}: left out {len(unspellable)} of {len(raw_lines)} lines with characters the "
                    f"vocabulary cannot spell (first: {unspellable[0]})")
    return [line for line in lines if line]


def lm_sentences(sentences, exclude=()):
    """Normalised sentences minus those in `exclude` (the evaluation references)."""
    excluded = set(exclude)
    return [s for s in sentences if s not in excluded]


SMOOTHING = ("msb", "wb")  # modified shift-beta (Kneser-Ney-like); Witten-Bell where a corpus is too small


def build_arpa(sentences, out_path, order=3):
    """Estimate an `order`-gram ARPA model of the sentences; returns {order, smoothing, sentences, words, ngrams}.

    Modified shift-beta needs enough n-grams seen once, twice and three times to estimate its
    discounts; on a corpus too small for that, tlm refuses and Witten-Bell is used instead.
    """
    if not sentences:
        raise AsrError(f"{out_path}: no LM text left to estimate from")
    out_path = Path(out_path)
    tlm = find_tlm()
    with atomic_path(out_path) as arpa_path, tempfile.TemporaryDirectory(
            dir=out_path.parent, prefix=f".{out_path.name}.", suffix="".join(out_path.suffixes)) as tmp:
        # beside the ARPA file, named as atomic_path's temps: a full disk is the output's, leftovers are swept
        text_path = Path(tmp) / "lm_text.txt"
        text_path.write_text("".join(f"<s> {s} </s>\n" for s in sentences), encoding="utf-8")
        for smoothing in SMOOTHING:
            done = subprocess.run([tlm, f"-tr={text_path}", f"-n={order}", f"-lm={smoothing}", f"-o={arpa_path}"],
                                  capture_output=True, text=True)
            if done.returncode == 0 and arpa_path.stat().st_size:
                break
        else:
            raise AsrError(f"{out_path}: IRSTLM tlm failed ({(done.stderr or done.stdout).strip()[-200:]})")
    stats = {"order": order, "smoothing": smoothing, "sentences": len(sentences),
             "words": sum(len(s.split()) for s in sentences), "ngrams": arpa_counts(out_path)}
    write_json(out_path.with_suffix(".json"), stats)
    return stats


def arpa_counts(arpa_path):
    """{n: count} from the \\data\\ header of an ARPA file."""
    counts = {}
    with open(arpa_path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("ngram "):
                n, count = line[len("ngram "):].split("=")
                counts[int(n)] = int(count)
            elif line.startswith("\\1-grams:"):
                break
    return counts


SENTENCE_MARKERS = ("<s>", "</s>", "<unk>")


def arpa_unigrams(arpa_path):
    """The words of an ARPA file's \\1-grams: section, sentence markers and <unk> left out."""
    words = set()
    with open(arpa_path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("\\1-grams:"):
                break
        for line in f:
            if line.startswith("\\"):  # the next section
                break
            fields = line.split()  # log10 prob, word[, back-off weight]
            if len(fields) >= 2:
                words.add(fields[1])
    return words.difference(SENTENCE_MARKERS)


def build_lm(data_dir, extra_text_files=(), order=3, out_path=None):
    """`asr lm`: train transcripts + extra text, minus every sentence of the other manifests -> ARPA."""
    if order < 2:
        raise AsrError(f"--order {order}: a word LM for decoding needs order 2 or more (KenLM, which the decoder "
                       "queries, reads no unigram model)")
    data = DataLayout(data_dir)
    train = [row["text"] for row in load_manifest(data.manifest("train"))]
    held_out = [row["text"] for path in sorted(data.manifests.glob("*.jsonl")) if path.stem != "train"
                for row in load_manifest(path)]
    extra = [line for path in extra_text_files for line in read_text_lines(path)]
    sentences = lm_sentences(train + extra, held_out)
    out_path = Path(out_path or data.lm_arpa(order))
    stats = build_arpa(sentences, out_path, order)
    removed = len(train) + len(extra) - len(sentences)
    log.info(f"lm: {out_path}: {order}-gram ({stats['smoothing']}) from {stats['sentences']} sentences "
             f"({stats['words']} words; {removed} held-out sentences removed); n-grams {stats['ngrams']}")
    return out_path
