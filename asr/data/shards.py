"""Feature shards: one float16 (frames, n_mels) .npy per shard, memory-mapped, with a JSON index.

A shard is `shard-NNNNN.npy` (all utterances' frames concatenated) plus `shard-NNNNN.json`
({"ids": [...], "offsets": [...], "lengths": [...]}); the index is renamed into place last, so a
shard with an index is complete. Each split's `source.json` says what its shards were made from: the
manifest's sha256, the feature settings and the shard size; shards of another source are stale.
CMVN statistics of the training features live in `cmvn.json` beside the splits.
"""

import json
from pathlib import Path

import numpy as np

from asr.errors import AsrError
from asr.fileio import atomic_path, write_json
from asr.provenance import fingerprint

SOURCE = "source.json"


def source_of(split_dir):
    """The recorded source of a split's shards, or None when there is none (or it is unreadable)."""
    try:
        return json.loads((Path(split_dir) / SOURCE).read_text())
    except (OSError, ValueError):
        return None


def write_source(split_dir, source):
    write_json(Path(split_dir) / SOURCE, source)


def shard_paths(feature_dir, index):
    base = Path(feature_dir) / f"shard-{index:05d}"
    return base.with_suffix(".npy"), base.with_suffix(".json")


def write_shard(feature_dir, index, ids, features, feature_dim):
    """Write one complete shard from parallel lists of ids and (T, feature_dim) arrays."""
    npy_path, index_path = shard_paths(feature_dir, index)
    lengths = [len(f) for f in features]
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(int).tolist() if lengths else []
    stacked = np.concatenate(features).astype(np.float16) if features else np.zeros((0, feature_dim), np.float16)
    with atomic_path(npy_path) as tmp:
        np.save(tmp, stacked)
    try:
        write_json(index_path, {"ids": list(ids), "offsets": offsets, "lengths": lengths})
    except BaseException:  # a full disk, or a stop (Ctrl-C): no shard without its index is left behind
        npy_path.unlink(missing_ok=True)
        raise


class FeatureStore:
    """Read-only access to every shard of one split: `store[utt_id]` -> (T, n_mels) float32.

    `settings` are the feature settings the shards were made with, `fingerprint` identifies their source.
    """

    def __init__(self, feature_dir):
        self.feature_dir = Path(feature_dir)
        index_files = sorted(self.feature_dir.glob("shard-*.json"))
        if not index_files:
            raise AsrError(f"{self.feature_dir}: no feature shards (run the feature stage first)")
        source = source_of(self.feature_dir)
        if source is None or "features" not in source:
            raise AsrError(f"{self.feature_dir}: shards without a readable {SOURCE} (made by an older asr?): "
                           "run the feature stage again")
        self.settings, self.fingerprint = source["features"], fingerprint(source)
        self.feature_dim = self.settings["n_mels"]
        self._where = {}
        self._arrays = []
        for shard, index_file in enumerate(index_files):
            index = json.loads(index_file.read_text())
            self._arrays.append(np.load(index_file.with_suffix(".npy"), mmap_mode="r"))
            for utt_id, offset, length in zip(index["ids"], index["offsets"], index["lengths"]):
                self._where[utt_id] = (shard, offset, length)

    def __contains__(self, utt_id):
        return utt_id in self._where

    def __len__(self):
        return len(self._where)

    def num_frames(self, utt_id):
        return self._where[utt_id][2]

    def shard_arrays(self):
        """The memory-mapped (frames, n_mels) float16 arrays, one per shard."""
        return list(self._arrays)

    def __getitem__(self, utt_id):
        shard, offset, length = self._where[utt_id]
        return np.asarray(self._arrays[shard][offset:offset + length], dtype=np.float32)


def compute_cmvn(store):
    """Global per-dimension mean and standard deviation over every frame of a FeatureStore."""
    total = np.zeros(0)
    count = 0
    for array in store.shard_arrays():
        frames = np.asarray(array, dtype=np.float64)
        if total.size == 0:
            total, squares = np.zeros(frames.shape[1]), np.zeros(frames.shape[1])
        total += frames.sum(axis=0)
        squares += (frames ** 2).sum(axis=0)
        count += len(frames)
    if count == 0:
        raise AsrError(f"{store.feature_dir}: no frames to compute CMVN statistics from")
    mean = total / count
    std = np.sqrt(np.maximum(squares / count - mean ** 2, 1e-8))
    return {"mean": mean.tolist(), "std": std.tolist(), "frames": int(count)}


def save_cmvn(path, stats):
    write_json(path, stats)


def load_cmvn(path):
    path = Path(path)
    if not path.is_file():
        raise AsrError(f"{path}: CMVN statistics not found (run the feature stage first)")
    return json.loads(path.read_text())
