"""Speed of the report's inside-the-model numbers: `python tools/bench_inspect.py --run-dir RUN --data-dir DATA`.

Times asr.inspection.dev_statistics (effective context, gate saturation and probes over a sample of dev, what
`asr report` computes for its inside section) with the inspection's TensorFlow graphs (asr.inspection.forward.traced),
and the same run eagerly as the reference (tf.config.run_functions_eagerly), in one process; the first, tracing
round of the graphs is timed apart. Prints both, the ratio, and whether the two gave the same statistics.
"""

import argparse
import json
import time

import tensorflow as tf

from asr.data.shards import FeatureStore
from asr.inspection.dev_statistics import dev_statistics
from asr.layout import DataLayout, RunLayout
from asr.models.model_dir import load_trained_model


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--split", default="dev")
    parser.add_argument("--utterances", type=int, default=10, help="sampled as the report samples (default 10)")
    args = parser.parse_args()
    data = DataLayout(args.data_dir)
    model, info = load_trained_model(RunLayout(args.run_dir).model.root)
    store = FeatureStore(data.feature_split(args.split))

    def statistics():
        return dev_statistics(model, info, data.manifest(args.split), store, count=args.utterances)

    first, _ = timed(statistics)
    traced, result = timed(statistics)
    tf.config.run_functions_eagerly(True)
    eager, reference = timed(statistics)
    tf.config.run_functions_eagerly(False)
    print(f"{args.utterances} {args.split} utterances: graphs {traced:.1f} s (first round, tracing included, "
          f"{first:.1f} s); eager {eager:.1f} s")
    print(f"graphs: {eager / traced:.2f}x as fast as eager; same statistics: "
          f"{json.dumps(result, sort_keys=True) == json.dumps(reference, sort_keys=True)}")


if __name__ == "__main__":
    main()
