"""model.normalisation: utterance normalises over true frames only, alike in Keras and ONNX; global stays the
default; the settings that cannot work together are one line."""

import dataclasses
import json

import keras
import numpy as np
import pytest

from asr.config import DecodeConfig, FeatureConfig, ModelConfig
from asr.errors import AsrError
from asr.models.acoustic import build_model
from asr.models.model_dir import load_trained_model, read_model_info, save_trained_model
from asr.models.normalisation import STD_FLOOR, UtteranceCMVN
from asr.recipe import config_from_dict


def utterance_model(encoder="bilstm", **sizes):
    keras.utils.set_random_seed(0)
    config = ModelConfig(encoder=encoder, layers=2, units=16, dropout=0.0, normalisation="utterance", **sizes)
    return build_model(config, 29)


def padded_batch(seed=0, padding=1e6):
    """Three utterances of 90, 47 and 12 frames (offset and scaled apart, as channels differ), padded with
    `padding`-sized values."""
    rng = np.random.default_rng(seed)
    lengths = np.array([90, 47, 12], np.int32)
    features = rng.normal(size=(3, 90, 80)).astype(np.float32) * np.array([1.0, 3.0, 0.5])[:, None, None] \
        + np.array([-5.0, 2.0, 9.0], np.float32)[:, None, None]
    for i, n in enumerate(lengths):
        features[i, n:] = padding
    return features.astype(np.float32), lengths


def test_each_utterance_is_normalised_over_its_true_frames_only():
    features, lengths = padded_batch()
    normalised = UtteranceCMVN(80)(features, lengths).numpy()
    for i, n in enumerate(lengths):
        alone = UtteranceCMVN(80)(features[i:i + 1, :n], lengths[i:i + 1]).numpy()[0]
        np.testing.assert_allclose(normalised[i, :n], alone, atol=1e-5)
        np.testing.assert_array_equal(normalised[i, n:], 0.0)
        np.testing.assert_allclose(alone.mean(axis=0), 0.0, atol=1e-5)
        spread = features[i, :n].std(axis=0)  # unit variance but for the floor
        np.testing.assert_allclose(alone.std(axis=0), spread / np.sqrt(spread ** 2 + STD_FLOOR ** 2), atol=1e-5)


def test_a_constant_bin_gives_zeros_not_a_division_by_zero():
    features = np.full((1, 20, 80), np.log(1e-6), np.float32)  # digital silence at features.log_floor
    features[0, :, 0] += np.linspace(0, 10, 20, dtype=np.float32)  # one bin moves as speech does (std ~3)
    normalised = UtteranceCMVN(80)(features, np.array([20])).numpy()[0]
    assert np.all(np.isfinite(normalised)) and np.all(normalised[:, 1:] == 0.0)
    assert abs(normalised[:, 0].std() - 1.0) < 1e-3  # the floor leaves a speech-like spread alone


@pytest.mark.parametrize("encoder", ["bilstm", "bigru"])
def test_padding_and_a_channel_gain_change_no_logit(encoder):
    """A padded batch gives each utterance's logits alone; padding of any size (inf too) changes nothing; a
    constant log-mel offset (a gain) changes nothing either: what global CMVN cannot do."""
    model = utterance_model(encoder)
    features, lengths = padded_batch()
    logits, out_lengths = model((features, lengths))
    for padding in (0.0, np.inf):
        other, _ = model((padded_batch(padding=padding)[0], lengths))
        np.testing.assert_allclose(other, logits, atol=1e-5)  # padded frames' outputs too: their inputs are 0
    for i, (n, m) in enumerate(zip(lengths, out_lengths)):
        alone, _ = model((features[i:i + 1, :n] + 7.0, lengths[i:i + 1]))
        np.testing.assert_allclose(alone[0], logits[i, :m], atol=1e-5)


def test_int8_export_keeps_the_normalisation(tmp_path):
    import onnxruntime as ort

    from asr.models.onnx_graph import acoustic_model_onnx
    from asr.models.quantize import quantize_onnx
    model = utterance_model()
    float_proto = acoustic_model_onnx(model)
    quantize_onnx(float_proto, str(tmp_path / "model.int8.onnx"))
    features, lengths = padded_batch(4)
    runs = [ort.InferenceSession(source, providers=["CPUExecutionProvider"]).run(
        None, {"features": features, "lengths": lengths}) for source in
        (float_proto.SerializeToString(), str(tmp_path / "model.int8.onnx"))]
    (float_logits, out_lengths), (int8_logits, int8_lengths) = runs
    np.testing.assert_array_equal(int8_lengths, out_lengths)
    for i, n in enumerate(out_lengths):
        np.testing.assert_allclose(int8_logits[i, :n], float_logits[i, :n], atol=0.05)


def test_a_model_json_without_the_key_is_global_and_utterance_round_trips(tmp_path):
    model = utterance_model()
    save_trained_model(model, tmp_path / "utt", FeatureConfig(), DecodeConfig(), {})
    loaded, info = load_trained_model(tmp_path / "utt")
    assert info.model.normalisation == "utterance" and not loaded.cmvn.weights
    features, lengths = padded_batch(5)
    np.testing.assert_allclose(loaded((features, lengths))[0], model((features, lengths))[0], atol=1e-6)
    record = json.loads((tmp_path / "utt" / "model.json").read_text())
    del record["model"]["normalisation"]  # as written before the option existed
    (tmp_path / "utt" / "model.json").write_text(json.dumps(record))
    assert read_model_info(tmp_path / "utt").model.normalisation == "global"


def test_a_streaming_encoder_is_refused_in_the_model_too():
    with pytest.raises(AsrError, match="sliding-window"):
        build_model(ModelConfig(encoder="lstm_lookahead", normalisation="utterance", layers=1, units=4), 29)


def test_fine_tuning_from_another_normalisation_is_an_architecture_mismatch(tmp_path):
    from asr.training.init_from import read_source
    keras.utils.set_random_seed(0)
    source = build_model(ModelConfig(layers=2, units=16), 29)
    save_trained_model(source, tmp_path / "global", FeatureConfig(), DecodeConfig(), {})
    config = config_from_dict({"model": {**dataclasses.asdict(source.config), "normalisation": "utterance"}})
    with pytest.raises(AsrError, match="model.normalisation 'global' vs 'utterance'") as error:
        read_source(tmp_path / "global", config)
    assert "\n" not in str(error.value)
