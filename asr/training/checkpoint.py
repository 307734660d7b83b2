"""Crash-safe training state: `checkpoint.npz` with every variable by its path, and the TrainingState.

A checkpoint holds the weights, the optimizer's variables (Adam's moments and step counter), the dropout
layers' random-generator states (all in model.variables), the loss scale and the TrainingState, keyed by
each variable's place in the model (e.g. "model/encoder/recurrent/0/forward_layer/cell/kernel"), so a
changed model is reported by the names that differ, never loaded by position into the wrong variable.
"""

import dataclasses
import io
import json
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from asr.errors import AsrError
from asr.fileio import atomic_path

STATE_KEY = "__training_state__"


@dataclass
class TrainingState:
    epoch: int = 0
    batch_in_epoch: int = 0
    global_step: int = 0
    best_metric: float = math.inf
    best_epoch: int = -1
    epochs_without_improvement: int = 0
    train_seconds: float = 0.0
    nonfinite_batches: int = 0
    skipped_in_a_row: int = 0
    epoch_loss_sum: float = 0.0  # over this epoch's finite batches so far
    epoch_loss_count: int = 0
    finished: bool = False
    precision: str = ""  # the dtype policy it has trained in (`auto` resolves anew on each machine it resumes on)


def _attributes(obj):
    """An object's own attributes, public ones first (a sublayer is "encoder", not "_layers/2"), lists
    expanded by position."""
    for name in sorted(vars(obj), key=lambda n: (n.startswith("_"), n)):
        value = vars(obj)[name]
        if isinstance(value, (list, tuple)):
            yield from ((f"{name}/{i}", item) for i, item in enumerate(value))
        else:
            yield name, value


def structural_paths(root, prefix):
    """{id(variable): path} of every Keras variable reachable from `root` through attributes, e.g.
    "model/encoder/recurrent/0/forward_layer/cell/kernel". Keras' own Variable.path holds layer names
    Keras numbers per process ("acoustic_model_3"), so it would differ between a run and its resume."""
    paths, seen = {}, set()

    def visit(obj, path):
        if id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, keras.Variable):
            paths[id(obj)] = path
        elif isinstance(obj, (keras.layers.Layer, keras.random.SeedGenerator)):
            for name, child in _attributes(obj):
                visit(child, f"{path}/{name}")

    visit(root, prefix)
    return paths


def checkpoint_variables(model, optimizer, loss_scale=None):
    """{key: variable} of everything a resumed run needs besides TrainingState, each keyed by where it
    sits in the model: its attribute path; an optimizer slot by its kind and the weight it belongs to."""
    model_paths = structural_paths(model, "model")
    keyed = {model_paths.get(id(v), f"model/{v.path}"): v for v in model.variables}
    slots_of = {v.path.replace("/", "_"): model_paths.get(id(v), v.path) for v in model.trainable_variables}
    for variable in optimizer.variables:  # Keras names a slot "<weight path with _>_<kind>"
        owner = max((flat for flat in slots_of if variable.name.startswith(flat + "_")), key=len, default=None)
        key = (f"optimizer/{variable.name[len(owner) + 1:]}/{slots_of[owner]}" if owner
               else f"optimizer/{variable.name}")
        keyed[key] = variable
    for variable in (loss_scale.variables if loss_scale else []):
        keyed[f"loss_scale/{variable.name.split(':')[0]}"] = variable
    expected = len(model.variables) + len(optimizer.variables) + (len(loss_scale.variables) if loss_scale else 0)
    if len(keyed) != expected:
        raise AsrError(f"{expected - len(keyed)} variables share a checkpoint key: name the layers uniquely")
    return keyed


def save_checkpoint(path, variables, state):
    buffer = io.BytesIO()
    np.savez(buffer, **{STATE_KEY: np.array(json.dumps(dataclasses.asdict(state)))},
             **{key: v.numpy() for key, v in variables.items()})
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def _mismatch(path, saved, variables):
    """AsrError listing which variables the checkpoint lacks or has extra, or whose shapes differ."""
    missing = sorted(set(variables) - set(saved))
    extra = sorted(set(saved) - set(variables))
    reshaped = sorted(k for k in set(saved) & set(variables)
                      if tuple(saved[k].shape) != tuple(variables[k].shape))
    parts = [f"{label} {len(keys)} ({', '.join(keys[:3])}{', ...' if len(keys) > 3 else ''})"
             for label, keys in (("missing", missing), ("unexpected", extra), ("reshaped", reshaped)) if keys]
    return AsrError(f"{path}: does not fit this run's model and optimizer: {'; '.join(parts)}. The config or asr "
                    "changed since it was written (delete it to start over)")


def restore_checkpoint(path, variables):
    """Assign the saved values to `variables`; returns the saved TrainingState, a fresh one if none."""
    if not Path(path).is_file():
        return TrainingState()
    try:
        with np.load(path) as archive:
            saved = {key: archive[key] for key in archive.files}
        state = TrainingState(**json.loads(str(saved.pop(STATE_KEY))))
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as e:
        raise AsrError(f"{path}: not a readable checkpoint ({e}); delete it to start over") from None
    if set(saved) != set(variables) or any(tuple(saved[k].shape) != tuple(v.shape) for k, v in variables.items()):
        raise _mismatch(path, saved, variables)
    for key, variable in variables.items():
        variable.assign(saved[key])
    return state
