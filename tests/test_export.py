"""`asr export` and the ONNX transcription path: same numbers as TensorFlow, never a stale export."""

import shutil

import numpy as np
import pytest
import soundfile as sf

from asr.errors import AsrError
from asr.inference.onnx_predictor import OnnxPredictor
from asr.inference.transcriber import Transcriber, transcribe_files
from asr.models.model_dir import current_onnx, load_trained_model, save_trained_model
from asr.models.predict import tf_predictor
from tests.test_cli import asr


@pytest.fixture(scope="module")
def exported(tmp_path_factory, tiny_run):
    """A copy of the tiny run's model directory with model.onnx and saved_model/ next to the weights."""
    model_dir = tmp_path_factory.mktemp("exported") / "model"
    shutil.copytree(tiny_run / "model", model_dir)
    result = asr("export", model_dir)
    assert result.returncode == 0, result.stderr
    return model_dir


def padded_batch(seed=0):
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(3, 90, 80)).astype(np.float32)
    return features, np.array([90, 47, 12], dtype=np.int32)


def test_onnx_gives_the_tensorflow_outputs_on_a_padded_batch(exported):
    model, _ = load_trained_model(exported)
    features, lengths = padded_batch()
    tf_logits, tf_lengths = tf_predictor(model)(features, lengths)
    onnx_logits, onnx_lengths = OnnxPredictor(current_onnx(exported))(features, lengths)
    np.testing.assert_array_equal(onnx_lengths, tf_lengths)
    for i, n in enumerate(tf_lengths):
        np.testing.assert_allclose(onnx_logits[i, :n], tf_logits[i, :n], atol=1e-4)


@pytest.mark.parametrize("encoder, stack, skip, normalisation", [
    ("bilstm", 3, 3, "global"), ("bigru", 3, 2, "global"), ("bilstm", 1, 1, "global"),
    ("lstm_lookahead", 3, 3, "global"), ("lstm_lookahead", 3, 2, "global"),
    ("bilstm", 3, 3, "utterance"), ("bigru", 3, 2, "utterance")])
