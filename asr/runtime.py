"""How this process runs TensorFlow: CPU thread defaults, and an import without native chatter.

Threads. A BiLSTM step is two independent small loops (forward and backward direction). With TF's
default of every core inside each op, the two loops fight over the same cores at every one of their
hundreds of steps; giving each op half of the cores lets the two directions run side by side. On our
2-core machines this makes a Keras LSTM training step 1.4-1.8x faster (`python tools/bench_train.py`:
rows reference and keras). The environment variables win when set, so a user can still choose:
TF_NUM_INTRAOP_THREADS, TF_NUM_INTEROP_THREADS. They must be set before TensorFlow starts, hence
environment, not tf.config. The CLI (and the tools) apply them; a library user chooses for themselves.

Quiet import. TF 2.21 logs through absl before any log level applies (TF_CPP_MIN_LOG_LEVEL no longer
silences "All log messages before absl::InitializeLog()…", oneDNN notices, cuInit failures on CPU-only
hosts), so a one-line error of ours would drown in a dozen lines of theirs. Its native code writes
straight to file descriptor 2, so we point that at /dev/null while TF imports and initialises its
devices. Set ASR_TF_LOGS=1 to see those lines. Python exceptions raised by the import still propagate.
"""

import contextlib
import os
import re
from pathlib import Path


def usable_cores():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def cpu_has_bfloat16_dot_products(cpuinfo="/proc/cpuinfo"):
    """True when the CPU multiplies bfloat16 at twice its float32 rate: AVX512-BF16 or AMX (Linux's flag names);
    False where that cannot be read (another OS: float32 then, the safe choice)."""
    try:
        flags = Path(cpuinfo).read_text()
    except OSError:
        return False
    return re.search(r"\b(avx512_bf16|amx_bf16)\b", flags) is not None


def apply_thread_defaults():
    """Intra-op threads = half the usable cores (at least 1), unless the user set them."""
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", str(max(1, usable_cores() // 2)))


@contextlib.contextmanager
def native_stderr_silenced():
    """Point file descriptor 2 at /dev/null for the block (native libraries write to it directly)."""
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_tensorflow_quietly():
    """Import TensorFlow and initialise its devices, silently (thread policy: apply_thread_defaults)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if os.environ.get("ASR_TF_LOGS"):
        import tensorflow  # noqa: F401
        return
    with native_stderr_silenced():
        import tensorflow as tf
        tf.config.list_logical_devices()  # device discovery logs its own lines: get them over with here
