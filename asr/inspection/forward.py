"""One utterance through the model, keeping what the network's outputs hide: each encoder stage's input and
every traced recurrent layer's gates (asr.inspection.gates)."""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import tensorflow as tf

from asr.data.dataset import batch_signature
from asr.inspection.gates import trace_layer


@dataclass
class Inside:
    features: np.ndarray  # (T, n_mels) log-mel, as the model receives it
    stage_inputs: list  # per encoder stage, its input (T', F_stage); stage 0 gets the stacked frames
    log_probs: np.ndarray  # (T', V) log-softmax of the classifier
    recurrences: list  # [(stage, direction, {trace name: (T', units)})]


def encoder_inputs(model, normalized, lengths):
    """(stage inputs [(B, T', F_stage)], encoder output (B, T', D), output lengths (B,)) for normalised features
    (model.normalise)."""
    x = model.frame_stack(normalized)  # (B, T, n_mels) -> (B, T', stack * n_mels)
    out_lengths = model.frame_stack.output_lengths(tf.cast(lengths, tf.int32))
    inputs = []
    for stage in model.encoder.stages():
        inputs.append(x)
        x = stage(x, out_lengths)
    return inputs, x, out_lengths


def traced(*more_inputs):
    """Decorates `function(model, features, lengths, *more)` to run as one TensorFlow graph per model, traced once
    for batches of any size and length (asr.data.dataset.batch_signature, as predict_function does) and
    `more_inputs` (TensorSpecs).

    Run eagerly, the CPU LSTM's time loop (tf.scan) sends every step's ops from Python one by one: the report's
    inside section took minutes that way. The few most recent models keep their graphs."""
    def decorate(function):
        @lru_cache(maxsize=4)
        def for_model(model):
            return tf.function(lambda *tensors: function(model, *tensors),
                               input_signature=batch_signature(model.feature_dim)[:2] + more_inputs)
        return lambda model, *tensors: for_model(model)(*tensors)
    return decorate


@traced()
def _stage_inputs_and_log_probs(model, features, lengths):
    """(stage inputs [(B, T', F_stage)], log-softmax of the classifier (B, T', V)) of features (B, T, n_mels)."""
    inputs, encoded, _ = encoder_inputs(model, model.normalise(features, lengths), lengths)
    return inputs, tf.nn.log_softmax(model.classifier(encoded))


def look_inside(model, features):
    """Inside of one utterance's features (T, n_mels)."""
    features = np.asarray(features, np.float32)
    inputs, log_probs = _stage_inputs_and_log_probs(model, tf.constant(features[None]), tf.constant([len(features)]))
    log_probs = log_probs[0].numpy()
    stage_inputs = [x[0].numpy() for x in inputs]
    recurrences = [(stage, direction, trace_layer(layer, stage_inputs[stage]))
                   for stage, direction, layer in model.encoder.traced_recurrences()]
    return Inside(features, stage_inputs, log_probs, recurrences)
