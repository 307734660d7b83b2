"""Process pools that Ctrl-C stops quietly: the one way asr and data_prep run work in parallel.

Ctrl-C sends SIGINT to every process of the terminal's process group, so without care each worker raises
its own KeyboardInterrupt (a traceback per worker), and a worker killed while holding the pool's task-queue
lock makes the parent's Pool.terminate wait forever. Here workers ignore SIGINT, leaving the parent alone
to react: it terminates the pool at once. Pool.terminate sends SIGTERM, which a worker turns into SystemExit,
so the file it was writing unwinds through asr.fileio and its temp file is removed: nothing half-written
remains, and the rerun redoes only what was not finished.

One SIGTERM is not always enough. Its SystemExit may land in a finaliser (a __del__, such as SoundFile's
closing a file), where Python prints "Exception ignored" and drops it; or the signal may arrive just before a
worker blocks on the task-queue lock, which then never returns to Python to notice it (a CPython race: about
one Ctrl-C in ten in tests/test_workers.py). So the parent asks again every RETRY_SECONDS until each worker
has gone, and kills what is left after STOP_SECONDS; a worker keeps a dropped SystemExit quiet and raises the
next one, but ignores repeats while one unwinds, so its clean-up is not cut short (tests/test_workers.py).
"""

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time

RETRY_SECONDS = 0.1  # long beside a finaliser (closing a file), short beside a person waiting
STOP_SECONDS = 5  # then SIGKILL: a worker that catches SystemExit itself would otherwise never end

_exiting = False  # in a worker: our SystemExit is unwinding the work


def _exit_on_sigterm(signum, frame):
    global _exiting
    if not _exiting:
        _exiting = True
        sys.exit(128 + signum)


def _quiet_dropped_exit(unraisable):
    """A worker's sys.unraisablehook: our SystemExit dropped in a finaliser is forgotten, so the parent's next
    SIGTERM raises it again where it counts; anything else is printed as Python would."""
    global _exiting
    if _exiting and unraisable.exc_type is SystemExit:
        _exiting = False
    else:
        sys.__unraisablehook__(unraisable)


def _start_worker(initializer):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    sys.unraisablehook = _quiet_dropped_exit
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    if initializer is not None:
        initializer()


def _until_gone(workers):
    """SIGTERM to the workers still running every RETRY_SECONDS, SIGKILL after STOP_SECONDS, until none is."""
    running = {worker.sentinel: worker.pid for worker in workers}
    deadline = time.monotonic() + STOP_SECONDS
    while running:
        for gone in multiprocessing.connection.wait(list(running), RETRY_SECONDS):
            del running[gone]
        how = signal.SIGTERM if time.monotonic() < deadline else signal.SIGKILL
        for pid in running.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, how)


def _terminate(pool, workers):
    """Pool.terminate (SIGTERM to each worker, then join), with _until_gone making sure the join ends."""
    threading.Thread(target=_until_gone, args=(workers,), daemon=True).start()
    pool.terminate()


@contextlib.contextmanager
def worker_pool(processes=None, initializer=None):
    """A multiprocessing.Pool of `processes` (default: all cores) whose workers run `initializer` first.

    Leaving the block normally waits for the workers; leaving it by an exception (KeyboardInterrupt too)
    terminates them, which cancels the work not yet done."""
    # blocked while the workers start, so none is interrupted before it has chosen to ignore SIGINT;
    # a Ctrl-C meanwhile reaches this process when the mask is restored, inside the try
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    pool, workers = None, set()
    try:
        others = set(multiprocessing.active_children())
        pool = multiprocessing.Pool(processes or multiprocessing.cpu_count(), _start_worker, (initializer,))
        workers = set(multiprocessing.active_children()) - others
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        yield pool
        pool.close()
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        if pool is not None:
            _terminate(pool, workers)
        raise
    finally:
        if pool is not None:
            pool.join()
