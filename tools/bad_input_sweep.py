"""Every input a user can get wrong, through the CLI as a user runs it: prints case -> exit code -> message.

    python tools/bad_input_sweep.py --run-dir recipes/synth_en/exp/small --data-dir recipes/synth_en/data/small

RUN_DIR: a trained run (its ONNX export is made in a copy when missing); DATA_DIR: its data (for a resume
and a features case). Each case is one `asr` command in a fresh process; a case passes when the exit code
is the documented one, stderr has no traceback, and the message (or, for kept inputs, stdout) holds the
expected fragment. Exit status 1 when any case fails. Takes a few minutes (each command imports TensorFlow).
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
import yaml


@dataclass
class Case:
    name: str
    argv: list
    exit_code: int = 1
    expect: str = ""  # a fragment of what the user must read (stderr, or stdout for a kept input)
    stdin: Path = None
    interrupt_when: str = ""  # send SIGINT once a stdout line holds this
    check: object = None  # () -> [problems], for what the output files must (not) hold


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    seconds: float = 0.0
    notes: list = field(default_factory=list)


def without_dac_override(command):
    """As root, run without the capabilities that ignore permission bits, so read-only means read-only."""
    if os.geteuid() == 0 and shutil.which("setpriv"):
        return ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--", *command]
    return command


def run_case(case, workspace):
    command = without_dac_override([sys.executable, "-m", "asr.cli", *map(str, case.argv)])
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    start = time.monotonic()
    with open(case.stdin or os.devnull, "rb") as stdin:
        process = subprocess.Popen(command, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env=env, text=True, cwd=workspace, preexec_fn=default_sigint)
        if case.interrupt_when:
            wait_for_line(process, case.interrupt_when)
            process.send_signal(signal.SIGINT)
        try:
            stdout, stderr = process.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
            stderr += "\n[sweep: killed after 600 s]"
    return Outcome(process.returncode, stdout, stderr, time.monotonic() - start)


def default_sigint():
    """Ctrl-C means what it means in a terminal even when the sweep runs in the background (`&`, nohup),
    where SIGINT is ignored and the children would inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_for_line(process, fragment):
    """Read stdout until a line holds `fragment` (the stage has begun its work), then return."""
    for line in process.stdout:
        if fragment in line:
            return


def verdict(case, outcome):
    problems = []
    if outcome.code != case.exit_code:
        problems.append(f"exit {outcome.code}, expected {case.exit_code}")
    if "Traceback" in outcome.stderr:
        problems.append("traceback")
    text = outcome.stdout + outcome.stderr
    if case.expect and case.expect not in text:
        problems.append(f"no {case.expect!r}")
    if case.check:
        problems += case.check()
    return problems


def message_of(outcome):
    """The line a user reads: the last non-empty stderr line (or stdout's, for a kept input)."""
    lines = [line for line in outcome.stderr.splitlines() if line.strip()] or outcome.stdout.splitlines()
    return (lines[-1] if lines else "").replace("|", "\\|")[:150]


def write_tone(path, seconds, rate=16000, level=0.3, channels=1, subtype="PCM_16"):
    """A speech-band test signal (not speech: the sweep checks handling, not transcripts)."""
    t = np.arange(int(seconds * rate)) / rate
    mono = level * np.sin(2 * np.pi * 220 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))
    data = mono if channels == 1 else np.stack([mono] * channels, axis=1)
    sf.write(path, data, rate, subtype=subtype)
    return path



