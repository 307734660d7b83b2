"""Process pools that Ctrl-C stops quietly: the one way asr and data_prep run work in parallel.

Ctrl-C sends SIGINT to every process of the terminal's process group, so without care each worker raises
its own KeyboardInterrupt (a traceback per worker), and a worker killed while holding the pool's task-queue
lock makes the parent's Pool.terminate wait forever. Here workers ignore SIGINT, leaving the parent alone
to react: it terminates the pool at once. Pool.terminate sends SIGTERM, which a worker turns into SystemExit,
so the file it was writing unwinds through asr.fileio and its temp file is removed: nothing half-written
remains, and the rerun redoes only what was not finished. A worker whose SystemExit was lost is ended by an
alarm STOP_SECONDS later (tests/test_workers.py), so terminating never waits for ever.
"""

import contextlib
import multiprocessing
import signal
import sys


# Seconds a worker told to stop has before SIGALRM ends it. sys.exit below unwinds its work (removing what
# it was writing), but a SystemExit raised inside a finaliser (a __del__, a weakref callback) is printed and
# dropped by Python: the worker would then go on, wait for a task that never comes, and Pool.terminate wait
# for it for ever. The alarm, armed when the handler runs (after any C call it interrupted), ends it anyway.
STOP_SECONDS = 5


def _exit_on_sigterm(signum, frame):
    signal.alarm(STOP_SECONDS)
    sys.exit(128 + signum)


def _start_worker(initializer):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    if initializer is not None:
        initializer()


@contextlib.contextmanager
def worker_pool(processes=None, initializer=None):
    """A multiprocessing.Pool of `processes` (default: all cores) whose workers run `initializer` first.

    Leaving the block normally waits for the workers; leaving it by an exception (KeyboardInterrupt too)
    terminates them, which cancels the work not yet done."""
    # blocked while the workers start, so none is interrupted before it has chosen to ignore SIGINT;
    # a Ctrl-C meanwhile reaches this process when the mask is restored, inside the try
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    pool = None
    try:
        pool = multiprocessing.Pool(processes or multiprocessing.cpu_count(), _start_worker, (initializer,))
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        yield pool
        pool.close()
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        if pool is not None:
            pool.terminate()
        raise
    finally:
        if pool is not None:
            pool.join()
