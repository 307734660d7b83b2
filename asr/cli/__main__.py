"""`python -m asr.cli`: the older spelling of `python -m asr`, kept for scripts that use it."""

import runpy

runpy.run_module("asr", run_name="__main__")
