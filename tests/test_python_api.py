"""The Python API (asr.load_model): docs/python-api.md's example runs as written and gives the transcripts
of the machinery `asr transcribe` uses; bad input is one AsrError line; `import asr` loads no model
machinery; every parameter and result of what `asr` exports is typed (py.typed says so to type checkers)."""

import inspect
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import asr
from asr import AsrError

DOC = Path(__file__).resolve().parents[1] / "docs" / "python-api.md"


def documented_example():
    """The last python code block of docs/python-api.md: its runnable example."""
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)[-1]


def test_the_documented_example_runs_and_gives_the_transcripts_of_the_machinery(
        tiny_streaming_run, spoken_utterance, streaming_transcriber, streaming_recognizer, tmp_path, monkeypatch,
        capsys):
    shutil.copy(spoken_utterance["audio"], tmp_path / "speech.wav")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ASR_MODEL", str(tiny_streaming_run))  # load_model() finds the default model there
    exec(compile(documented_example(), str(DOC), "exec"), {})
    out = capsys.readouterr().out.splitlines()
    samples = streaming_transcriber.load(tmp_path / "speech.wav")
    offline = streaming_transcriber.transcribe_samples(samples)
    assert f"text: {offline}" in out and offline != ""
    word_lines = [line for line in out if re.fullmatch(r" *\d+\.\d\d +\d+\.\d\d  [01]\.\d\d  \S+", line)]
    assert [line.split()[-1] for line in word_lines] == offline.split()
    stream = streaming_recognizer.new_stream()  # the whole file at once: finals do not depend on the pieces
    finals = [e["text"] for e in stream.accept(samples) + stream.finish() if e["type"] == "final"]
    assert f"streamed: {' '.join(finals)}" in out


def test_the_readme_example_runs_and_prints_the_transcript(tiny_streaming_run, spoken_utterance,
                                                           streaming_transcriber, tmp_path, monkeypatch, capsys):
    readme = DOC.parents[1] / "README.md"
    [example] = re.findall(r"```python\n(.*?)```", readme.read_text(encoding="utf-8"), re.S)
    shutil.copy(spoken_utterance["audio"], tmp_path / "speech.wav")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ASR_MODEL", str(tiny_streaming_run))
    exec(compile(example, str(readme), "exec"), {})
    text, words = capsys.readouterr().out.splitlines()[-2:]  # after the log line naming the model chosen
    assert text == streaming_transcriber.transcribe_samples(streaming_transcriber.load(tmp_path / "speech.wav")) != ""
    assert [w for w, _, _ in eval(words)] == text.split()


def test_words_are_timed_in_order_inside_the_audio(tiny_streaming_run, spoken_utterance):
    result = asr.load_model(tiny_streaming_run / "model").transcribe(spoken_utterance["audio"])
    assert [w.word for w in result.words] == result.text.split()
    assert all(0 <= w.start < w.end <= result.duration + 0.1 and 0 <= w.confidence <= 1 for w in result.words)
    assert [w.start for w in result.words] == sorted(w.start for w in result.words)


@pytest.mark.parametrize("audio, message", [
    ("missing.wav", "missing.wav: no such file"),
    (np.full(16000, np.nan, np.float32), "audio array: contains NaN or infinite samples"),
    (np.zeros(800, np.float32), r"audio array: too short \(50 ms"),
])
def test_bad_audio_is_one_line_naming_it(tiny_streaming_run, audio, message):
    model = asr.load_model(tiny_streaming_run)
    with pytest.raises(AsrError, match=message):
        model.transcribe(audio)


def test_bad_stream_pieces_are_one_line(tiny_streaming_run):
    stream = asr.load_model(tiny_streaming_run).stream()
    with pytest.raises(AsrError, match="stream: contains NaN or infinite samples"):
        stream.feed(np.array([0.0, np.inf], np.float32))
    with pytest.raises(AsrError, match=r"stream: samples must be mono \(N,\), got shape \(10, 2\)"):
        stream.feed(np.zeros((10, 2), np.float32))


def test_a_sample_rate_with_a_file_is_refused(tiny_streaming_run, spoken_utterance):
    with pytest.raises(AsrError, match="sample_rate is for arrays of samples"):
        asr.load_model(tiny_streaming_run).transcribe(spoken_utterance["audio"], sample_rate=8000)


def test_import_asr_loads_no_model_machinery():
    script = ("import sys, asr\n"
              "print(sorted(m for m in ('numpy', 'tensorflow', 'keras', 'onnxruntime', 'asr.inference') "
              "if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def public_callables(obj):
    """A function itself; a class's own methods and properties that are public (and __init__)."""
    if inspect.isfunction(obj):
        return [obj]
    members = [getattr(member, "fget", member) for name, member in vars(obj).items()
               if not name.startswith("_") or name == "__init__"]
    return [member for member in members if inspect.isfunction(member)]


def test_every_parameter_and_result_of_the_public_api_is_typed():
    unannotated = []
    for name in asr.__all__:
        for function in public_callables(getattr(asr, name)):
            signature = inspect.signature(function)
            missing = [p for p, parameter in signature.parameters.items()
                       if p not in ("self", "cls") and parameter.annotation is inspect.Parameter.empty]
            if signature.return_annotation is inspect.Signature.empty:
                missing.append("return")
            unannotated += [f"{function.__qualname__}: {what}" for what in missing]
    assert unannotated == []
    assert (Path(asr.__file__).parent / "py.typed").is_file()
