"""A corpus of bad and unusual inputs for data prep, training and transcription (tests/test_bad_inputs.py).

`write_bad_corpus(folder, good)` copies good utterances (16 kHz WAV + text) into `folder` and adds one
file per kind below, plus `transcripts.tsv` for `asr prepare --corpus folder`. Each Kind says what
preparation must do with it: keep it, or skip it with a reason containing `prep`; `train` likewise for
kept items the trainer must drop. To look at it by hand:

    python -m tests.bad_inputs OUT_DIR [SOURCE_MANIFEST]    (default: the default recipe's dev split)
"""

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

KEPT = "kept"


@dataclass
class Kind:
    name: str
    prep: str  # KEPT, or a fragment of the reason preparation must give
    train: str = KEPT  # for kept items: KEPT, or a fragment of the reason training drops it with
    transcribe: str = KEPT  # KEPT (a line of text), or a fragment of the error transcription reports
    warns: str = ""  # for kept items: a fragment of the warning preparation and transcription give


def _write_kinds(folder, audio, rate, text):
    """Write every bad or unusual file; returns [(Kind, relative file, transcript)]."""
    two_hours = np.tile(np.concatenate([audio, np.zeros(rate // 2, np.float32)]), 1 + 7200 * rate // len(audio))
    wav = folder / "kinds"
    wav.mkdir(parents=True)
    entries = []

    def add(kind, name, data=None, samplerate=rate, subtype="PCM_16", raw=None, transcript=text, fmt=None):
        path = wav / name
        if raw is not None:
            path.write_bytes(raw)
        elif data is not None:
            sf.write(path, data, samplerate, subtype=subtype, format=fmt)
        entries.append((kind, f"kinds/{name}", transcript))

    with_nan, with_inf = audio.copy(), audio.copy()
    with_nan[len(audio) // 2] = np.nan
    with_inf[len(audio) // 3] = np.inf
    add(Kind("empty_file", "not a readable audio file", transcribe="not a readable audio file"),
        "empty_file.wav", raw=b"")
    full = _wav_bytes(audio, rate)
    add(Kind("truncated_header", "not a readable audio file", transcribe="not a readable audio file"),
        "truncated_header.wav", raw=full[:30])
    add(Kind("not_audio", "not a readable audio file", transcribe="not a readable audio file"), "not_audio.wav",
        raw=b"<html><body>404 Not Found</body></html>\n" * 40)
    add(Kind("nan_samples", "NaN or infinite", transcribe="NaN or infinite"), "nan_samples.wav", with_nan,
        subtype="FLOAT")
    add(Kind("inf_samples", "NaN or infinite", transcribe="NaN or infinite"), "inf_samples.wav", with_inf,
        subtype="FLOAT")
    add(Kind("pcm_8bit", KEPT), "pcm_8bit.wav", audio, subtype="PCM_U8")
    add(Kind("pcm_24bit", KEPT), "pcm_24bit.wav", audio, subtype="PCM_24")
    stereo = soxr.resample(audio, rate, 48000)
    add(Kind("stereo_48k", KEPT), "stereo_48k.wav", np.stack([stereo, 0.5 * stereo], axis=1), 48000)
    add(Kind("rate_8k", KEPT), "rate_8k.wav", soxr.resample(audio, rate, 8000), 8000)
    add(Kind("flac_named_wav", KEPT), "flac_named_wav.wav", audio, fmt="FLAC")
    add(Kind("cut_off_data", KEPT), "cut_off_data.wav", raw=full[:len(full) * 2 // 3])  # header says more
    add(Kind("loud_float", KEPT), "loud_float.wav", audio * 1000.0, subtype="FLOAT")  # far beyond +-1
    add(Kind("silence", KEPT, warns="silent"), "silence.wav", np.zeros(2 * rate, np.float32),
        transcript="nothing was said")
    add(Kind("clipped", KEPT, warns="clipped"), "clipped.wav", np.clip(audio * 50, -1, 1))
    add(Kind("near_silent", KEPT, warns="near-silent"), "near_silent.wav", audio * 1e-4, subtype="FLOAT")
    add(Kind("cancelling_channels", KEPT, warns="channels cancel"), "cancelling_channels.wav",
        np.stack([audio, -audio], axis=1))
    add(Kind("two_hours", "implausible duration"), "two_hours.wav", two_hours[:7200 * rate])
    add(Kind("ten_ms", "implausible duration", transcribe="too short (10 ms of audio"), "ten_ms.wav",
        audio[:rate // 100])
    add(Kind("absurd_level", "not audio levels", transcribe="not audio levels"), "absurd_level.wav", audio * 1e30,
        subtype="FLOAT")
    add(Kind("unicode_text", KEPT), "unicode_text.wav", audio, 
        transcript="«" + text.replace("e", "é").replace("a", "à").capitalize() + "» —")  # folds back to `text`
    add(Kind("non_latin_text", "vocabulary cannot spell"), "non_latin_text.wav", audio, transcript="日本語のテキスト")
    add(Kind("empty_text", "transcript is empty"), "empty_text.wav", audio, transcript="   ")
    add(Kind("very_long_text", KEPT, train="label needs"), "very_long_text.wav", audio,
        transcript=" ".join([text] * 200))
    add(Kind("label_too_long", KEPT, train="label needs"), "label_too_long.wav", audio[:int(0.3 * rate)],
        transcript="a sentence far too long for three tenths of a second of audio")
    entries.append((Kind("missing_file", "no such file", transcribe="no such file"), "kinds/missing_file.wav", text))
    (wav / "directory.wav").mkdir()
    entries.append((Kind("directory_named_wav", "not a file", transcribe="not a file"), "kinds/directory.wav", text))
    add(Kind("unreadable", "Permission denied", transcribe="Permission denied"), "unreadable.wav", audio)
    os.chmod(wav / "unreadable.wav", 0)
    return entries


def _wav_bytes(audio, rate):
    import io
    buffer = io.BytesIO()
    sf.write(buffer, audio, rate, subtype="PCM_16", format="WAV")
    return buffer.getvalue()


def write_bad_corpus(folder, good):
    """folder/{good,kinds}/ + transcripts.tsv from `good` [(wav path, text)] -> {utterance id: Kind}.

    Good utterances get Kind("good", KEPT); the first one is listed twice (a duplicate id).
    """
    folder = Path(folder)
    (folder / "good").mkdir(parents=True)
    lines, kinds = [], {}
    for n, (path, text) in enumerate(good):
        audio, rate = sf.read(path, dtype="float32")
        sf.write(folder / "good" / f"utt{n:02d}.wav", audio, rate, subtype="PCM_16")
        lines.append(f"good/utt{n:02d}.wav\t{text}")
        kinds[f"good-utt{n:02d}"] = Kind("good", KEPT)
    audio, rate = sf.read(good[0][0], dtype="float32")
    for kind, relative, text in _write_kinds(folder, audio, rate, good[0][1]):
        lines.append(f"{relative}\t{text}")
        kinds[str(Path(relative).with_suffix("")).replace("/", "-")] = kind
    lines.append(lines[0])  # the same file and id again
    (folder / "transcripts.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return kinds


def main():
    out = Path(sys.argv[1])
    source = Path(sys.argv[2] if len(sys.argv) > 2 else "recipes/synth_en/data/small/manifests/dev.jsonl")
    rows = [json.loads(line) for line in source.read_text().splitlines()[:12]]
    kinds = write_bad_corpus(out, [(r["audio"], r["text"]) for r in rows])
    print(f"{out}: {len(kinds)} utterances, {len({k.name for k in kinds.values()}) - 1} kinds of bad input")


if __name__ == "__main__":
    main()
