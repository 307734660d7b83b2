"""The int8 export against the float32 one on a trained run's splits: WER, file size and inference speed.

    asr export RUN --int8
    python tools/compare_int8.py --run-dir RUN --data-dir DATA --split test --split test_unseen_voices

Both RUN/model/model.onnx and model.int8.onnx (current for the run's weights: export.json) run in
onnxruntime in this one process, on the same padded batches (the batch plan of `asr evaluate`). Each
split's forward passes are timed --repeats times per model, the models taking turns, and the median is
kept, so that a load change on a shared machine hits both; the speed-up is fp32 seconds / int8 seconds.
The logits are decoded greedy and, if the run has a tuned LM (RUN/decode/lm_weights.json), with beam_lm at
its tuned weights, and scored with asr.evaluation.scoring over the split's decodable utterances (as
`asr evaluate` does). Prints per split and model: size, forward seconds, speed-up, each WER with its
change from fp32 in points, and how many transcripts differ from fp32's.

--ops LSTM --ops MatMul ... also quantizes model.onnx with each operator set (comma-separated), with one
scale per channel and one per tensor, into a temporary directory and compares those: the measurement
behind asr.models.quantize.INT8_OPS and PER_CHANNEL.
No TensorFlow is imported.
"""

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx

from asr.data.batching import load_utterances, plan_batches
from asr.data.manifest import load_manifest
from asr.data.padding import pad_batch
from asr.data.shards import FeatureStore
from asr.decoding.strategies import make_decoder
from asr.errors import AsrError
from asr.evaluation.scoring import score
from asr.inference.onnx_predictor import OnnxPredictor
from asr.inference.transcriber import run_lm
from asr.layout import DataLayout, RunLayout
from asr.models.model_dir import current_onnx, read_model_info
from asr.models.quantize import quantize_onnx
from asr.provenance import check_same_features

BATCH_FRAMES, MAX_UTTERANCES = 32000, 64  # asr.models.predict.predict_utterances' defaults (`asr evaluate`)


def split_batches(info, data, split):
    """(decodable utterances, how many are not, [(utterances, (features, lengths))]) of one split."""
    store = FeatureStore(data.feature_split(split))
    check_same_features(store.settings, str(store.feature_dir), info.record["features"], str(info.layout.root))
    rows = load_manifest(data.manifest(split))
    utterances, dropped = load_utterances(rows, store, info.tokenizer, info.model, keep_long_labels=True)
    plan = plan_batches([u.num_frames for u in utterances], BATCH_FRAMES, MAX_UTTERANCES)
    return utterances, len(dropped), [([utterances[i] for i in batch],
                                       pad_batch([store[utterances[i].id] for i in batch])) for batch in plan]


def forward(predictor, batches):
    """({utterance id: (T', V) logits}, seconds spent in the forward passes alone)."""
    logits_by_id, seconds = {}, 0.0
    for chosen, (features, lengths) in batches:
        start = time.perf_counter()
        logits, out_lengths = predictor(features, lengths)
        seconds += time.perf_counter() - start
        logits_by_id.update((u.id, x[:n]) for u, x, n in zip(chosen, logits, out_lengths))
    return logits_by_id, seconds


def timed_forwards(predictors, batches, repeats):
    """{model: logits by id}, {model: median seconds}: every model once per round, `repeats` rounds."""
    logits, seconds = {}, {name: [] for name in predictors}
    for _ in range(repeats):
        for name, predictor in predictors.items():
            logits[name], took = forward(predictor, batches)
            seconds[name].append(took)
    return logits, {name: statistics.median(times) for name, times in seconds.items()}


def argmax_changes(logits, base):
    """Share of output frames whose most likely symbol differs from the base model's."""
    changed = sum(int(np.sum(logits[i].argmax(-1) != base[i].argmax(-1))) for i in base)
    return changed / sum(len(x) for x in base.values())


def compare_split(split, models, predictors, decoders, batches_of_split, repeats):
    utterances, dropped, batches = batches_of_split
    logits, seconds = timed_forwards(predictors, batches, repeats)
    references = [u.text for u in utterances]
    print(f"\n{split}: {len(utterances)} utterances scored ({dropped} not decodable) in {len(batches)} batches; "
          f"forward = median seconds of {repeats} passes over the split, the models taking turns; argmax: "
          "frames whose best symbol differs from fp32's; differ: transcripts that differ from fp32's")
    header = f"{'model':30} {'size':>8} {'forward':>8} {'speed-up':>8} {'argmax':>7}"
    for name in decoders:
        header += f" {name + ' WER (change)':>24} {'differ':>6}"
    print(header)
    base = {}
    for model, path in models.items():
        line = (f"{model:30} {path.stat().st_size / 1e6:6.1f}MB {seconds[model]:7.2f}s "
                f"{seconds['fp32'] / seconds[model]:7.2f}x {argmax_changes(logits[model], logits['fp32']):7.2%}")
        for name, decoder in decoders.items():
            texts = decoder.decode([logits[model][u.id] for u in utterances])
            wer = score(references, texts)["wer"]
            base.setdefault(name, (wer, texts))
            change = f"({100 * (wer - base[name][0]):+.2f})" if model != "fp32" else ""
            differ = sum(a != b for a, b in zip(texts, base[name][1]))
            line += f" {f'{wer:.2%} {change}':>24} {differ:6}"
        print(line, flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-dir", required=True, help="a trained run, exported with `asr export RUN --int8`")
    parser.add_argument("--data-dir", required=True, help="its data directory (manifests/, features/)")
    parser.add_argument("--split", action="append", help="split(s) to decode (default: test)")
    parser.add_argument("--ops", action="append", default=[], metavar="OP[,OP]",
                        help="also compare model.onnx quantized with these operator types (repeatable)")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per split and model (3)")
    parser.add_argument("--threads", type=int, help="onnxruntime threads per model (default: one per core)")
    args = parser.parse_args(argv)
    run, data = RunLayout(args.run_dir), DataLayout(args.data_dir)
    try:
        info = read_model_info(run.model.root)
        models = {"fp32": current_onnx(run.model.root), "int8": current_onnx(run.model.root, int8=True)}
        if None in models.values():
            raise AsrError(f"{run.model.root}: no current ONNX and int8 export (run `asr export --int8 {run.root}`)")
        decoders = {"greedy": make_decoder("greedy", info.tokenizer, info.decode.beam_width)}
        if run.lm_weights.is_file():
            decoders["beam_lm"] = make_decoder("beam_lm", info.tokenizer, info.decode.beam_width, run_lm(info))
        with tempfile.TemporaryDirectory() as tmp:
            for ops, per_channel in itertools.product(args.ops, (True, False)):
                scales = "per-channel" if per_channel else "per-tensor"
                models[f"int8 {ops} {scales}"] = path = Path(tmp) / f"{ops.replace(',', '_')}_{scales}.onnx"
                quantize_onnx(onnx.load(str(models["fp32"])), path, ops.split(","), per_channel)
            predictors = {name: OnnxPredictor(path, args.threads) for name, path in models.items()}
            print(f"run {run.root}: fp32 {models['fp32']}, int8 {models['int8']}; decoders: {', '.join(decoders)}; "
                  f"onnxruntime threads: {args.threads or 'default (one per core)'}")
            for split in args.split or ["test"]:
                compare_split(split, models, predictors, decoders, split_batches(info, data, split), args.repeats)
    except AsrError as e:
        sys.exit(f"compare_int8: {e}")


if __name__ == "__main__":
    main()
