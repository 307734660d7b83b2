"""A registry of one extension point (encoders, decoding strategies): entries by name, the single source
of the CLI's choices and of the config's allowed values. An entry may be given as "module:attribute", so
listing the names imports nothing heavy; it is imported on first use."""

import importlib

from asr.errors import AsrError


def resolve(entry):
    """`entry` itself, or the object "package.module:attribute.path" names."""
    if not isinstance(entry, str):
        return entry
    module, _, path = entry.partition(":")
    target = importlib.import_module(module)
    for attribute in path.split("."):
        target = getattr(target, attribute)
    return target


class Registry:
    def __init__(self, kind, entries):
        self.kind, self._entries = kind, dict(entries)

    def register(self, name, entry=None):
        """Add `entry` under `name`; without an entry, a decorator that registers what it decorates."""
        if entry is None:
            return lambda decorated: self.register(name, decorated)
        self._entries[name] = entry
        return entry

    def names(self):
        return tuple(self._entries)

    def get(self, name):
        if name not in self._entries:
            raise AsrError(f"unknown {self.kind} {name!r} (known: {', '.join(self._entries)})")
        return resolve(self._entries[name])
