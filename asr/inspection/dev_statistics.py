"""Statistics of the inside of a model over a sample of a split: effective context per encoder stage,
gate saturation per recurrent layer, and the units that best track silence, word boundaries, vowels and
single letters (asr.inspection.probes)."""

import logging
from collections import defaultdict

import numpy as np

from asr.data.batching import load_utterances
from asr.fileio import read_jsonl
from asr.inspection import gradients, probes
from asr.inspection.forward import look_inside
from asr.inspection.gates import GATES

log = logging.getLogger(__name__)

SAMPLE_UTTERANCES = 20
TARGETS_PER_UTTERANCE = 12
TOP_UNITS = 5
LETTERS_SHOWN = 5  # the letters with the best-tracking units


def sample(utterances, count):
    """`count` utterances spread evenly over the split sorted by id (the same ones every time)."""
    ordered = sorted(utterances, key=lambda u: u.id)
    picks = np.linspace(0, len(ordered) - 1, min(count, len(ordered))).round().astype(int)
    return [ordered[i] for i in sorted(set(picks))]


def spread(items, count):
    """At most `count` of `items`, evenly spaced."""
    if len(items) <= count:
        return items
    return [items[i] for i in np.linspace(0, len(items) - 1, count).round().astype(int)]


def split_utterances(manifest, store, info):
    utterances, _ = load_utterances(read_jsonl(manifest), store, info.tokenizer, info.model)
    return utterances


def dev_statistics(model, info, manifest, store, count=SAMPLE_UTTERANCES):
    """A JSON-ready dict of the split's statistics over `count` utterances of `manifest` (features in `store`)."""
    utterances = sample(split_utterances(manifest, store, info), count)
    extents = defaultdict(list)  # stage -> [(past, future, span)]
    gate_counts = defaultdict(lambda: np.zeros(3))  # (stage, direction, gate) -> (below 0.1, above 0.9, all)
    hidden, labels = defaultdict(list), defaultdict(list)
    for utt in utterances:
        features = store[utt.id]
        inside = look_inside(model, features)
        targets = spread(gradients.emitted_symbols(inside.log_probs, info.tokenizer), TARGETS_PER_UTTERANCE)
        if targets:
            for stage, norms in enumerate(gradients.context_profiles(model, features, targets)):
                extents[stage] += [gradients.effective_context(row, frame) for row, (frame, _) in zip(norms, targets)]
        for stage, direction, traces in inside.recurrences:
            for gate in GATES & set(traces):
                values = traces[gate]
                gate_counts[(stage, direction, gate)] += (np.sum(values < 0.1), np.sum(values > 0.9), values.size)
            hidden[f"layer {stage + 1} {direction}"].append(traces["hidden"])
        alignment = probes.ctc_alignment(inside.log_probs, utt.label)
        if alignment is None:  # the model cannot spell the reference in this many frames: no labels
            for key in hidden:
                hidden[key].pop()
            continue
        properties = probes.frame_properties(alignment, features, info.model.stack, info.model.skip, info.tokenizer)
        for name, (label, valid) in properties.items():
            labels[name].append((label, valid))
    log.info(f"inspect: {len(utterances)} utterances sampled")
    return {"utterances": len(utterances), "context": context_summary(extents, info),
            "saturation": [{"layer": stage + 1, "direction": direction, "gate": gate, "below_0.1": low / n,
                            "above_0.9": high / n} for (stage, direction, gate), (low, high, n) in
                           sorted(gate_counts.items())],
            "probes": probe_summary(hidden, labels)}


def context_summary(extents, info):
    """Per stage, the mean and median frames looked back and ahead, also in milliseconds."""
    frame_ms = 1000 * info.model.skip * info.features.hop_length / info.features.sample_rate
    rows = []
    for stage, triples in sorted(extents.items()):
        past, future, span = np.array(triples, float).T
        rows.append({"from_layer": stage + 1, "targets": len(triples), "past_frames": float(past.mean()),
                     "future_frames": float(future.mean()), "past_ms": float(past.mean() * frame_ms),
                     "future_ms": float(future.mean() * frame_ms),
                     "span_ms_median": float(np.median(span) * frame_ms)})
    return rows


def probe_summary(hidden, labels):
    """{property: [{layer, unit, r}]} for the general properties and the best-tracked letters."""
    activations = {key: np.concatenate(parts) for key, parts in hidden.items() if parts}
    found = {}
    for name, parts in labels.items():
        label = np.concatenate([p[0] for p in parts])
        valid = np.concatenate([p[1] for p in parts])
        found[name] = [{"layer": key, "unit": unit, "r": r}
                       for key, unit, r in probes.top_units(activations, label, valid, TOP_UNITS)]
    letters = sorted((n for n in found if n.startswith("emits") and found[n]), key=lambda n: -abs(found[n][0]["r"]))
    return {n: found[n] for n in found if not n.startswith("emits") or n in letters[:LETTERS_SHOWN]}