def test_onnx_graph_matches_every_encoder_frame_stacking_and_normalisation(encoder, stack, skip, normalisation):
    import keras
    import onnxruntime as ort

    from asr.config import ModelConfig
    from asr.models.acoustic import build_model
    from asr.models.onnx_graph import acoustic_model_onnx
    keras.utils.set_random_seed(0)
    config = ModelConfig(stack=stack, skip=skip, encoder=encoder, layers=2, units=16, dropout=0.0, lookahead=2,
                         normalisation=normalisation)
    statistics = {"mean": np.full(80, 0.3), "std": np.full(80, 1.7)}  # global normalisation's only
    model = build_model(config, 29, cmvn=statistics)
    for cell_layer in (layer.cell for layer in model.encoder.recurrent_layers()):
        cell_layer.bias.assign(np.random.default_rng(5).normal(size=cell_layer.bias.shape))  # gate order shows
    session = ort.InferenceSession(acoustic_model_onnx(model).SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    features, lengths = padded_batch(2)
    logits, out_lengths = session.run(None, {"features": features, "lengths": lengths})
    tf_logits, tf_lengths = tf_predictor(model)(features, lengths)
    np.testing.assert_array_equal(out_lengths, tf_lengths)
    for i, n in enumerate(tf_lengths):
        np.testing.assert_allclose(logits[i, :n], tf_logits[i, :n], atol=1e-5)


def test_saved_model_gives_the_tensorflow_outputs(exported):
    import tensorflow as tf
    model, _ = load_trained_model(exported)
    features, lengths = padded_batch(1)
    serve = tf.saved_model.load(str(exported / "saved_model")).signatures["serving_default"]
    out = serve(features=tf.constant(features), lengths=tf.constant(lengths))
    np.testing.assert_allclose(out["logits"].numpy(), tf_predictor(model)(features, lengths)[0], atol=1e-4)


def test_both_backends_transcribe_alike_and_auto_picks_onnx(exported, tiny_data):
    paths = sorted((tiny_data / "manifests").parent.rglob("*.wav"))[:6]
    recordings = [sf.read(p, dtype="float32")[0] for p in paths]
    auto, tf_only = Transcriber(exported), Transcriber(exported, backend="tf")
    assert (auto.backend, tf_only.backend) == ("onnx", "tf")
    assert auto.transcribe_many(recordings) == tf_only.transcribe_many(recordings)


def test_an_export_of_other_weights_is_ignored(exported, tmp_path):
    model_dir = tmp_path / "model"
    shutil.copytree(exported, model_dir)
    model, info = load_trained_model(model_dir)
    model.classifier.bias.assign(model.classifier.bias + 1.0)
    save_trained_model(model, model_dir, info.features, info.decode, info.record["data"])  # retrained: stale ONNX
    assert current_onnx(model_dir) is None
    assert Transcriber(model_dir).backend == "tf"
    with pytest.raises(AsrError, match=r"no ONNX export of these weights \(run `asr export "):
        Transcriber(model_dir, backend="onnx")


def test_batching_files_together_changes_no_transcript(tiny_run, tiny_data):
    paths = sorted((tiny_data / "manifests").parent.rglob("*.wav"))[:5]
    recordings = [sf.read(p, dtype="float32")[0] for p in paths]
    transcriber = Transcriber(tiny_run, backend="tf")
    alone = [transcriber.transcribe_samples(r) for r in recordings]
    assert [text for text, _ in transcriber.transcribe_many(recordings)] == alone


def test_export_of_a_missing_model_is_one_line(tmp_path):
    result = asr("export", tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and str(tmp_path) in result.stderr


@pytest.mark.parametrize("backend", ["onnx", "tf"])
def test_transcribe_refuses_features_its_model_was_not_made_for(exported, tmp_path, tiny_data, backend):
    """model.json's feature settings are what transcription computes: settings that do not fit the weights
    (of either backend) are one line, not features the model never saw."""
    import json
    model_dir = tmp_path / "model"
    shutil.copytree(exported, model_dir)
    record = json.loads((model_dir / "model.json").read_text())
    record["features"]["n_mels"] = 40
    (model_dir / "model.json").write_text(json.dumps(record))
    wav = next((tiny_data / "wav").rglob("*.wav"))
    result = asr("transcribe", "--model", model_dir, "--backend", backend, wav)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert ("takes 80 features per frame" if backend == "onnx" else "does not fit") in result.stderr


def test_evaluate_refuses_shards_of_other_feature_settings(tiny_run, tiny_data, tmp_path):
    """The shards a model is scored on must have been made with the model's own feature settings."""
    data = tmp_path / "data"
    shutil.copytree(tiny_data / "manifests", data / "manifests")
    shutil.copytree(tiny_data / "features", data / "features")
    source = data / "features" / "dev" / "source.json"
    record = __import__("json").loads(source.read_text())
    record["features"]["hop_length"] = 200
    source.write_text(__import__("json").dumps(record))
    result = asr("evaluate", "--run-dir", tiny_run, "--data-dir", data, "--split", "dev")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "other feature settings than" in result.stderr and "hop_length 200 vs 160" in result.stderr


SLOW_IMPORTS = ("tensorflow", "keras", "librosa", "scipy", "sklearn", "numba")  # each costs 0.3-5 s of start-up


def transcribe_in_a_new_process(model_dir, wav, *options):
    """The stdout lines of `asr transcribe --model MODEL_DIR WAV OPTIONS` run by main() in a fresh interpreter,
    then 'exit CODE TENSORFLOW_IMPORTED KERAS_IMPORTED' and 'slow [the SLOW_IMPORTS it imported]'."""
    import subprocess
    import sys
    probe = ("import sys; from asr.cli.main import main; "
             "code = main(['transcribe', '--model', *sys.argv[1:]]);"
             " print('exit', code, 'tensorflow' in sys.modules, 'keras' in sys.modules);"
             " print('slow', sorted({m.split('.')[0] for m in sys.modules} & set(SLOW)))"
             ).replace("SLOW", repr(SLOW_IMPORTS))
    run = subprocess.run([sys.executable, "-c", probe, str(model_dir), str(wav), *options], capture_output=True,
                         text=True)
    return run.stdout.splitlines() or [run.stderr]


def test_transcription_with_an_onnx_export_never_imports_tensorflow(exported, tiny_data):
    """The ONNX path runs without TensorFlow or Keras in the process (their import alone takes seconds), and
    the features without librosa (its filters pull in scipy.signal and numba)."""
    wav = next((tiny_data / "wav").rglob("*.wav"))
    onnx = transcribe_in_a_new_process(exported, wav)
    assert onnx[-2:] == ["exit 0 False False", "slow []"], onnx
    tf = transcribe_in_a_new_process(exported, wav, "--backend", "tf")
    assert tf[-2] == "exit 0 True True", tf  # the probe can tell
    assert onnx[0] == tf[0]  # the same transcript


def test_a_long_file_read_block_by_block_transcribes_as_the_whole_file(exported, tiny_data, tmp_path, monkeypatch):
    """The streamed reader (two passes of blocks, resampled as they come, chunks decoded in groups that split
    the file) gives the transcript and word times of transcribing the whole file at once."""
    import soxr

    from asr.data import audio
    from asr.data.audio import to_mono
    rows = sorted((tiny_data / "wav").rglob("*.wav"))[:8]
    pause = np.zeros(8000, np.float32)
    speech = np.concatenate([np.concatenate([sf.read(p, dtype="float32")[0], pause]) for p in rows])
    at_44k = soxr.resample(speech, 16000, 44100)
    path = tmp_path / "long.flac"
    sf.write(path, np.stack([at_44k, 0.5 * at_44k], 1), 44100)
    monkeypatch.setattr(audio, "BLOCK_FRAMES", 10000)  # blocks end anywhere in chunks and hops
    transcriber = Transcriber(exported, chunk_seconds=2.5, words=True)
    whole = to_mono(*sf.read(path, dtype="float32"), 16000)
    seconds, bounds = transcriber.plan_file(path)
    chunks = list(transcriber.file_chunks(path, bounds))
    assert seconds == len(whole) / 16000 and len(chunks) > 3
    for (start, features), (whole_start, whole_features) in zip(chunks, transcriber.chunks(whole), strict=True):
        assert start == whole_start
        np.testing.assert_array_equal(features, whole_features)
    [streamed] = transcribe_files([path], transcriber, group_seconds=3.0)  # a group ends inside the file
    text, words = transcriber.transcribe_many([whole])[0]
    assert streamed["text"] == text and streamed["words"] == words
    assert streamed["duration"] == round(len(whole) / 16000, 3)
