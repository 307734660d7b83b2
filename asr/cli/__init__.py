"""The `asr` command: the only part of asr that parses arguments, talks to the user (prints and sets up
logging) and sets the thread policy. Everything else is a library call."""

from asr.cli.main import main

__all__ = ["main"]
