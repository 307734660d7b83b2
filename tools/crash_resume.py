"""Kill -9 a training run at random points, re-run the same command each time, and compare with a run
that was never interrupted: same seed, same data, so the dev WER of the kept model must agree.

1. `asr train` uninterrupted into OUT/uninterrupted (its wall time sets the range of kill points);
2. `asr train` into OUT/killed, sent SIGKILL at a random point of its training (seeded: start-up time
   plus a uniform fraction of the training time still left), --kills times; after every
   kill, every file in the run directory must still read back (checkpoint, log.csv, model.json), and
   the checkpoint's state is the point the next run resumes from;
3. the same command once more, to the end; then a table of both runs and the WER difference.

Exit status 1 when the dev WERs differ by more than --tolerance points or a file was unreadable.

    python tools/crash_resume.py --config recipes/synth_en/conf/tiny.yaml \\
        --data-dir recipes/synth_en/data/tiny --out /tmp/crash --kills 3
"""

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from asr.layout import RunLayout
from asr.models.model_dir import read_model_info
from asr.training.checkpoint import STATE_KEY

CHILD_ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}  # lines as they happen, to time the start of training


def train_command(config, data_dir, run_dir):
    return [sys.executable, "-m", "asr.cli", "train", "--config", str(config), "--data-dir", str(data_dir),
            "--run-dir", str(run_dir)]


def run_to_end(command, log):
    """Run `command` to the end; (seconds until training started, total seconds)."""
    started, training = time.time(), None
    with open(log, "a") as out, subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                                 text=True, env=CHILD_ENV) as process:
        for line in process.stdout:
            out.write(line)
            if training is None and line.startswith("train: epoch"):
                training = time.time() - started
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed (exit {process.returncode}); see {log}")
    return training or 0.0, time.time() - started


def run_and_kill(command, delay, log):
    with open(log, "a") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=CHILD_ENV)
        try:
            process.wait(timeout=delay)
            return False  # finished before the kill
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True


def check_outputs(run_dir):
    """The saved training state (None before the first checkpoint); raises if any output is torn."""
    run = RunLayout(run_dir)
    for path in run_dir.rglob("*.json"):
        json.loads(path.read_text())
    if run.log_csv.is_file():
        with open(run.log_csv, newline="") as f:
            for row in csv.DictReader(f):
                float(row["dev_wer"])
    if not run.checkpoint.is_file():
        return None
    with np.load(run.checkpoint) as saved:
        for name in saved.files:
            saved[name]  # reads and checks every array
        return json.loads(str(saved[STATE_KEY]))


def describe(state):
    if state is None:
        return "no checkpoint yet: starts over"
    if state["finished"]:
        return "finished"
    return f"epoch {state['epoch'] + 1} batch {state['batch_in_epoch']} (step {state['global_step']})"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--out", required=True, help="work directory (emptied first)")
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0, help="seeds the kill times")
    parser.add_argument("--tolerance", type=float, default=0.5, help="allowed dev WER difference, points")
    args = parser.parse_args()
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    straight, killed = out / "uninterrupted", out / "killed"

    startup, seconds = run_to_end(train_command(args.config, args.data_dir, straight), out / "uninterrupted.log")
    total_steps = json.loads(RunLayout(straight).training_done.read_text())["steps"]
    print(f"uninterrupted run: {seconds:.1f} s, training from {startup:.1f} s, {total_steps} steps")
    rng = np.random.default_rng(args.seed)
    state = None
    for number in range(args.kills):
        left = 1 - (state["global_step"] / total_steps if state else 0)
        delay = startup + rng.uniform(0.0, 0.95) * left * (seconds - startup)  # a random point of what is left
        was_killed = run_and_kill(train_command(args.config, args.data_dir, killed), delay, out / "killed.log")
        state = check_outputs(killed)
        print(f"run {number + 1}: {'killed -9' if was_killed else 'finished'} after {delay:.1f} s; "
              f"outputs readable; resumes from {describe(state)}")
    run_to_end(train_command(args.config, args.data_dir, killed), out / "killed.log")
    check_outputs(killed)

    runs = {"uninterrupted": straight, f"killed x{args.kills}": killed}
    print(f"\n{'run':<16} {'epochs':>6} {'steps':>6} {'best epoch':>10} {'dev WER':>9} {'dev loss':>9}")
    wers = []
    for name, run in runs.items():
        layout = RunLayout(run)
        summary = json.loads(layout.training_done.read_text())
        kept = read_model_info(layout.model.root).record["training"]  # the dev metrics of the model training kept
        wers.append(100 * kept["dev_wer"])
        print(f"{name:<16} {summary['epochs']:>6} {summary['steps']:>6} {summary['best_epoch']:>10} "
              f"{wers[-1]:>8.2f}% {kept['dev_loss']:>9.3f}")
    difference = wers[1] - wers[0]
    print(f"dev WER difference: {difference:+.2f} points (allowed: ±{args.tolerance})")
    return 0 if abs(difference) <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
