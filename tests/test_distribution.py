"""tf.distribute on CPU: two logical devices (MirroredStrategy) and two worker processes on loopback
(MultiWorkerMirroredStrategy) must follow the single-device loss trajectory for the same global batches."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import TINY, asr

STEPS = 5  # crosses the end of epoch 1 (3 batches): dev evaluation and checkpoints under the strategy
ROOT = Path(__file__).resolve().parent.parent


def launch(data_dir, run_dir, *options, env=None):
    command = [sys.executable, "-m", "tests.distributed_run", json.dumps(TINY), str(data_dir), str(run_dir),
               "--steps", str(STEPS), *options]
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})}, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def losses_of(process):
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err[-3000:]
    line = next(line for line in out.splitlines() if line.startswith("LOSSES "))
    return json.loads(line.removeprefix("LOSSES "))


@pytest.fixture(scope="module")
def single_device(tiny_data, tmp_path_factory):
    return losses_of(launch(tiny_data, tmp_path_factory.mktemp("single")))


@pytest.mark.slow
def test_mirrored_over_two_cpu_devices_matches_one_device(tiny_data, single_device, tmp_path):
    mirrored = losses_of(launch(tiny_data, tmp_path, "--strategy", "mirrored", "--cpus", "2"))
    assert mirrored["replicas"] == 2 and single_device["replicas"] == 1
    np.testing.assert_allclose(mirrored["losses"], single_device["losses"], rtol=1e-4)
    assert len(single_device["losses"]) == STEPS and (tmp_path / "checkpoint.npz").is_file()


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.slow
def test_two_workers_on_loopback_match_one_device(tiny_data, single_device, tmp_path):
    cluster = {"worker": [f"localhost:{port}" for port in free_ports(2)]}
    workers = [launch(tiny_data, tmp_path, "--strategy", "multiworker",
                      env={"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})})
               for i in range(2)]
    results = [losses_of(worker) for worker in workers]
    for result in results:
        assert result["replicas"] == 2
        np.testing.assert_allclose(result["losses"], single_device["losses"], rtol=1e-4)
    assert (tmp_path / "checkpoint.npz").is_file()  # written by the chief (worker 0) alone


def test_multiworker_without_tf_config_is_one_clear_line(tiny_data, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    result = asr("train", "--distribution", "multiworker", "--config", ROOT / "recipes/synth_en/conf/tiny.yaml",
                 "--data-dir", tiny_data, "--run-dir", tmp_path, env=env)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "--distribution multiworker: TF_CONFIG is not set" in result.stderr


@pytest.mark.parametrize("jobs, task, chief", [
    ({}, None, True),  # one host
    ({"worker": ["a:1", "b:1"]}, ("worker", 0), True),
    ({"worker": ["a:1", "b:1"]}, ("worker", 1), False),
    ({"chief": ["a:1"], "worker": ["b:1"]}, ("chief", 0), True),
    ({"chief": ["a:1"], "worker": ["b:1"]}, ("worker", 0), False),  # worker 0 is not the chief here
])
def test_exactly_one_chief_writes(jobs, task, chief):
    from types import SimpleNamespace

    from asr.training.distribution import is_chief
    spec = SimpleNamespace(as_dict=lambda: jobs)
    task_type, task_id = task or (None, None)
    resolver = SimpleNamespace(cluster_spec=lambda: spec, task_type=task_type, task_id=task_id)
    assert is_chief(SimpleNamespace(cluster_resolver=resolver)) is chief