def audio_cases(w, run):
    """`asr transcribe` on files it must refuse (one line each), keep with a warning, or read from stdin."""
    a = w / "audio"
    a.mkdir()
    good = write_tone(a / "good.wav", 2.0)
    sf.write(a / "ten_ms.wav", np.zeros(160), 16000)
    sf.write(a / "absurd_level.wav", np.full(16000, 1e30), 16000, subtype="FLOAT")
    nan = np.full(16000, 0.1)
    nan[100] = np.nan
    sf.write(a / "nan.wav", nan, 16000, subtype="FLOAT")
    header = bytearray(good.read_bytes())
    header[24:32] = bytes(8)  # sample rate and byte rate 0
    (a / "zero_rate.wav").write_bytes(bytes(header))
    (a / "not_audio.wav").write_text("<html>404</html>\n" * 50)
    (a / "truncated.wav").write_bytes(good.read_bytes()[:40])
    write_tone(a / "clipped.wav", 2.0, level=3.0)
    write_tone(a / "near_silent.wav", 2.0, level=1e-3)
    tone = sf.read(good)[0]
    sf.write(a / "cancelling.wav", np.stack([tone, -tone], axis=1), 16000)
    t = ["transcribe", "--model", run]
    return [
        Case("good file", t + [good], 0),
        Case("10 ms of audio", t + [a / "ten_ms.wav"], 1, "too short"),
        Case("samples at 1e30", t + [a / "absurd_level.wav"], 1, "not audio levels"),
        Case("a NaN sample", t + [a / "nan.wav"], 1, "NaN or infinite"),
        Case("sample rate 0 in the header", t + [a / "zero_rate.wav"], 1, "zero_rate.wav"),
        Case("a web page named .wav", t + [a / "not_audio.wav"], 1, "not a readable audio file"),
        Case("a header cut at 40 bytes", t + [a / "truncated.wav"], 1, "truncated.wav"),
        Case("no such file", t + [a / "missing.wav"], 1, "no such file"),
        Case("a directory", t + [a], 1, "not a file"),
        Case("bad file among good ones", t + [good, a / "ten_ms.wav", good], 1, "1 of 3 files",
             check=lambda: []),
        Case("clipped recording (kept, warned)", t + [a / "clipped.wav"], 0, "clipped"),
        Case("near-silent recording (kept, warned)", t + [a / "near_silent.wav"], 0, "near-silent"),
        Case("stereo channels that cancel (kept, warned)", t + [a / "cancelling.wav"], 0, "channels cancel"),
        Case("WAV on stdin (`-`)", t + ["-"], 0, stdin=good),
        Case("not audio on stdin", t + ["-"], 1, "not a readable audio file", stdin=a / "not_audio.wav"),
        Case("nothing on stdin", t + ["-"], 1, "-: not a readable audio file"),
        Case("no model there", ["transcribe", "--model", w / "nowhere", good], 1, "nowhere"),
    ]


def option_cases(w, run, data):
    t = ["transcribe", "--model", run, w / "audio" / "good.wav"]
    return [Case(f"--chunk-seconds {v}", t[:1] + ["--chunk-seconds", v] + t[1:], 1, "--chunk-seconds")
            for v in ("0", "0.01", "-1", "nan", "inf")] + [
        Case("--beam-width 0", t[:1] + ["--strategy", "beam", "--beam-width", "0"] + t[1:], 1, "--beam-width"),
        Case("--jobs 0", ["features", "--data-dir", data, "--jobs", "0"], 1, "--jobs"),
        Case("--max-steps 0", ["train", "--config", run / "config.json", "--data-dir", data, "--run-dir",
                               w / "never", "--max-steps", "0"], 1, "--max-steps"),
        Case("unknown corpus type", ["prepare", "--corpus", "nope", "--data-dir", w / "x"], 2, "invalid choice"),
        Case("corpus folder missing", ["prepare", "--corpus", "folder", "--source", w / "nowhere", "--data-dir",
                                       w / "x"], 1, "nowhere"),
        Case("split without features", ["evaluate", "--run-dir", run, "--data-dir", data, "--split", "nosuch"], 1,
             "nosuch"),
    ]


