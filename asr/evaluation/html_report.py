"""`asr report`: one self-contained HTML page (images inlined) about a run's evaluation.

Sections: results per split and decoding strategy with 95 % intervals; paired comparisons (each
strategy against greedy, and against other runs given with --compare); training curves; WER by
utterance length; the worst utterances with their alignment, spectrogram and CTC posteriorgram; inside
the model (asr.inspection: gates, gradient flow, saliency for a few dev utterances, and dev-set
statistics). It reads what `asr train` and `asr evaluate` wrote, the splits' feature shards, and the model.
The page records a digest of all that (report_inputs); a page that is current for its inputs is kept, not
drawn again (the model's section takes minutes for a large model).
"""

import base64
import csv
import hashlib
import html
import json
from pathlib import Path

import numpy as np

import asr
from asr.data.features import frame_seconds
from asr.data.shards import FeatureStore
from asr.errors import AsrError
from asr.evaluation import report_plots
from asr.evaluation.results import against_greedy, decode_dir, decoded_strategies, paired_comparison
from asr.fileio import read_jsonl, write_text
from asr.layout import DataLayout, RunLayout
from asr.models.model_dir import read_model_info

WORST_SHOWN = 5
INSIDE_SHOWN = 2  # utterances drawn in "Inside the model" (the first with its gate maps)
LENGTH_BUCKETS = ((1, 4), (5, 6), (7, 8), (9, 11), (12, 99))
PAGE = """<!DOCTYPE html>
<!-- {stamp} -->
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; }}
td, th {{ border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: right; }}
th {{ background: #eee; }} td.l, th.l {{ text-align: left; }}
pre {{ background: #f6f6f6; padding: 0.5em; overflow-x: auto; }}
img {{ max-width: 100%; }}
</style></head>
<body>
<h1>{title}</h1>
{body}
<script>
// lets a headless browser (and the test suite) confirm every figure decoded and rendered
window.addEventListener("load", () => {{
  const images = Array.from(document.images);
  document.body.dataset.imagesTotal = images.length;
  document.body.dataset.imagesRendered = images.filter(i => i.complete && i.naturalWidth > 0).length;
}});
</script>
</body></html>
"""


def img(png):
    return f'<img alt="figure" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def table(header, rows, left_columns=1):
    cells = lambda tag, row: "".join(  # noqa: E731
        f'<{tag}{" class=l" if k < left_columns else ""}>{html.escape(str(v))}</{tag}>' for k, v in enumerate(row))
    return "<table>" + f"<tr>{cells('th', header)}</tr>" + "".join(f"<tr>{cells('td', r)}</tr>" for r in rows) + \
        "</table>"


def summary_section(run_dir, splits):
    rows = []
    for split in splits:
        for strategy in decoded_strategies(run_dir, split):
            s = json.loads((decode_dir(run_dir, split, strategy) / "wer.json").read_text())
            low, high = s.get("wer_ci95", (float("nan"), float("nan")))  # runs evaluated before intervals
            rows.append([split, strategy, f"{s['wer']:.2%}", f"{low:.2%} – {high:.2%}", f"{s['cer']:.2%}",
                         s["substitutions"], s["deletions"], s["insertions"], s["ref_words"], s["n_utts"]])
    notes = ""
    weights = RunLayout(run_dir).lm_weights
    if weights.is_file():
        w = json.loads(weights.read_text())
        notes = (f"<p>beam_lm: {html.escape(Path(w['arpa']).name)}, beam width {w['beam_width']}, "
                 f"LM weight alpha = {w['alpha']}, word bonus beta = {w['beta']} (grid-tuned on "
                 f"{html.escape(w['tuned_on'])}).</p>")
    return "<h2>Results</h2>" + table(["split", "decoding", "WER", "95 % CI (bootstrap)", "CER", "S", "D", "I",
                                       "words", "utts"], rows, 2) + notes


