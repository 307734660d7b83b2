"""Registry entries named by import path, so listing a registry's names imports nothing heavy."""

import importlib


def resolve(entry):
    """`entry` itself, or the object "package.module:attribute.path" names (imported on first use)."""
    if not isinstance(entry, str):
        return entry
    module, _, path = entry.partition(":")
    target = importlib.import_module(module)
    for attribute in path.split("."):
        target = getattr(target, attribute)
    return target
