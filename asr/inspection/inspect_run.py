"""`asr inspect`: a run's model seen from inside, for audio files and for a sample of a split.

Per audio file it writes OUT/<file stem>/: gates_layer<N>.png (gates, candidate and cell state of each
direction under the spectrogram and the CTC output), context.png (gradient flow through time),
saliency.png (which frames and mel bands support each word) and summary.json. For a split it writes
OUT/<split>_statistics.json and OUT/<split>_probes.png and returns a printable table.
"""

from pathlib import Path

from asr.data.audio import load_audio
from asr.data.features import log_mel
from asr.data.shards import FeatureStore
from asr.errors import AsrError
from asr.fileio import write_bytes, write_json
from asr.inspection import plots
from asr.inspection.dev_statistics import SAMPLE_UTTERANCES, dev_statistics
from asr.inspection.utterance_view import chosen_stages, utterance_views
from asr.layout import DataLayout

MAX_SECONDS = 60.0  # the figures of a longer file would be unreadable: cut out the part to look at


def inspect_files(model, info, paths, out_dir, layer=None):
    """Yield {file, out, summary} or {file, error} per audio file; a bad file costs only its own result."""
    layers = None if layer is None else [layer]
    chosen_stages(model, layers)  # an unknown layer is one error up front, not one per file
    used = set()
    for path in paths:
        try:
            samples = load_audio(path, info.features.sample_rate)  # its errors name the file
            seconds = len(samples) / info.features.sample_rate
            if seconds > MAX_SECONDS:
                raise AsrError(f"{seconds:.0f} s long; inspect at most {MAX_SECONDS:.0f} s (cut out the part you "
                               "want to see)")
            figures, summary = utterance_views(model, info, log_mel(samples, info.features), layers)
        except AsrError as e:
            yield {"file": str(path), "error": str(e) if str(e).startswith(f"{path}: ") else f"{path}: {e}"}
            continue
        target = Path(out_dir) / unique_name(Path(path).stem, used)
        for name, png in figures.items():
            write_bytes(target / f"{name}.png", png)
        write_json(target / "summary.json", {"file": str(path), **summary})
        yield {"file": str(path), "out": str(target), "summary": summary}


def unique_name(stem, used):
    """`stem`, or `stem_2`, `stem_3`... when files of one call share a name (a/x.wav and b/x.wav)."""
    name, k = stem, 1
    while name in used:
        k += 1
        name = f"{stem}_{k}"
    used.add(name)
    return name


def inspect_split(model, info, data_dir, split, out_dir, count=SAMPLE_UTTERANCES):
    """Statistics of `count` utterances of a split; writes them (JSON, probe figure) and returns them."""
    data = DataLayout(data_dir)
    if not data.manifest(split).is_file():
        raise AsrError(f"{data.manifest(split)}: no such manifest (split {split!r})")
    store = FeatureStore(data.feature_split(split))
    if not len(store):
        raise AsrError(f"{data.feature_split(split)}: no feature shards (run `asr features` first)")
    stats = dev_statistics(model, info, data.manifest(split), store, count)
    write_json(Path(out_dir) / f"{split}_statistics.json", stats)
    if any(stats["probes"].values()):
        write_bytes(Path(out_dir) / f"{split}_probes.png", plots.probes_figure(stats["probes"]))
    return stats


def statistics_table(stats):
    """The statistics as plain-text tables (what `asr inspect --data-dir` prints)."""
    lines = [f"effective context (90 % of the gradient mass) over {stats['utterances']} utterances:",
             "  from the input of   looks back   looks ahead   median span"]
    lines += [f"  layer {c['from_layer']:<13} {c['past_ms']:8.0f} ms {c['future_ms']:10.0f} ms "
              f"{c['span_ms_median']:10.0f} ms" for c in stats["context"]]
    lines += ["gate saturation (share of values below 0.1 / above 0.9):"]
    lines += [f"  layer {s['layer']} {s['direction']:<8} {s['gate']:<7} {s['below_0.1']:6.1%} / {s['above_0.9']:6.1%}"
              for s in stats["saturation"]]
    lines += ["units that best track a property (Pearson r of the hidden state with the frame label):"]
    for name, units in stats["probes"].items():
        best = ", ".join(f"{u['layer']} #{u['unit']} r={u['r']:+.2f}" for u in units[:3])
        lines.append(f"  {name:<22} {best or 'no frames with this property'}")
    return "\n".join(lines)