def comparison_section(run_dir, splits, compare):
    rows = []
    for split in splits:
        for strategy, p in against_greedy(run_dir, split):
            rows.append([split, "this run, greedy", f"this run, {strategy}", f"{p:.3f}"])
        for other in compare:
            for strategy in decoded_strategies(run_dir, split):
                if (decode_dir(other, split, strategy) / "utterances.jsonl").is_file():
                    p = paired_comparison(decode_dir(run_dir, split, strategy), decode_dir(other, split, strategy))
                    rows.append([split, f"this run, {strategy}", f"{Path(other).name}, {strategy}", f"{p:.3f}"])
    if not rows:
        return ""
    return ("<h2>Paired comparisons</h2><p>Probability that B makes fewer word errors than A, over 2000 "
            "paired bootstrap resamplings of the utterances.</p>" + table(["split", "A", "B", "P(B better)"], rows, 3))


def tensorboard_train_loss(run_dir):
    """(steps, losses) of the train/loss scalars TrainingLog wrote; empty when there are none (a run copied
    without its tensorboard/, such as one recipes/synth_en/compare.sh scores)."""
    if not RunLayout(run_dir).tensorboard.is_dir():
        return [], []
    from asr.runtime import import_tensorflow_quietly
    import_tensorflow_quietly()  # tensorboard's event reader imports TensorFlow when it is installed
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util.tensor_util import make_ndarray
    events = EventAccumulator(str(RunLayout(run_dir).tensorboard), size_guidance={"tensors": 0})
    events.Reload()
    if "train/loss" not in events.Tags().get("tensors", []):
        return [], []
    points = events.Tensors("train/loss")
    return [p.step for p in points], [float(make_ndarray(p.tensor_proto)) for p in points]


def curves_section(run_dir):
    log_path = RunLayout(run_dir).log_csv
    if not log_path.is_file():
        return "<h2>Training curves</h2><p>No log.csv in this run.</p>"
    with open(log_path, newline="") as f:
        rows = list(csv.DictReader(f))
    epochs = {key: [float(r[key]) for r in rows] for key in ("epoch", "step", "dev_loss", "dev_wer", "dev_cer")}
    steps, losses = tensorboard_train_loss(run_dir)
    return "<h2>Training curves</h2>" + img(report_plots.training_curves(steps, losses, epochs))


def length_section(run_dir, split):
    """WER per reference-length bucket, for every strategy decoded on the split."""
    wers = {}
    for strategy in decoded_strategies(run_dir, split):
        utterances = read_jsonl(decode_dir(run_dir, split, strategy) / "utterances.jsonl")
        wers[strategy] = []
        for low, high in LENGTH_BUCKETS:
            chosen = [u for u in utterances if low <= u["words"] <= high]
            wers[strategy].append(sum(u["errors"] for u in chosen) / max(sum(u["words"] for u in chosen), 1))
    labels = [f"{low}–{high}" if high < 99 else f"{low}+" for low, high in LENGTH_BUCKETS]
    return f"<h2>WER by utterance length ({html.escape(split)})</h2>" + img(report_plots.wer_by_length(labels, wers))


def worst_section(run_dir, data_dir, split):
    """The WORST_SHOWN utterances with the most errors per word by greedy decoding (or the first strategy
    decoded, when greedy was not): alignments and figures."""
    utterances = {s: {u["id"]: u for u in read_jsonl(decode_dir(run_dir, split, s) / "utterances.jsonl")}
                  for s in decoded_strategies(run_dir, split)}
    ranking = next(iter(utterances))  # decoded_strategies lists greedy first
    worst = sorted(utterances[ranking].values(), key=lambda u: (-u["errors"] / max(u["words"], 1), u["id"]))
    run = RunLayout(run_dir)
    posteriors = np.load(run.posteriors(split))
    store = FeatureStore(DataLayout(data_dir).feature_split(split))
    info = read_model_info(run.model.root)
    hop_seconds = frame_seconds(info.features)
    parts = [f"<h2>Worst utterances ({html.escape(split)}, by {ranking} WER)</h2>"]
    for utt in worst[:WORST_SHOWN]:
        lines = [f"REF:          {utt['reference']}"]
        lines += [f"{s + ':':<13} {by_id[utt['id']]['hypothesis']}  ({by_id[utt['id']]['errors']} errors)"
                  for s, by_id in utterances.items()]
        parts.append(f"<h3>{html.escape(utt['id'])} ({html.escape(utt['speaker'])}, {utt['duration']} s)</h3>"
                     f"<pre>{html.escape(chr(10).join(lines))}</pre>")
        figure = report_plots.spectrogram_and_posteriorgram(store[utt["id"]], posteriors[utt["id"]],
                                                            info.tokenizer.symbols, hop_seconds,
                                                            info.model.skip * hop_seconds)
        parts.append(img(figure))
    return "".join(parts)


