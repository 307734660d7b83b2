"""`asr inspect` as a user runs it, and the inside views that training writes to TensorBoard."""

import json

import numpy as np
import soundfile as sf

from tests.conftest import asr


def test_inspect_writes_figures_per_file_and_split_statistics_and_reports_a_bad_file(tiny_run, tiny_data, tmp_path):
    row = json.loads((tiny_data / "manifests" / "test.jsonl").read_text().splitlines()[0])
    samples, rate = sf.read(row["audio"])
    good, bad = tmp_path / "good.wav", tmp_path / "bad.wav"
    sf.write(good, samples, rate)
    bad.write_text("not audio")
    out = tmp_path / "inside"
    result = asr("inspect", tiny_run, bad, good, "--out", out, "--data-dir", tiny_data, "--utterances", "3")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()] and str(bad) in result.stderr
    assert {p.name for p in (out / "good").iterdir()} >= {"gates_layer1.png", "gates_layer2.png", "summary.json"}
    assert not (out / "bad").exists()
    stats = json.loads((out / "dev_statistics.json").read_text())
    assert stats["utterances"] == 3 and [c["from_layer"] for c in stats["context"]] in ([1, 2], [])
    gates = {(s["layer"], s["direction"], s["gate"]) for s in stats["saturation"]}
    assert gates == {(layer, d, g) for layer in (1, 2) for d in ("forward", "backward")
                     for g in ("input", "forget", "output")}
    assert "effective context" in result.stdout and "gate saturation" in result.stdout


def test_inspect_refuses_a_layer_the_model_does_not_have_in_one_line(tiny_run, tiny_data, tmp_path):
    row = json.loads((tiny_data / "manifests" / "test.jsonl").read_text().splitlines()[0])
    result = asr("inspect", tiny_run, row["audio"], "--layer", "7", "--out", tmp_path)
    assert result.returncode == 1 and result.stderr.strip() == \
        "asr inspect: --layer 7: the model's layers with gates are 1, 2"
    assert asr("inspect", tiny_run).stderr.strip().startswith("asr inspect: give AUDIO files")


def test_training_writes_gradient_norms_per_layer_and_gate_histograms(tiny_run):
    from asr.runtime import import_tensorflow_quietly
    import_tensorflow_quietly()
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util.tensor_util import make_ndarray
    events = EventAccumulator(str(tiny_run / "tensorboard"), size_guidance={"tensors": 0})
    events.Reload()
    tags = set(events.Tags()["tensors"])
    layers = {f"encoder/recurrent/{k}/{d}_layer" for k in (0, 1) for d in ("forward", "backward")}
    assert {f"gradient_norm/{name}" for name in layers | {"classifier"}} <= tags
    norms = [float(make_ndarray(e.tensor_proto)) for e in events.Tensors("gradient_norm/classifier")]
    assert norms and all(np.isfinite(norms)) and max(norms) > 0
    assert {f"gates/layer{k}_{d}/{g}" for k in (1, 2) for d in ("forward", "backward")
            for g in ("input", "forget", "output")} <= tags
