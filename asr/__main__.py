"""`python -m asr`: the `asr` command, for an environment whose scripts folder is not on PATH."""

import sys

from asr.cli import main

sys.exit(main())
