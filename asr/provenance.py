"""How an artefact was made: feature settings and their fingerprint, the code's commit.

Feature shards and model directories record the feature settings they were made with; a stage that
would combine two artefacts made with different settings stops with one line naming both
(`check_same_features`), instead of silently feeding a model features it never saw.
"""

import dataclasses
import hashlib
import json
import subprocess
from pathlib import Path

from asr.config import FeatureConfig
from asr.errors import AsrError

LAYOUT_ONLY = ("utterances_per_shard",)  # how shards group frames, not what a frame is


def feature_settings(config: FeatureConfig):
    """The settings that define a feature frame, as a plain dict (what shards and models record)."""
    return {k: v for k, v in dataclasses.asdict(config).items() if k not in LAYOUT_ONLY}


def feature_config(settings):
    """A FeatureConfig from recorded settings (shards or model.json)."""
    return FeatureConfig(**settings)


def fingerprint(value):
    """A short stable hash of any JSON-able value."""
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def differences(a, b):
    """'key a vs b' for every setting that differs between two settings dicts."""
    return ", ".join(f"{k} {a.get(k)} vs {b.get(k)}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k))


def check_same_features(made_with, made_by, expected, expected_by):
    """AsrError naming both sides unless two feature settings dicts agree."""
    if made_with != expected:
        raise AsrError(f"{made_by} was made with other feature settings than {expected_by} "
                       f"({differences(made_with, expected)})")


def code_commit():
    """The git commit of the asr source in use ('unknown' outside a git checkout)."""
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).parent, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "unknown"
