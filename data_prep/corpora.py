"""One entry point for every real corpus: find or download it, prepare its manifests, assign recipe splits.

    prepare_corpus("librispeech", "recipes/librispeech/data", source="/data/LibriSpeech", splits=...)

writes data/corpus_manifests/<official split>.jsonl (validated; see data_prep.corpus) and then
data/manifests/<recipe split>.jsonl, the files the feature, training and evaluation stages read.
"""

from pathlib import Path

from asr.errors import AsrError
from data_prep import an4, common_voice, librispeech, ljspeech, timit, yesno
from data_prep.corpus import assign_splits


REAL_CORPORA = ("librispeech", "ljspeech", "common_voice", "timit", "an4", "yesno")


def _librispeech_parts(splits):
    """Official part names ("train-clean-100") a recipe's splits use; None (all there are) without splits."""
    return sorted({p.replace("_", "-") for parts in splits.values() for p in parts}) if splits else None


def _download(name, target, splits, url, sha256):
    """Download corpus `name` into target; returns its corpus folder."""
    if name == "librispeech":
        return librispeech.download_librispeech(target, _librispeech_parts(splits) or tuple(librispeech.ARCHIVES))
    if name == "common_voice":
        return common_voice.download_common_voice(target, url, sha256)
    if name == "timit":
        raise AsrError("TIMIT is distributed by the LDC (LDC93S1) and cannot be downloaded: pass your copy "
                       "with --source (run.sh: --data-dir)")
    return {"ljspeech": ljspeech.download_ljspeech, "an4": an4.download_an4, "yesno": yesno.download_yesno}[name](target)


def _prepare(name, corpus_dir, out_dir, splits, jobs):
    """Official-split manifests of corpus `name` in out_dir."""
    if name == "librispeech":
        return librispeech.prepare_librispeech(corpus_dir, out_dir, _librispeech_parts(splits), jobs)
    prepare = {"ljspeech": ljspeech.prepare_ljspeech, "common_voice": common_voice.prepare_common_voice,
               "timit": timit.prepare_timit, "an4": an4.prepare_an4, "yesno": yesno.prepare_yesno}[name]
    return prepare(corpus_dir, out_dir, jobs)


def prepare_corpus(name, data_dir, source=None, download=False, splits=None, url=None, sha256=None, jobs=None):
    """Manifests of corpus `name` under data_dir; `source` is an existing copy, else `download` fetches one."""
    data_dir = Path(data_dir)
    if source:
        corpus_dir = Path(source)
        if not corpus_dir.is_dir():
            raise AsrError(f"{corpus_dir}: no such directory (the {name} corpus folder was expected)")
    elif download:
        corpus_dir = _download(name, data_dir / "download", splits, url, sha256)
    else:
        raise AsrError(f"{name}: pass --source DIR (an existing copy) or --download")
    official_dir = _prepare(name, corpus_dir, data_dir / "corpus_manifests", splits, jobs)
    if not splits:  # the recipe uses the official splits as they are
        splits = {p.stem: [p.stem] for p in sorted(Path(official_dir).glob("*.jsonl"))}
    return assign_splits(official_dir, data_dir / "manifests", splits)
