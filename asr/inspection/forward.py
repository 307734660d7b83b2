"""One utterance through the model, keeping what the network's outputs hide: each encoder stage's input and
every traced recurrent layer's gates (asr.inspection.gates)."""

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

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


def look_inside(model, features):
    """Inside of one utterance's features (T, n_mels)."""
    features = np.asarray(features, np.float32)
    lengths = tf.constant([len(features)])
    inputs, encoded, _ = encoder_inputs(model, model.normalise(features[None], lengths), lengths)
    log_probs = tf.nn.log_softmax(model.classifier(encoded)[0]).numpy()
    stage_inputs = [x[0].numpy() for x in inputs]
    recurrences = [(stage, direction, trace_layer(layer, stage_inputs[stage]))
                   for stage, direction, layer in model.encoder.traced_recurrences()]
    return Inside(features, stage_inputs, log_probs, recurrences)
