"""Print a run's results as a Markdown table row per split: `python -m asr.results RUN_DIR SPLIT...`."""

import json
import subprocess
import sys
from pathlib import Path


def results_table(run_dir, splits):
    run_dir = Path(run_dir)
    done = json.loads((run_dir / "training_done.json").read_text())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).parent).stdout.strip() or "unknown"
    lines = ["| split | WER | CER | S | D | I | words | utts |", "|---|---|---|---|---|---|---|---|"]
    for split in splits:
        s = json.loads((run_dir / "decode" / split / "wer.json").read_text())
        lines.append(f"| {split} | {s['wer']:.2%} | {s['cer']:.2%} | {s['substitutions']} | {s['deletions']} "
                     f"| {s['insertions']} | {s['ref_words']} | {s['n_utts']} |")
    lines.append(f"\nmodel: {done['parameters'] / 1e6:.2f} M parameters, {done['epochs']} epochs "
                 f"({done['steps']} steps) in {done['train_minutes']} min, best epoch {done['best_epoch']}; "
                 f"commit {commit}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(results_table(sys.argv[1], sys.argv[2:]))