def config_cases(w, run, data):
    """`asr train` with configs that must be refused up front with the key and its allowed range."""
    base = json.loads((run / "config.json").read_text())
    variants = {
        "negative learning rate": ("train", "peak_learning_rate", -0.001),
        "layers: -1": ("model", "layers", -1), "units: 0": ("model", "units", 0),
        "stack: 0": ("model", "stack", 0), "dropout: 1.5": ("model", "dropout", 1.5),
        "checkpoint_every_steps: 0": ("train", "checkpoint_every_steps", 0),
    }
    cases = []
    for name, (section, key, value) in variants.items():
        path = w / f"config_{len(cases)}.yaml"
        path.write_text(yaml.safe_dump({**base, section: {**base.get(section, {}), key: value}}))
        cases.append(Case(name, ["train", "--config", path, "--data-dir", data, "--run-dir", w / "never"], 1, key))
    for name, text, fragment in [("empty YAML", "", "empty"), ("YAML list", "- 1\n- 2\n", "mapping"),
                                 ("YAML syntax error", "model: {units: 3\n", "YAML"),
                                 ("unknown key", "model: {unitz: 3}\n", "unitz")]:
        path = w / f"config_{len(cases)}.yaml"
        path.write_text(text)
        cases.append(Case(name, ["train", "--config", path, "--data-dir", data, "--run-dir", w / "never"], 1,
                          fragment))
    return cases


def resume_cases(w, run, data):
    """Resuming a run with another model size is refused naming the key; the run record stays true."""
    copy = w / "run_copy"
    shutil.copytree(run, copy, ignore=shutil.ignore_patterns("saved_model", "*.onnx", "report*", "inspect",
                                                             "training_done.json"))  # a run to resume
    config = json.loads((run / "config.json").read_text())
    config["model"]["units"] += 8
    changed = w / "changed.yaml"
    changed.write_text(yaml.safe_dump(config))
    before = (copy / "config.json").read_text()
    check = lambda: [] if (copy / "config.json").read_text() == before else ["config.json changed"]
    return [Case("resume with other model units", ["train", "--config", changed, "--data-dir", data, "--run-dir",
                                                   copy], 1, "model.units", check=check)]


def model_dir_cases(w, run):
    """A damaged model directory: one line naming the damaged file, in transcribe and in export."""
    cases = []
    damages = {
        "model.json not JSON": ("model/model.json", lambda p: p.write_text("{not json")),
        "model.json without a key": ("model/model.json", lambda p: p.write_text(json.dumps(
            {k: v for k, v in json.loads(p.read_text()).items() if k != "features"}))),
        "weights truncated": ("model/model.weights.h5", lambda p: p.write_bytes(p.read_bytes()[:4096])),
        "ONNX truncated": ("model/model.onnx", lambda p: p.write_bytes(p.read_bytes()[:2048])),
        "ONNX replaced by text": ("model/model.onnx", lambda p: p.write_text("not a model")),
    }
    for n, (name, (relative, damage)) in enumerate(damages.items()):
        copy = w / f"damaged_{n}"
        shutil.copytree(run / "model", copy / "model", ignore=shutil.ignore_patterns("saved_model"))
        shutil.copy(run / "config.json", copy / "config.json")
        damage(copy / relative)
        fragment = Path(relative).name
        cases.append(Case(f"{name}: transcribe", ["transcribe", "--model", copy, w / "audio" / "good.wav"], 1,
                          fragment))
        if "ONNX" not in name:
            cases.append(Case(f"{name}: export", ["export", copy], 1, fragment,
                              check=lambda c=copy: [] if not list(c.rglob("*.tmp*")) else ["left a .tmp"]))
    return cases


def file_cases(w, run, data):
    """Writers facing a read-only directory: one line naming the path, nothing half-written."""
    read_only = w / "read_only"
    shutil.copytree(data / "manifests", read_only / "manifests")
    run_copy = w / "read_only_run"
    shutil.copytree(run / "model", run_copy / "model", ignore=shutil.ignore_patterns("saved_model", "*.onnx"))
    shutil.copy(run / "config.json", run_copy)
    for path in (read_only, read_only / "manifests", run_copy, run_copy / "model"):
        os.chmod(path, 0o555)
    leftovers = lambda: [] if not list(run_copy.rglob("*.tmp*")) else ["left a .tmp"]
    return [
        Case("features into a read-only data dir", ["features", "--data-dir", read_only], 1, str(read_only)),
        Case("export into a read-only run", ["export", run_copy], 1, str(run_copy), check=leftovers),
        Case("LM into a read-only data dir", ["lm", "--data-dir", read_only, "--order", "3"], 1, str(read_only)),
    ]


