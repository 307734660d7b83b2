"""Gradient flow through time and input saliency, from the model's own gradients.

For a target "token s at output frame t" the network's log-probability log p(s | t) is differentiated with
respect to every frame of each encoder stage's input. The norm of that gradient per frame says how much
the frame can still move the decision: its profile over time is how far back (and, bidirectionally,
ahead) the model really looks from that stage up. `effective_context` condenses a profile into the span
around t holding 90 % of the gradient mass.

Saliency of a word is gradient × input on the normalised log-mel features (model.normalise), the input
measured from the mean frame (normalisation's zero: the training data's or the utterance's own), with the
word's letters' log-probabilities summed: positive where a frame and mel band speak for the word, negative
where they speak against it.

Targets are computed in one batch: the utterance is repeated once per target, and each row's objective
touches only its own row, so one backward pass gives every target's gradient.
"""

import numpy as np
import tensorflow as tf

from asr.data.tokenizer import BLANK, SPACE
from asr.inspection.forward import encoder_inputs, traced

CONTEXT_MASS = 0.9
ROWS_PER_PASS = 8  # targets differentiated together: memory grows with rows x frames


def emitted_tokens(log_probs):
    """[(frame, token)] of the greedy path: the first frame of every run of a non-blank best token."""
    best = np.argmax(log_probs, axis=-1)
    return [(t, int(token)) for t, token in enumerate(best) if token != BLANK and (t == 0 or token != best[t - 1])]


def emitted_symbols(log_probs, tokenizer):
    """emitted_tokens without the word separator (for a tokenizer that spells words): letters or phones."""
    return [(t, token) for t, token in emitted_tokens(log_probs) if not (tokenizer.spells_words and token == SPACE)]


def emitted_words(log_probs, tokenizer):
    """[(word, [(frame, token), ...])] of the greedy path: emitted letters grouped by emitted spaces (each
    symbol on its own for a tokenizer that does not spell words, such as phones)."""
    if not tokenizer.spells_words:
        return [(tokenizer.symbols[token], [(frame, token)]) for frame, token in emitted_tokens(log_probs)]
    words, letters = [], []
    for frame, token in emitted_tokens(log_probs) + [(None, SPACE)]:
        if token != SPACE:
            letters.append((frame, token))
        elif letters:
            words.append(("".join(tokenizer.symbols[tok] for _, tok in letters), letters))
            letters = []
    return words


def target_gradients(model, features, targets):
    """Gradients of each target row's summed log-probabilities, ROWS_PER_PASS rows at a time.

    Args:
        features: (T, n_mels) one utterance's log-mel features.
        targets: K lists of (output frame, token); row k's objective is the sum of their log-probabilities.
    Returns:
        (normalized (T, n_mels) CMVN'd features, input gradients (K, T, n_mels) with respect to them,
         [(K, T', F_stage)] gradients with respect to each encoder stage's input).
    """
    passes = [_target_gradients(model, features, targets[i:i + ROWS_PER_PASS])
              for i in range(0, len(targets), ROWS_PER_PASS)]
    return (passes[0][0], np.concatenate([p[1] for p in passes]),
            [np.concatenate([p[2][stage] for p in passes]) for stage in range(len(passes[0][2]))])


def _target_gradients(model, features, targets):
    features = np.asarray(features, np.float32)
    k = len(targets)
    batch = tf.constant(np.repeat(features[None], k, axis=0))  # (K, T, n_mels)
    picks = [(row, frame, token) for row, pairs in enumerate(targets) for frame, token in pairs]
    normalized, grads = _gradients(model, batch, tf.fill([k], len(features)), tf.constant(picks, tf.int32))
    return normalized[0].numpy(), grads[0].numpy(), [g.numpy() for g in grads[1:]]


@traced(tf.TensorSpec((None, 3), tf.int32))  # picks
def _gradients(model, batch, lengths, picks):
    """(normalised batch, gradients of the sum of the picked (row, output frame, token) log-probabilities with
    respect to it and to each encoder stage's input); a pick given twice counts twice."""
    with tf.GradientTape() as tape:
        normalized = model.normalise(batch, lengths)
        tape.watch(normalized)
        inputs, encoded, _ = encoder_inputs(model, normalized, lengths)
        log_probs = tf.nn.log_softmax(model.classifier(encoded))  # (K, T', V)
        objective = tf.reduce_sum(tf.gather_nd(log_probs, picks))
    return normalized, tape.gradient(objective, [normalized] + inputs)


def frame_norms(stage_gradients):
    """(K, T', F) -> (K, T') L2 norm of the gradient at each frame."""
    return np.sqrt(np.sum(np.square(stage_gradients, dtype=np.float64), axis=-1))


def effective_context(norms, frame, mass=CONTEXT_MASS):
    """(frames looked back, frames looked ahead, span in frames) of output frame `frame`: the frames from
    the first to the last of the central `mass` of the gradient-norm profile `norms` (T',), as distances
    from `frame` (0 on a side the span does not reach) and as a width."""
    total = norms.sum()
    if total <= 0:
        return 0, 0, 0
    cumulative = np.cumsum(norms) / total
    first = int(np.searchsorted(cumulative, (1 - mass) / 2))
    last = min(int(np.searchsorted(cumulative, 1 - (1 - mass) / 2)), len(norms) - 1)
    return max(frame - first, 0), max(last - frame, 0), last - first + 1


def context_profiles(model, features, emitted):
    """Per stage, (K, T') gradient norms for each emitted (frame, token) as its own target."""
    _, _, stage_grads = target_gradients(model, features, [[pair] for pair in emitted])
    return [frame_norms(g) for g in stage_grads]


def word_saliency(model, features, words):
    """(T, n_mels) normalized features and [(word, (T, n_mels) gradient × input)] for the given words."""
    normalized, input_grads, _ = target_gradients(model, features, [letters for _, letters in words])
    return normalized, [(word, grad * normalized) for (word, _), grad in zip(words, input_grads)]