def inside_section(run_dir, data_dir, splits):
    """Gates (forget gate, cell and hidden state; a GRU's update gate and hidden state) of the first and last
    layer, gradient flow and saliency for INSIDE_SHOWN utterances; effective context, gate saturation
    and probe units over a sample of the split."""
    from asr.inspection.dev_statistics import dev_statistics, sample, split_utterances
    from asr.inspection.inspect_run import statistics_table
    from asr.inspection.plots import probes_figure
    from asr.inspection.utterance_view import chosen_stages, utterance_views
    from asr.models.model_dir import load_trained_model
    data = DataLayout(data_dir)
    split = "dev" if "dev" in splits else splits[0]
    model, info = load_trained_model(RunLayout(run_dir).model.root)
    store = FeatureStore(data.feature_split(split))
    stages = chosen_stages(model, None)
    layers = sorted({stages[0] + 1, stages[-1] + 1}) if stages else []
    parts = [f"<h2>Inside the model ({html.escape(split)})</h2><p>What the recurrent layers do, read from the "
             "model's own weights and gradients (<code>asr inspect</code> draws these for any audio file; the "
             "docs/inside-the-model.md explains how to read them).</p>"]
    for k, utt in enumerate(sample(split_utterances(data.manifest(split), store, info), INSIDE_SHOWN)):
        figures, summary = utterance_views(model, info, store[utt.id], layers if k == 0 else [],
                                           ("forget", "update", "cell", "hidden"))
        parts.append(f"<h3>{html.escape(utt.id)}</h3><pre>REF: {html.escape(utt.text)}\n"
                     f"HYP: {html.escape(summary['text'])}</pre>")
        parts += [img(png) for png in figures.values()]
    stats = dev_statistics(model, info, data.manifest(split), store)
    parts.append(f"<h3>Over {stats['utterances']} {html.escape(split)} utterances</h3>"
                 f"<pre>{html.escape(statistics_table(stats))}</pre>")
    if any(stats["probes"].values()):
        parts.append(img(probes_figure(stats["probes"])))
    return "".join(parts)


def report_inputs(run_dir, data_dir, splits, compare):
    """A digest of what the page shows: every report of the splits (of this run and the compared ones; each
    names the weights and features it was decoded with), the training log, the weights, and this asr."""
    run = RunLayout(run_dir)
    digest = hashlib.sha256(json.dumps([asr.__version__, str(Path(data_dir).resolve()), splits,
                                        [str(Path(c).resolve()) for c in compare]]).encode())
    for path in [run.log_csv, run.model.weights] + [
            decode_dir(r, split, name) / "wer.json"
            for r in [run_dir, *compare] for split in splits for name in decoded_strategies(r, split)]:
        digest.update(str(path).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest() if Path(path).is_file() else b"absent")
    return f"asr report inputs {digest.hexdigest()}"


def write_html_report(run_dir, data_dir, splits, compare=()):
    """Write RUN_DIR/report.html unless it is current for its inputs; returns (its path, whether written)."""
    run_dir = Path(run_dir)
    missing = [s for s in splits if not decoded_strategies(run_dir, s)]
    if missing:
        raise AsrError(f"{run_dir}: split {missing[0]} not evaluated (run `asr evaluate` first)")
    path, stamp = RunLayout(run_dir).report, report_inputs(run_dir, data_dir, splits, compare)
    if path.is_file():
        with open(path, errors="replace") as page:
            if f"<!-- {stamp} -->" in page.read(200):  # the stamp is on the page's second line
                return path, False
    main_split = "test" if "test" in splits else splits[-1]
    body = "".join([summary_section(run_dir, splits), comparison_section(run_dir, splits, compare),
                    curves_section(run_dir), length_section(run_dir, main_split),
                    worst_section(run_dir, data_dir, main_split), inside_section(run_dir, data_dir, splits)])
    write_text(path, PAGE.format(title=html.escape(f"asr evaluation report: {run_dir.name}"), body=body,
                                 stamp=stamp))
    return path, True
