"""Ship a trained run as the package's general model: `python tools/ship_model.py RUN_DIR --data-dir DATA_DIR`.

Copies the run's model directory (model.json, model.weights.h5, export.json, model.onnx, model.int8.onnx: `asr
export --int8 RUN_DIR` first) into asr/pretrained/general/ (or --to), and writes its MODEL_CARD.md beside them:
what the model is, the data it heard (engines, voices and hours of the training split, what was held out), how
it was trained, every evaluated split's WER with its 95 % interval as `asr results` prints it, the limits
written by a person in --limits FILE, and the command that made it. Everything else comes from the run and the
data directory, so the card says only what a command printed.
"""

import argparse
import json
import shutil
import sys
from collections import Counter
from pathlib import Path

from asr.errors import AsrError
from asr.evaluation.results import decoded_strategies, results_table
from asr.fileio import atomic_dir, read_jsonl, write_text
from asr.layout import DataLayout, RunLayout
from asr.models.model_dir import current_onnx, read_model_info
from asr.pretrained import GENERAL

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # data_prep/ is the checkout's, never installed
from data_prep.synth_en import engine_of  # noqa: E402

MODEL_FILES = ("model.json", "model.weights.h5", "export.json", "model.onnx", "model.int8.onnx")
SPLIT_ORDER = ("dev", "test", "test_unseen_voices", "test_unseen_engine", "test_unseen_neural", "test_noisy")


def check_exported(run):
    """AsrError unless the run has trained and both ONNX files are exports of its current weights."""
    if not run.training_done.is_file():
        raise AsrError(f"{run.root}: training has not finished")
    for int8 in (False, True):
        if current_onnx(run.model.root, int8=int8) is None:
            raise AsrError(f"{run.model.root}: no current {'int8 ' if int8 else ''}ONNX export (run `asr export "
                           f"--int8 {run.root}`)")


def training_data(data_dir):
    """(hours, utterances, utterances per engine) of the training split, and the held-out splits' speakers."""
    rows = read_jsonl(DataLayout(data_dir).manifest("train"))
    engines = Counter(engine_of(row["speaker"]) for row in rows)
    held_out = {}
    for split in ("test_unseen_voices", "test_unseen_engine", "test_unseen_neural"):
        path = DataLayout(data_dir).manifest(split)
        if path.is_file():
            held_out[split] = sorted({row["speaker"] for row in read_jsonl(path)})
    return sum(row["duration"] for row in rows) / 3600, len(rows), engines, held_out


def model_card(run, data_dir, limits, command):
    info = read_model_info(run.model.root)
    done = json.loads(run.training_done.read_text())
    config = json.loads(run.config.read_text())
    hours, count, engines, held_out = training_data(data_dir)
    splits = [s for s in SPLIT_ORDER if decoded_strategies(run.root, s)]
    m = info.model
    lines = [f"# Model card: the general model of asr {info.record['version']}", "",
             f"A {m.layers} x {m.encoder}-{m.units} CTC acoustic model over {info.features.n_mels} log-mel bands "
             f"(frames stacked by {m.stack}, {m.normalisation} normalisation), {done['parameters'] / 1e6:.2f} M "
             f"parameters, character outputs; trained by commit {info.record.get('commit', '(not recorded)')}.",
             "", "## Data", "",
             f"{count} synthetic utterances, {hours:.1f} h: "
             + ", ".join(f"{engine} {n / count:.0%}" for engine, n in engines.most_common()) + ". "
             f"Corpus settings: `{json.dumps(config['corpus'])}`.", ""]
    lines += [f"- held out, `{split}`: {', '.join(speakers[:12])}{' …' if len(speakers) > 12 else ''}"
              for split, speakers in held_out.items()]
    lines += ["", "## Training", "",
              f"{done['epochs']} epochs ({done['steps']} steps) in {done['train_minutes']} min, best epoch "
              f"{done['best_epoch']}, precision `{config['train'].get('precision')}`, augmentation "
              f"{'on' if config['train']['augment']['enabled'] else 'off'}.", "",
              "## Results", "", f"`asr results {run.root} {' '.join(splits)}`:", "",
              results_table(run.root, splits), "", "## What it is bad at", "", limits.strip(), "",
              "## Reproduce", "", f"```sh\n{command}\n```", ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--data-dir", type=Path, required=True, help="the data directory the run trained on")
    parser.add_argument("--limits", type=Path, required=True, help="Markdown: what the model is bad at")
    parser.add_argument("--command", required=True, help="the one command that reproduces the run")
    parser.add_argument("--to", type=Path, default=GENERAL, help=f"default: {GENERAL}")
    args = parser.parse_args(argv)
    try:
        run = RunLayout(args.run_dir)
        check_exported(run)
        card = model_card(run, args.data_dir, args.limits.read_text(), args.command)
    except (AsrError, OSError) as e:
        sys.exit(f"ship_model: {e}")
    except (ValueError, KeyError) as e:
        sys.exit(f"ship_model: {args.run_dir}: a damaged record of the run ({type(e).__name__}: {e})")
    try:
        with atomic_dir(args.to) as part:  # what was shipped before stays until every file is copied
            for name in MODEL_FILES:
                shutil.copy2(run.model.root / name, part / name)
            write_text(part / "MODEL_CARD.md", card)
    except AsrError as e:
        sys.exit(f"ship_model: {e} (nothing in {args.to} was changed)")
    size = sum(p.stat().st_size for p in args.to.iterdir()) / 1e6
    print(f"shipped {run.root} to {args.to} ({size:.1f} MB)")


if __name__ == "__main__":
    main()
