"""Training on several devices or hosts with tf.distribute: which strategy, who is the chief.

`default` is one device (TensorFlow's default strategy: the same code path, one replica).
`mirrored` is tf.distribute.MirroredStrategy: every GPU of this host (or its CPU when it has none).
`multiworker` is tf.distribute.MultiWorkerMirroredStrategy across hosts, each described by TF_CONFIG
(docs/installs.md: "Training on several GPUs or hosts"). Every replica holds a copy of the model; each global
batch is split over the replicas (asr.data.replica_slices) and their gradients are summed.
"""

import json
import os

import tensorflow as tf

from asr.config import DISTRIBUTIONS
from asr.errors import AsrError


def make_distribution(name):
    """The tf.distribute strategy called `name`; create it before any other TensorFlow work."""
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        if not os.environ.get("TF_CONFIG"):
            raise AsrError("--distribution multiworker: TF_CONFIG is not set (it names every worker and this one's "
                           "index; see docs/installs.md, 'Training on several GPUs or hosts')")
        try:
            json.loads(os.environ["TF_CONFIG"])
        except ValueError as e:
            raise AsrError(f"--distribution multiworker: TF_CONFIG is not valid JSON ({e})") from None
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise AsrError(f"unknown distribution {name!r} (known: {', '.join(DISTRIBUTIONS)})")


def is_chief(distribution):
    """Only the chief writes checkpoints, logs and the model; the others train in step with it.

    The chief is TF_CONFIG's `chief` task if there is one, else worker 0; on one host, this process.
    """
    resolver = getattr(distribution, "cluster_resolver", None)
    jobs = resolver.cluster_spec().as_dict() if resolver is not None else {}
    if not jobs:
        return True
    if "chief" in jobs:
        return resolver.task_type == "chief"
    return resolver.task_type == "worker" and resolver.task_id == 0


def reduce_across_replicas(distribution, values, op):
    """Floats held by every replica -> their `op` (tf.distribute.ReduceOp) over all replicas and hosts."""
    if distribution.num_replicas_in_sync == 1:
        return list(values)

    def all_reduce(v):
        return tf.distribute.get_replica_context().all_reduce(op, v)

    reduced = distribution.run(all_reduce, args=(tf.constant(values, tf.float64),))
    return distribution.experimental_local_results(reduced)[0].numpy().tolist()


def agree_across_workers(distribution, value, what):
    """Raise AsrError unless every worker holds the same integer `value` (e.g. the resumed step)."""
    mean, mean_square = reduce_across_replicas(distribution, [value, value * value], tf.distribute.ReduceOp.MEAN)
    if mean_square - mean * mean > 1e-6:  # their variance: exactly 0 when all agree
        raise AsrError(f"workers disagree on {what} (this one: {value}, mean over workers: {mean:.1f}): the run "
                       "directory must be one every worker reads (a shared filesystem), so that all resume from "
                       "the chief's checkpoint")
