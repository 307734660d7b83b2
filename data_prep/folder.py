"""Manifest from a folder of audio files with transcripts, for bringing your own data.

Transcripts come either from one `transcripts.tsv` in the folder (lines `relative/path.wav<TAB>text`)
or from a `.txt` file beside each audio file with the same stem (`a/b.wav` + `a/b.txt`). The speaker is
the audio file's parent folder name. Audio is any format libsndfile reads. Transcripts are UTF-8 English
text, normalised by asr/data/text_normalisation.py; an utterance whose transcript the vocabulary cannot
spell, or whose .txt is not UTF-8, is skipped and reported with the reason.
"""

from pathlib import Path

import soundfile as sf

from asr.data.manifest import write_split
from asr.errors import AsrError
from asr.fileio import read_utf8_text
from data_prep.corpus import Item, normalise_items, validate_items

MAX_SECONDS = 3600.0  # your own data may hold long recordings; transcription chunks them, training drops them
AUDIO_SUFFIXES = {"." + f.lower() for f in sf.available_formats()} | {".wav", ".flac", ".ogg", ".mp3"}


def _utterance_id(relative_path):
    """a/b.wav -> a-b: unique within the folder, and a plain file name."""
    return str(Path(relative_path).with_suffix("")).replace("/", "-")


def _tsv_items(folder, tsv):
    """(items, no rejects): a transcripts.tsv that is not UTF-8 is one error for the whole folder."""
    items = []
    for n, line in enumerate(read_utf8_text(tsv).splitlines(), 1):
        if not line.strip():
            continue
        if "\t" not in line:
            raise AsrError(f"{tsv}:{n}: expected 'path<TAB>text'")
        rel, text = line.split("\t", 1)
        audio = folder / rel
        items.append(Item(_utterance_id(rel), audio, text, audio.parent.name))
    return items, []


def _sidecar_items(folder):
    """(items, rejected): an audio file whose .txt is not UTF-8 is rejected, the others go on."""
    items, rejected = [], []
    for audio in sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES):
        transcript, utt_id = audio.with_suffix(".txt"), _utterance_id(audio.relative_to(folder))
        try:
            text = read_utf8_text(transcript) if transcript.is_file() else ""
        except AsrError as e:
            rejected.append((utt_id, str(e)))
            continue
        items.append(Item(utt_id, audio, text, audio.parent.name))
    return items, rejected


def prepare(source, out_dir, split="train"):
    """Write out_dir/{split}.jsonl from the folder `source`."""
    folder = Path(source)
    if not folder.is_dir():
        raise AsrError(f"{folder}: not a directory")
    tsv = folder / "transcripts.tsv"
    items, unreadable = _tsv_items(folder, tsv) if tsv.is_file() else _sidecar_items(folder)
    items, unspellable = normalise_items(items)
    rows, skipped = validate_items(items, MAX_SECONDS, "folder", rejected=unreadable + unspellable)
    return write_split(out_dir, split, rows, len(skipped), "folder")
