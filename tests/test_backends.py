"""The one backend choice (asr.inference.backends): what `asr transcribe` and `asr serve` offer, what each
backend runs, and a backend that cannot run is one line."""

import shutil

import pytest

from asr.cli.main import build_parser
from asr.errors import AsrError
from asr.inference.backends import BACKENDS, choose_backend
from asr.models.model_dir import read_model_info


@pytest.mark.parametrize("command", [["transcribe", "a.wav"], ["serve"]])
def test_transcribe_and_serve_offer_every_backend(command):
    parser = build_parser()
    for backend in BACKENDS:
        assert parser.parse_args([*command, "--backend", backend]).backend == backend


def test_each_backend_runs_its_engine(tiny_streaming_run):
    info = read_model_info(tiny_streaming_run / "model")  # exported, without --int8
    assert choose_backend(info, "auto") == ("onnx", info.layout.onnx)
    assert choose_backend(info, "onnx", stream=True) == ("onnx", info.layout.stream_onnx)
    assert choose_backend(info, "tf") == ("tf", None)
    with pytest.raises(AsrError, match="no streaming int8 ONNX export of these weights .*asr export --int8"):
        choose_backend(info, "onnx-int8", stream=True)
    with pytest.raises(AsrError, match="unknown backend 'cuda' \\(known: auto, onnx, onnx-int8, tf\\)"):
        choose_backend(info, "cuda")


def test_auto_without_an_export_is_tensorflow_and_onnx_is_refused(tiny_streaming_run, tmp_path):
    model_dir = shutil.copytree(tiny_streaming_run / "model", tmp_path / "model")
    (model_dir / "export.json").unlink()  # no record of an export: its files are not these weights'
    info = read_model_info(model_dir)
    assert choose_backend(info, "auto", stream=True) == ("tf", None)
    with pytest.raises(AsrError, match="no ONNX export of these weights"):
        choose_backend(info, "onnx")
