"""tools/gpu_check.py on a CPU-only machine: the cuDNN decision, the profiled op names, the timings."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_gpu_check_reports_the_cpu_path_here():
    result = subprocess.run([sys.executable, "tools/gpu_check.py", "--config", "recipes/synth_en/conf/tiny.yaml",
                             "--batch", "4", "--frames", "120", "--steps", "2"], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "GPUs: none (CPU only)" in out
    assert "cuDNN decision: eligible, but no GPU: asr.models.fast_lstm on the CPU" in out
    ops_line = next(line for line in out.splitlines() if line.startswith("recurrent ops in a profile"))
    assert "none found" not in ops_line and "CudnnRNN" not in ops_line  # the profile was read: loop ops
    assert "cuDNN kernels ran: no" in out
    assert "float32" in out and "mixed_bfloat16" in out and "vs float32" in out
