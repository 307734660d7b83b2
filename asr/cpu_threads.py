"""TensorFlow CPU thread defaults that suit a bidirectional RNN.

A BiLSTM step is two independent small loops (forward and backward direction). With TF's default of
every core inside each op, the two loops fight over the same cores at every one of their hundreds of
steps; giving each op half of the cores lets the two directions run side by side. On our 2-core
machines this makes a Keras LSTM training step 1.4-1.8x faster (`python tools/bench_train.py`: rows
reference and keras).
The environment variables win when set, so a user can still choose: TF_NUM_INTRAOP_THREADS,
TF_NUM_INTEROP_THREADS. They must be set before TensorFlow starts, hence environment, not tf.config.
"""

import os


def usable_cores():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def apply_thread_defaults():
    """Intra-op threads = half the usable cores (at least 1), unless the user set them."""
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", str(max(1, usable_cores() // 2)))
