"""What the user sees: library log records as plain lines, transcripts, and the summary of failures."""

import json
import logging
import os
import sys

LIBRARY_LOGGERS = ("asr", "data_prep")
LEVELS = {-1: logging.WARNING, 0: logging.INFO, 1: logging.DEBUG}  # -q, default, -v


class ConsoleHandler(logging.Handler):
    """Progress (INFO, DEBUG) on stdout, problems (WARNING and above) on stderr, each message as it is.

    The streams are looked up at every record, so redirections made later (and pytest's capture) apply.
    """

    def emit(self, record):
        stream = sys.stderr if record.levelno >= logging.WARNING else sys.stdout
        try:
            stream.write(self.format(record) + "\n")
            stream.flush()
        except Exception:  # noqa: BLE001 - logging must never take the program down
            self.handleError(record)


def configure_logging(verbosity=0):
    """Send the library's log records to the console at the level -q/-v chose."""
    handler = ConsoleHandler()
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(LEVELS[max(-1, min(1, verbosity))])
        logger.propagate = False


def print_transcripts(results, as_json, many, out=sys.stdout, err=sys.stderr):
    """Print each result as it comes (path<TAB>text when `many`), or one JSON list at the end; then the
    files that failed. Returns the number of failures."""
    collected = []
    for result in results:
        collected.append(result)
        if "error" in result:
            print(f"asr transcribe: {result['error']}", file=err, flush=True)
        elif not as_json:
            print(f"{result['file']}\t{result['text']}" if many else result["text"], file=out, flush=True)
    if as_json:
        print(json.dumps(collected, indent=2, ensure_ascii=False), file=out, flush=True)
    failed = [r for r in collected if "error" in r]
    if failed and len(collected) > 1:
        print(f"asr transcribe: {len(failed)} of {len(collected)} files could not be transcribed:", file=err)
        for result in failed:
            print(f"asr transcribe:   {result['error']}", file=err)
    return len(failed)


def print_stream_events(events, as_json, out=sys.stdout):
    """JSON: every event as a line. Text: finals as lines; on a terminal also the partial, rewritten in place."""
    live = out.isatty() and not as_json
    for event in events:
        if as_json:
            print(json.dumps(event, ensure_ascii=False), file=out, flush=True)
        elif event["type"] == "final":
            print(("\r\033[K" if live else "") + event["text"], file=out, flush=True)
        elif live:
            print("\r\033[K" + event["text"], end="", file=out, flush=True)


def discard_stdout():
    """Point standard output at /dev/null (its unwritten text would fail again at exit, with a traceback-like
    "Exception ignored" message); returns the file it pointed at, for the error message."""
    try:
        name = os.readlink(f"/proc/self/fd/{sys.stdout.fileno()}")
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return name
    except (OSError, ValueError, AttributeError):  # not a file descriptor (a test's capture), or no /proc
        return "standard output"
