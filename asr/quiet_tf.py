"""Import TensorFlow without its native start-up chatter on stderr.

TF 2.21 logs through absl before any log level applies (TF_CPP_MIN_LOG_LEVEL no longer silences
"All log messages before absl::InitializeLog()…", oneDNN notices, cuInit failures on CPU-only hosts),
so a one-line error of ours would drown in a dozen lines of theirs. Its native code writes straight to
file descriptor 2, so we point that at /dev/null while TF imports and initialises its devices. Set
ASR_TF_LOGS=1 to see those lines. Python exceptions raised by the import still propagate.
"""

import contextlib
import os

from asr.cpu_threads import apply_thread_defaults


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
    """Import TensorFlow (with asr's CPU thread defaults) and initialise its devices, silently."""
    apply_thread_defaults()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if os.environ.get("ASR_TF_LOGS"):
        import tensorflow  # noqa: F401
        return
    with native_stderr_silenced():
        import tensorflow as tf
        tf.config.list_logical_devices()  # device discovery logs its own lines: get them over with here
