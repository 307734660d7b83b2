"""Hear and see what waveform augmentation does: augmented copies of some utterances, with spectrograms.

    python tools/augment_preview.py --config recipes/synth_en/conf/small.yaml --audio a.wav b.wav --out preview
    python tools/augment_preview.py --config CONFIG --manifest DATA_DIR/manifests/train.jsonl --count 20 --out DIR

Writes DIR/NNN_<name>.wav (16-bit) and DIR/NNN_<name>.png (the clean and augmented log-mel spectrograms)
for N utterances (--count, default one per --audio file, 8 from a manifest), and prints a line per file
naming the transforms applied with the values drawn. The config's `train.augment` settings are used even
when it is not enabled (a note says so): previewing is how one decides to enable it. Babble noise mixes
other utterances of the same --audio list or manifest. Utterance i uses the generator seeded [--seed, i],
so a run is reproducible. A bad config, file or folder is one line on stderr and exit status 1.
"""

import argparse
import dataclasses
import sys
from pathlib import Path

import matplotlib
import numpy as np
import soundfile as sf

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from asr.augment.pipeline import Augmenter  # noqa: E402
from asr.recipe import load_config  # noqa: E402
from asr.data.audio import load_audio  # noqa: E402
from asr.data.features import log_mel  # noqa: E402
from asr.data.manifest import load_manifest  # noqa: E402
from asr.errors import AsrError  # noqa: E402
from asr.fileio import write_error  # noqa: E402

MANIFEST_COUNT = 8


def plot(clean, augmented, features, title, path):
    """PNG of the two log-mel spectrograms, one above the other, on the same colour scale."""
    clean_mel, augmented_mel = log_mel(clean, features), log_mel(augmented, features)  # (T, n_mels) each
    low, high = min(clean_mel.min(), augmented_mel.min()), max(clean_mel.max(), augmented_mel.max())
    figure, axes = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
    for axis, mel, label in ((axes[0], clean_mel, "clean"), (axes[1], augmented_mel, title)):
        axis.imshow(mel.T, origin="lower", aspect="auto", vmin=low, vmax=high, cmap="magma",
                    extent=(0, len(mel) * features.hop_length / features.sample_rate, 0, mel.shape[1]))
        axis.set_title(label, fontsize=9)
        axis.set_ylabel("mel band")
    axes[1].set_xlabel("seconds")
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


def audio_paths(args):
    if args.audio:
        return [Path(p) for p in args.audio]
    rows = load_manifest(args.manifest)
    if not rows:
        raise AsrError(f"{args.manifest}: no usable rows")
    return [Path(row["audio"]) for row in rows]


def preview(args):
    config = load_config(args.config)
    settings, rate = config.train.augment, config.features.sample_rate
    if not settings.enabled:
        print(f"note: {args.config} has train.augment disabled; previewing its settings as if enabled",
              file=sys.stderr)
        settings = dataclasses.replace(settings, enabled=True)
    paths = audio_paths(args)
    loaded = {}

    def audio(path):
        if path not in loaded:
            loaded[path] = load_audio(path, rate)
        return loaded[path]

    augmenter = Augmenter(settings, rate, babble_source=lambda rng: audio(paths[int(rng.integers(len(paths)))]))
    count = args.count or (len(paths) if args.audio else min(MANIFEST_COUNT, len(paths)))
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise write_error(out, e) from None
    for index in range(count):
        path = paths[index % len(paths)]
        clean, applied = audio(path), []
        augmented = augmenter.apply(clean, np.random.default_rng([args.seed, index]), applied)  # always augmented
        stem = out / f"{index:03d}_{path.stem}"
        description = ", ".join(applied) or "nothing applied"
        try:
            sf.write(stem.with_suffix(".wav"), augmented, rate, subtype="PCM_16")
            plot(clean, augmented, config.features, description, stem.with_suffix(".png"))
        except OSError as e:
            raise write_error(stem, e) from None
        print(f"{stem.with_suffix('.wav')}: {description}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="recipe YAML whose train.augment is previewed")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--audio", nargs="+", help="audio files to augment")
    source.add_argument("--manifest", help="a manifest (DATA_DIR/manifests/train.jsonl) whose files to augment")
    parser.add_argument("--out", required=True, help="folder for the WAVs and PNGs")
    parser.add_argument("--count", type=int, default=0, help="augmented files to write (default: see above)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.count < 0:
        parser.error(f"--count must be ≥ 0, got {args.count}")
    try:
        preview(args)
    except AsrError as e:
        print(f"augment_preview: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
