"""tools/gpu_check.py on this machine, with or without a GPU: the cuDNN decision, the profiled op names, the
timings. What the machine has is asked of TensorFlow in a process of its own, not of the tool under test."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUIET = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def gpu_count():
    probe = subprocess.run([sys.executable, "-c", "import tensorflow as tf; "
                            "print(len(tf.config.list_physical_devices('GPU')))"], env=QUIET, capture_output=True,
                           text=True, timeout=600)
    assert probe.returncode == 0, probe.stderr[-2000:]
    return int(probe.stdout.split()[-1])


def test_gpu_check_reports_the_path_this_machine_takes():
    gpus = gpu_count()
    result = subprocess.run([sys.executable, "tools/gpu_check.py", "--config", "recipes/synth_en/conf/tiny.yaml",
                             "--batch", "4", "--frames", "120", "--steps", "2"], cwd=ROOT, env=QUIET,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    out = result.stdout
    ops_line = next(line for line in out.splitlines() if line.startswith("recurrent ops in a profile"))
    assert "none found" not in ops_line  # the profile was read
    assert "float32" in out and "vs float32" in out
    if gpus:
        assert out.count("/physical_device:GPU:") == gpus  # the tool sees the GPUs TensorFlow sees
        assert "cuDNN decision: cuDNN kernels" in out and "CudnnRNN" in ops_line
        assert "cuDNN kernels ran: yes" in out and "mixed_float16" in out
    else:
        assert "GPUs: none (CPU only)" in out
        assert "cuDNN decision: eligible, but no GPU: asr.models.fast_lstm on the CPU" in out
        assert "CudnnRNN" not in ops_line  # asr.models.fast_lstm's loop ops
        assert "cuDNN kernels ran: no" in out and "mixed_bfloat16" in out
