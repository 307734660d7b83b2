"""The one exception type users see as a one-line message instead of a traceback."""


class AsrError(Exception):
    """A problem with the user's input (file, config, corpus), reported as one line."""
