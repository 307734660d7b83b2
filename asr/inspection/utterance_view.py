"""The figures and numbers of one utterance: gates per layer, gradient flow through time, word saliency."""

import numpy as np

from asr.data.features import frame_seconds
from asr.errors import AsrError
from asr.inspection import gradients, plots
from asr.inspection.dev_statistics import spread
from asr.inspection.forward import look_inside

MAX_CONTEXT_TARGETS = 48  # emitted characters whose gradients are taken (evenly spread over the utterance)


def chosen_stages(model, layers):
    """The encoder stages whose gates to draw: all traced ones, or those of the 1-based `layers`."""
    stages = sorted({stage for stage, _, _ in model.encoder.traced_recurrences()})
    if layers is None:
        return stages
    unknown = [layer for layer in layers if layer - 1 not in stages]
    if unknown:
        raise AsrError(f"--layer {unknown[0]}: the model's layers with gates are "
                       f"{', '.join(str(s + 1) for s in stages) or 'none'}")
    return [layer - 1 for layer in layers]


def utterance_views(model, info, features, layers=None, traces=plots.SHOWN_TRACES):
    """({figure name: PNG bytes}, summary dict) for one utterance's features (T, n_mels): the gate maps
    (`traces` of them) of `layers` (1-based; default all), gradient flow and word saliency."""
    stages = chosen_stages(model, layers)
    if len(features) < info.model.stack:
        raise AsrError(f"{len(features)} feature frames: too short to inspect (the model stacks {info.model.stack})")
    inside = look_inside(model, features)
    hop = frame_seconds(info.features)
    out_frame = info.model.skip * hop
    symbols = info.tokenizer.symbols
    emitted = gradients.emitted_symbols(inside.log_probs, info.tokenizer)
    figures = {f"gates_layer{stage + 1}": plots.gates_figure(
        inside, [(d, t) for s, d, t in inside.recurrences if s == stage], symbols, emitted, hop, out_frame, traces)
        for stage in stages}
    greedy = [token for _, token in gradients.emitted_tokens(inside.log_probs)]
    summary = {"text": info.tokenizer.decode(greedy),
               "seconds": round(len(features) * hop, 3), "context": [], "words": []}
    targets = spread(emitted, MAX_CONTEXT_TARGETS)
    if targets:  # the network emitted something: gradients have a target
        profiles = gradients.context_profiles(model, features, targets)
        figures["context"] = plots.context_figure(profiles, targets, symbols, out_frame)
        summary["context"] = [context_row(stage, norms, targets, out_frame) for stage, norms in enumerate(profiles)]
        normalized, saliencies = gradients.word_saliency(model, features,
                                                         gradients.emitted_words(inside.log_probs, info.tokenizer))
        figures["saliency"] = plots.saliency_figure(normalized, saliencies, hop)
        summary["words"] = [word_row(word, s, hop) for word, s in saliencies]
    return figures, summary


def context_row(stage, norms, targets, out_frame):
    past, future, _ = np.array([gradients.effective_context(row, frame)
                                for row, (frame, _) in zip(norms, targets)]).T
    return {"from_layer": stage + 1, "past_ms": round(float(past.mean()) * out_frame * 1000, 1),
            "future_ms": round(float(future.mean()) * out_frame * 1000, 1)}


def word_row(word, saliency, hop):
    """Where a word's support is strongest: the frame (seconds) and mel band of the largest |grad × input|."""
    frame, band = np.unravel_index(np.abs(saliency).argmax(), saliency.shape)
    return {"word": word, "peak_seconds": round(float(frame * hop), 3), "peak_mel_band": int(band)}