def transcript_cases(w):
    """`asr prepare --corpus folder`: numbers spelled out, unspellable text skipped with its reason, and a
    transcript file that is not UTF-8 named."""
    folder = w / "folder_corpus"
    folder.mkdir()
    texts = {"numbers": "I have 3 cats and 21st-century ideas.", "money": "Dr. Smith paid $5.50 & left.",
             "unspellable": "Ein Straßenname: Москва §4"}
    for name in texts:
        write_tone(folder / f"{name}.wav", 1.5)
    (folder / "transcripts.tsv").write_text("".join(f"{n}.wav\t{t}\n" for n, t in texts.items()), encoding="utf-8")
    latin1 = w / "latin1_corpus"
    latin1.mkdir()
    write_tone(latin1 / "a.wav", 1.5)
    (latin1 / "transcripts.tsv").write_bytes("a.wav\tcaf\xe9 cr\xe8me\n".encode("latin-1"))
    manifest = w / "folder_data" / "manifests" / "train.jsonl"

    def spelled():
        rows = {json.loads(r)["id"]: json.loads(r)["text"] for r in manifest.read_text().splitlines()}
        want = {"numbers": "three cats", "money": "five dollars"}
        return [f"{k}: {rows.get(k)!r} lacks {v!r}" for k, v in want.items() if v not in rows.get(k, "")]
    return [
        Case("digits, currency, abbreviations", ["prepare", "--corpus", "folder", "--source", folder, "--data-dir",
                                                 w / "folder_data"], 0, "cannot spell", check=spelled),
        Case("transcripts.tsv in Latin-1", ["prepare", "--corpus", "folder", "--source", latin1, "--data-dir",
                                            w / "latin1_data"], 1, "UTF-8"),
    ]


def interrupt_cases(w, data):
    """Ctrl-C while features are computed: quiet exit 130 within seconds, no partial shard."""
    copy = w / "interrupted"
    shutil.copytree(data / "manifests", copy / "manifests")
    partial = lambda: [str(p) for p in (copy / "features").rglob(".*") if p.is_file()]  # temp names start "."
    return [Case("Ctrl-C during asr features", ["features", "--data-dir", copy, "--jobs", "2"], 130, "interrupt",
                 interrupt_when="features", check=partial)]


def all_cases(run, data, w):
    if not (run / "model" / "model.onnx").exists():
        sys.exit(f"{run}: run `asr export {run}` first (the sweep's model cases need model.onnx)")
    return (audio_cases(w, run) + option_cases(w, run, data) + config_cases(w, run, data)
            + resume_cases(w, run, data) + model_dir_cases(w, run) + file_cases(w, run, data)
            + transcript_cases(w) + interrupt_cases(w, data))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", required=True, type=Path)
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--only", help="run only the cases whose name contains this")
    args = parser.parse_args()
    failed = 0
    with tempfile.TemporaryDirectory(prefix="asr_sweep_") as tmp:
        workspace = Path(tmp)
        os.chmod(workspace, 0o755)
        cases = [c for c in all_cases(args.run_dir.resolve(), args.data_dir.resolve(), workspace)
                 if not args.only or args.only in c.name]
        print("| case | command | exit | what the user reads | verdict |")
        print("|---|---|---|---|---|")
        for case in cases:
            outcome = run_case(case, workspace)
            problems = verdict(case, outcome)
            failed += bool(problems)
            print(f"| {case.name} | `asr {case.argv[0]}` | {outcome.code} | {message_of(outcome)} | "
                  f"{'ok' if not problems else 'FAIL: ' + '; '.join(problems)} |", flush=True)
    print(f"{len(cases) - failed} of {len(cases)} cases behave as documented")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
