"""The corpus table: every corpus `asr prepare --corpus NAME` knows, and how each is found and prepared.

    synth_en   synthesised here (espeak-ng x WordNet sentences); the default recipe
    folder     your own audio files with transcripts
    the rest   real corpora: find (--source) or download them, write one manifest per official split
               to DATA_DIR/corpus_manifests/, then the recipe's splits (config `splits:`) to manifests/

Adding a corpus: a module with download_<name>(target) and prepare_<name>(corpus_dir, out_dir, jobs), and
one row in CORPORA below (docs/extending.md: "Add a recipe").
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from asr.config import CorpusConfig
from asr.errors import AsrError
from asr.layout import DataLayout
from data_prep import an4, common_voice, folder, librispeech, ljspeech, synth_en, timit, yesno
from data_prep.corpus import assign_splits


@dataclass
class PrepareRequest:
    """What `asr prepare` was asked for."""
    data_dir: Path
    corpus_config: CorpusConfig = field(default_factory=CorpusConfig)  # synth_en: size, voices
    splits: dict = field(default_factory=dict)  # recipe split -> official splits (real corpora)
    source: Optional[str] = None  # an existing copy of the corpus
    download: bool = False
    split: str = "train"  # folder: the split name to write
    url: Optional[str] = None  # common_voice: the link the Common Voice site gave
    sha256: Optional[str] = None
    jobs: Optional[int] = None


@dataclass(frozen=True)
class Corpus:
    """A corpus writes its manifests itself (`prepare`), or is a real corpus: `download` (or --source)
    gives its folder, `prepare_official` its official splits, and prepare_real_corpus does the rest."""
    name: str
    summary: str
    prepare: Optional[Callable] = None  # (PrepareRequest) -> the manifest directory
    download: Optional[Callable] = None  # (target dir, PrepareRequest) -> corpus folder
    prepare_official: Optional[Callable] = None  # (corpus dir, out dir, PrepareRequest) -> out dir


def _librispeech_parts(splits):
    """Official part names ("train-clean-100") a recipe's splits use; None (all there are) without splits."""
    return sorted({p.replace("_", "-") for parts in splits.values() for p in parts}) if splits else None


def _prepare_synth_en(request):
    return synth_en.prepare_synth_en(request.corpus_config, request.data_dir, request.jobs)


def _prepare_folder(request):
    if not request.source:
        raise AsrError("--source is required for corpus folder")
    return folder.prepare(request.source, DataLayout(request.data_dir).manifests, request.split)


def _no_timit_download(target, request):
    raise AsrError("TIMIT is distributed by the LDC (LDC93S1) and cannot be downloaded: pass your copy "
                   "with --source (run.sh: --data-dir)")


def prepare_real_corpus(request, corpus):
    """Official-split manifests of a real corpus, then the recipe's splits; returns the manifest dir."""
    data = DataLayout(request.data_dir)
    if request.source:
        corpus_dir = Path(request.source)
        if not corpus_dir.is_dir():
            raise AsrError(f"{corpus_dir}: no such directory (the {corpus.name} corpus folder was expected)")
    elif request.download:
        corpus_dir = corpus.download(data.download, request)
    else:
        raise AsrError(f"{corpus.name}: pass --source DIR (an existing copy) or --download")
    official_dir = corpus.prepare_official(corpus_dir, data.corpus_manifests, request)
    splits = request.splits or {p.stem: [p.stem] for p in sorted(Path(official_dir).glob("*.jsonl"))}
    return assign_splits(official_dir, data.manifests, splits)


CORPORA = {c.name: c for c in (
    Corpus("synth_en", "synthetic English: WordNet sentences spoken by espeak-ng voices", _prepare_synth_en),
    Corpus("folder", "your own audio files with a .txt transcript beside each (or transcripts.tsv)",
           _prepare_folder),
    Corpus("librispeech", "LibriSpeech (OpenSLR 12)", None,
           lambda target, r: librispeech.download_librispeech(target, _librispeech_parts(r.splits)
                                                              or tuple(librispeech.ARCHIVES)),
           lambda corpus_dir, out, r: librispeech.prepare_librispeech(corpus_dir, out, _librispeech_parts(r.splits),
                                                                      r.jobs)),
    Corpus("ljspeech", "LJSpeech 1.1", None, lambda target, r: ljspeech.download_ljspeech(target),
           lambda corpus_dir, out, r: ljspeech.prepare_ljspeech(corpus_dir, out, r.jobs)),
    Corpus("common_voice", "Mozilla Common Voice (English)", None,
           lambda target, r: common_voice.download_common_voice(target, r.url, r.sha256),
           lambda corpus_dir, out, r: common_voice.prepare_common_voice(corpus_dir, out, r.jobs)),
    Corpus("timit", "TIMIT (LDC93S1), 39 folded phones", None, _no_timit_download,
           lambda corpus_dir, out, r: timit.prepare_timit(corpus_dir, out, r.jobs)),
    Corpus("an4", "CMU AN4 (alphanumeric)", None, lambda target, r: an4.download_an4(target),
           lambda corpus_dir, out, r: an4.prepare_an4(corpus_dir, out, r.jobs)),
    Corpus("yesno", "Kaldi yesno", None, lambda target, r: yesno.download_yesno(target),
           lambda corpus_dir, out, r: yesno.prepare_yesno(corpus_dir, out, r.jobs)),
)}


def prepare(name, request):
    """`asr prepare --corpus NAME`: manifests under request.data_dir."""
    if name not in CORPORA:
        raise AsrError(f"unknown corpus {name!r} (known: {', '.join(CORPORA)})")
    corpus = CORPORA[name]
    return corpus.prepare(request) if corpus.prepare else prepare_real_corpus(request, corpus)
