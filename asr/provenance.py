"""How an artefact was made: feature settings and their fingerprint, the code's version and commit.

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


def git(folder, *args):
    """What `git ARGS` prints in folder, stripped; None where git is missing or fails."""
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=folder, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def package_parent():
    """The folder that holds the asr package: its source checkout (beside data_prep/ and the recipes) when asr runs
    from one, else site-packages."""
    return Path(__file__).resolve().parents[1]


def code_commit():
    """The git commit of asr's own checkout when asr runs from one, else None. An installed asr sits in
    site-packages, perhaps inside some other project's repository: git would name that repository's commit."""
    checkout = package_parent()
    top = git(checkout, "rev-parse", "--show-toplevel")
    if top is None or Path(top).resolve() != checkout:
        return None
    return git(checkout, "rev-parse", "--short", "HEAD")


def code_provenance():
    """What model.json records of the code that trained it: asr's version, and the commit from a checkout."""
    import asr  # at call time: asr/__init__.py may import the stages that import this module
    commit = code_commit()
    return {"version": asr.__version__, **({"commit": commit} if commit else {})}


def code_description(provenance=None):
    """asr's version and commit in words, for reports: 'asr 0.1.0, commit 56d1e7a' (no commit when installed);
    the running code's, or that of a record such as model.json's ({"version": ..., "commit": ...})."""
    provenance = provenance or code_provenance()
    return f"asr {provenance['version']}" + (f", commit {provenance['commit']}" if "commit" in provenance else "")
