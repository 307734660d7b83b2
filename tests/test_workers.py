"""asr.workers: a pool that Ctrl-C stops quietly, even when a worker's SIGTERM is lost: its SystemExit raised
inside a finaliser (Python prints and drops it), the signal landing just before the worker blocks on a lock, or
the work catching SystemExit itself."""

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time


def run_to_the_end(script, timeout):
    """stdout, stderr and seconds of `python -c script`, its process group killed after it (a hung pool's
    workers too; none is left when it stopped)."""
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    return out, err, time.monotonic() - started


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
    out, err, seconds = run_to_the_end(script, timeout=60)
    assert out == "stopped\n", err
    assert seconds < 20


def test_a_stop_that_lands_in_a_finaliser_is_quiet_and_still_unwinds_the_work(tmp_path):
    """SIGTERM inside a __del__ (SoundFile's, closing a file): Python drops that SystemExit and would print
    "Exception ignored"; the next SIGTERM unwinds the work (here: removes the file it was writing) instead of
    the work going on until it is killed, and stderr stays empty. Ten times: the worker with no task waits on
    the task-queue lock, where about one SIGTERM in ten used to be lost and Pool.terminate wait for ever."""
    script = textwrap.dedent(f"""
        import os, signal, time
        from pathlib import Path
        from asr.workers import worker_pool

        class SlowToClose:
            def __del__(self):  # Ctrl-C now: the parent terminates the pool while this sleeps
                os.kill(os.getppid(), signal.SIGUSR1)
                time.sleep(1)

        def work(i):
            partial = Path({str(tmp_path)!r}) / f"partial-{{i}}"
            partial.touch()
            try:
                SlowToClose()
                while True:
                    time.sleep(0.01)
            finally:
                partial.unlink()

        def ctrl_c(signum, frame):
            signal.signal(signal.SIGUSR1, signal.SIG_IGN)  # once, for the first worker to ask
            raise KeyboardInterrupt

        if __name__ == "__main__":
            signal.signal(signal.SIGUSR1, ctrl_c)
            try:
                with worker_pool(2) as pool:
                    pool.map_async(work, range(2))
                    time.sleep(30)
            except KeyboardInterrupt:
                print("stopped")
    """)
    for _ in range(10):
        out, err, seconds = run_to_the_end(script, timeout=30)
        assert (out, err) == ("stopped\n", "")
        assert list(tmp_path.iterdir()) == []  # each worker's finally ran: unwound, not killed
        assert seconds < 10
