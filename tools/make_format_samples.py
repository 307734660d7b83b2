"""Make audio files that exercise `asr transcribe`, from utterances of a manifest split.

    python tools/make_format_samples.py MANIFEST.jsonl OUT_DIR

Writes OUT_DIR/{stereo_48k.flac, mono_8k.wav, three_minutes.wav, corrupt.wav} and
OUT_DIR/references.txt (file<TAB>reference text), so the transcripts can be compared by eye or with
`jiwer`. The 3-minute file strings utterances together with 0.4 s pauses.
"""

import argparse
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from asr.data.audio import SAMPLE_RATE as RATE
from asr.data.manifest import load_manifest


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest")
    parser.add_argument("out_dir")
    args = parser.parse_args()
    rows = load_manifest(args.manifest)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    references = []

    first, _ = sf.read(rows[0]["audio"], dtype="float32")
    stereo = soxr.resample(first, RATE, 48000)
    sf.write(out / "stereo_48k.flac", np.stack([stereo, 0.8 * stereo], axis=1), 48000)
    references.append(("stereo_48k.flac", rows[0]["text"]))

    second, _ = sf.read(rows[1]["audio"], dtype="float32")
    sf.write(out / "mono_8k.wav", soxr.resample(second, RATE, 8000), 8000)
    references.append(("mono_8k.wav", rows[1]["text"]))

    pieces, texts, seconds = [], [], 0.0
    for row in rows[2:]:
        audio, _ = sf.read(row["audio"], dtype="float32")
        pieces += [audio, np.zeros(int(0.4 * RATE), np.float32)]
        texts.append(row["text"])
        seconds += len(audio) / RATE + 0.4
        if seconds >= 180:
            break
    sf.write(out / "three_minutes.wav", np.concatenate(pieces), RATE)
    references.append(("three_minutes.wav", " ".join(texts)))

    wav = (out / "mono_8k.wav").read_bytes()
    (out / "corrupt.wav").write_bytes(wav[:12] + b"\x00" * 24 + wav[36:])  # fmt chunk wiped out
    (out / "references.txt").write_text("".join(f"{f}\t{t}\n" for f, t in references))
    print(f"wrote {len(references)} files with references and corrupt.wav to {out} "
          f"(three_minutes.wav: {seconds:.0f} s)")


if __name__ == "__main__":
    main()
