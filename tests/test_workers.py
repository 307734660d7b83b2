"""asr.workers: a pool that Ctrl-C stops, even when a worker's SystemExit is lost (raised inside a finaliser,
Python prints and drops it)."""

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time


def test_an_interrupted_pool_stops_though_a_worker_drops_its_systemexit():
    script = textwrap.dedent("""
        import time
        from asr.workers import worker_pool

        def stubborn(_):
            while True:  # as when SIGTERM's SystemExit lands in a __del__: dropped, and the work goes on
                try:
                    time.sleep(0.05)
                except SystemExit:
                    pass

        if __name__ == "__main__":
            try:
                with worker_pool(2) as pool:
                    pool.map_async(stubborn, range(2))
                    time.sleep(1)
                    raise KeyboardInterrupt  # Ctrl-C in the parent: the pool is terminated
            except KeyboardInterrupt:
                print("stopped")
    """)
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        out, err = process.communicate(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):  # a hung pool's workers too; none left when it stopped
            os.killpg(process.pid, signal.SIGKILL)
    assert out == "stopped\n", err
    assert time.monotonic() - started < 20
