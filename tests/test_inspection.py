"""Inside the model: gate traces equal the Keras layers and a hand-written step, saliency respects a causal
model's receptive field exactly, probes find a planted unit, and the CTC forced alignment is right."""

import keras
import numpy as np
import pytest
from keras import ops

from asr.config import ModelConfig
from asr.data.tokenizer import CharTokenizer
from asr.errors import AsrError
from asr.inspection import gradients, probes
from asr.inspection.forward import encoder_inputs, look_inside
from asr.inspection.gates import trace_layer
from asr.models.acoustic import build_model
from asr.models.encoder import Encoder
from asr.models.recurrent import recurrent_layer
from asr.models.registry import register_encoder


def lstm_step(x, h, c, kernel, recurrent, bias):
    """One LSTM step written out from the Keras documentation's gate order (i, f, c, o)."""
    i_, f_, c_, o_ = np.split(x @ kernel + h @ recurrent + bias, 4)
    i, f, o = (1 / (1 + np.exp(-z)) for z in (i_, f_, o_))
    c = f * c + i * np.tanh(c_)
    return {"input": i, "forget": f, "output": o, "candidate": np.tanh(c_), "cell": c, "hidden": o * np.tanh(c)}


def gru_step(x, h, kernel, recurrent, bias):
    """One GRU step (reset_after: the reset gate scales the recurrent part after its matmul)."""
    xz, xr, xh = np.split(x @ kernel + bias[0], 3)
    hz, hr, hh = np.split(h @ recurrent + bias[1], 3)
    z, r = 1 / (1 + np.exp(-(xz + hz))), 1 / (1 + np.exp(-(xr + hr)))
    n = np.tanh(xh + r * hh)
    return {"update": z, "reset": r, "candidate": n, "hidden": z * h + (1 - z) * n}


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gate_traces_match_the_keras_layer_and_a_hand_written_step(cell):
    keras.utils.set_random_seed(3)
    layer = recurrent_layer(cell, 6, "bi")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 9, 5)).astype(np.float32)
    lengths = np.array([9, 6])
    mask = np.arange(9)[None, :] < lengths[:, None]
    x[1, 6:] = 100.0  # padding that would show if anything read it
    layer.build(x.shape)
    for weights in (layer.forward_layer.cell.bias, layer.backward_layer.cell.bias):
        weights.assign(rng.normal(size=weights.shape))  # Keras initialises biases to 0/1: make them matter
    keras_out = np.asarray(layer(x, mask=mask))
    for b, n in enumerate(lengths):
        for k, (direction, reverse) in enumerate([("forward_layer", False), ("backward_layer", True)]):
            sub = getattr(layer, direction)
            traces = trace_layer(sub, x[b, :n])
            np.testing.assert_allclose(traces["hidden"], keras_out[b, :n, 6 * k:6 * (k + 1)], atol=2e-5)
            weights = [np.asarray(w) for w in (sub.cell.kernel, sub.cell.recurrent_kernel, sub.cell.bias)]
            for t in range(n):
                before = t + 1 if reverse else t - 1  # the frame whose state this step starts from
                h = traces["hidden"][before] if 0 <= before < n else np.zeros(6)
                if cell == "lstm":
                    c = traces["cell"][before] if 0 <= before < n else np.zeros(6)
                    expected = lstm_step(x[b, t], h, c, *weights)
                else:
                    expected = gru_step(x[b, t], h, *weights)
                for name, value in expected.items():
                    np.testing.assert_allclose(traces[name][t], value, atol=2e-5, err_msg=f"{name} at {t}")


@pytest.mark.parametrize("encoder, normalisation", [("bilstm", "global"), ("bigru", "global"),
                                                    ("bilstm", "utterance")])
def test_the_stages_compute_the_model_and_the_traces_the_next_stage_input(encoder, normalisation):
    keras.utils.set_random_seed(1)
    model = build_model(ModelConfig(encoder=encoder, layers=2, units=8, normalisation=normalisation), 29,
                        feature_dim=10)
    features = np.random.default_rng(1).normal(size=(40, 10)).astype(np.float32)
    inputs, encoded, lengths = encoder_inputs(model, model.normalise(features[None], np.array([40])), np.array([40]))
    logits, _ = model((features[None], np.array([40])))
    np.testing.assert_allclose(model.classifier(encoded), logits, atol=1e-5)
    inside = look_inside(model, features)
    outputs = inside.stage_inputs[1:] + [np.asarray(encoded)[0]]
    for stage, direction, traces in inside.recurrences:
        half = slice(0, 8) if direction == "forward" else slice(8, 16)
        np.testing.assert_allclose(traces["hidden"], outputs[stage][:, half], atol=2e-5)


@register_encoder("toy_causal_lstm")
class ToyCausalEncoder(Encoder):
    """One forward LSTM: frame t sees frames 0..t only."""

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        self.lstm = keras.layers.LSTM(config.units, return_sequences=True, dtype=self.dtype_policy)

    def call(self, x, lengths, training=False):
        return self.lstm(x, mask=ops.arange(ops.shape(x)[1])[None, :] < lengths[:, None])

    def output_dim(self, input_dim):
        return self.config.units

    def traced_recurrences(self):
        return [(0, "forward", self.lstm)]


def causal_model():
    keras.utils.set_random_seed(2)
    return build_model(ModelConfig(encoder="toy_causal_lstm", stack=1, skip=1, units=8), 29, feature_dim=6)


def test_saliency_outside_a_causal_models_receptive_field_is_exactly_zero():
    model = causal_model()
    features = np.random.default_rng(2).normal(size=(30, 6)).astype(np.float32)
    _, word = gradients.word_saliency(model, features, [("x", [(10, 5)])])
    saliency = word[0][1]
    assert np.all(saliency[11:] == 0.0)  # exactly: frames after 10 cannot change the output at 10
    assert np.count_nonzero(saliency[:11]) > 0
    profile = gradients.context_profiles(model, features, [(10, 5)])[0][0]
    assert np.all(profile[11:] == 0.0) and gradients.effective_context(profile, 10)[1] == 0


def test_effective_context_is_the_central_mass_around_the_frame():
    norms = np.zeros(21)
    norms[8:13] = 1.0  # mass spread evenly over frames 8..12
    assert gradients.effective_context(norms, 10, mass=0.8) == (2, 2, 5)
    assert gradients.effective_context(norms, 3, mass=0.8) == (0, 9, 5)  # the span lies wholly ahead
    assert gradients.effective_context(np.zeros(5), 2) == (0, 0, 0)


def test_probes_find_a_unit_planted_to_track_a_feature():
    keras.utils.set_random_seed(4)
    model = build_model(ModelConfig(layers=1, units=8, stack=1, skip=1), 29, feature_dim=6)
    backward = model.encoder.recurrent[0].backward_layer.cell
    backward.kernel.assign(np.asarray(backward.kernel) * (np.arange(6) > 0)[:, None])  # blind to feature 0
    cell = model.encoder.recurrent[0].forward_layer.cell
    kernel, bias = np.asarray(cell.kernel).copy(), np.zeros(32, np.float32)
    kernel[0, :] = 0.0  # no other forward unit sees feature 0
    kernel[:, 16 + 3] = 0.0
    kernel[0, 16 + 3] = 5.0  # unit 3's candidate follows feature 0
    bias[[0 + 3, 24 + 3]], bias[8 + 3] = 10.0, -10.0  # unit 3: input and output gates open, forgets at once
    cell.kernel.assign(kernel)
    cell.bias.assign(bias)
    rng = np.random.default_rng(4)
    label = (rng.random(200) < 0.3).astype(float)
    features = rng.normal(size=(200, 6)).astype(np.float32)
    features[:, 0] = np.where(label > 0, 1.0, -1.0)
    inside = look_inside(model, features)
    hidden = {f"layer {s + 1} {d}": t["hidden"] for s, d, t in inside.recurrences}
    best = probes.top_units(hidden, label, np.ones(200, bool), 3)
    assert best[0][:2] == ("layer 1 forward", 3) and best[0][2] > 0.95 and abs(best[1][2]) < 0.5


def test_ctc_alignment_spells_the_label_on_the_best_path():
    log_probs = np.log(np.full((6, 5), 0.01))
    for t, token in enumerate([0, 3, 3, 0, 4, 0]):
        log_probs[t, token] = np.log(0.96)
    np.testing.assert_array_equal(probes.ctc_alignment(log_probs, np.array([3, 4])), [0, 3, 3, 0, 4, 0])
    assert probes.ctc_alignment(log_probs[:2], np.array([3, 3])) is None  # a repeat needs a blank between
    np.testing.assert_array_equal(probes.ctc_alignment(log_probs[:3], np.array([3, 3])), [3, 0, 3])


def test_frame_properties_label_vowels_boundaries_and_letters():
    tokenizer = CharTokenizer()
    a, b, space = tokenizer.encode("a")[0], tokenizer.encode("b")[0], tokenizer.encode("a b")[1]
    alignment = np.array([0, a, 0, space, 0, b, 0])
    features = np.zeros((7, 4), np.float32)
    properties = probes.frame_properties(alignment, features, 1, 1, tokenizer)
    np.testing.assert_array_equal(properties["word boundary"][0], [0, 0, 1, 1, 1, 0, 0])
    vowel, valid = properties["vowel (vs consonant)"]
    np.testing.assert_array_equal(valid, [0, 1, 1, 0, 0, 1, 1])  # frames held by a letter
    np.testing.assert_array_equal(vowel[valid], [1, 1, 0, 0])
    np.testing.assert_array_equal(properties["emits 'b'"][0], [0, 0, 0, 0, 0, 1, 0])
    assert not properties["silence"][0].any()  # the same energy everywhere: nothing 30 dB below the peak


def test_utterance_views_draw_every_figure_when_the_model_emits(tmp_path):
    from asr.config import DecodeConfig, FeatureConfig
    from asr.inspection.utterance_view import utterance_views
    from asr.models.model_dir import ModelInfo
    keras.utils.set_random_seed(5)
    config = ModelConfig(layers=2, units=8)
    model = build_model(config, 29, feature_dim=80)
    tokenizer = CharTokenizer()
    bias = np.zeros(29, np.float32)
    bias[tokenizer.encode("a")[0]] = 50.0  # the network says "a" whatever it hears
    model.classifier.bias.assign(bias)
    info = ModelInfo(None, config, FeatureConfig(), DecodeConfig(), tokenizer, {})
    features = np.random.default_rng(5).normal(size=(90, 80)).astype(np.float32)
    figures, summary = utterance_views(model, info, features, layers=[2])
    assert set(figures) == {"gates_layer2", "context", "saliency"}
    assert all(png.startswith(b"\x89PNG") for png in figures.values())
    assert summary["text"] == "a" and [w["word"] for w in summary["words"]] == ["a"]
    assert [c["from_layer"] for c in summary["context"]] == [1, 2]
    with pytest.raises(AsrError, match="too short to inspect"):
        utterance_views(model, info, features[:2])
