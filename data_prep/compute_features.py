"""Compute log-mel feature shards for every manifest split, in parallel, resumably; CMVN from train.

Usage (normally through `asr features`):
    python -m data_prep.compute_features MANIFEST_DIR FEATURE_DIR
Writes FEATURE_DIR/<split>/shard-*.{npy,json} and FEATURE_DIR/cmvn.json. A shard that already has its
index is skipped, so an interrupted run continues where it stopped. A bad audio file is reported by
name and left out of its shard; the rest of the shard is written.
"""

import argparse
import hashlib
import multiprocessing
import shutil
import sys
from pathlib import Path

from threadpoolctl import threadpool_limits

from asr.errors import AsrError
from asr.features import file_log_mel
from asr.fileio import write_text
from asr.shards import FeatureStore, compute_cmvn, save_cmvn, shard_paths, write_shard
from data_prep.manifest import load_manifest


def _one_thread_per_worker():
    """Pool initializer: one BLAS thread per worker, or N workers x N threads fight over N cores."""
    threadpool_limits(1)


def _features_of_shard(task):
    """Worker: (split_dir, shard index, rows) -> list of problems; writes the shard."""
    split_dir, index, rows = task
    ids, features, problems = [], [], []
    for row in rows:
        try:
            features.append(file_log_mel(row["audio"]))
            ids.append(row["id"])
        except AsrError as e:
            problems.append(f"{row['id']}: {e}")
    write_shard(split_dir, index, ids, features)
    return problems


def discard_stale_shards(manifest_path, split_dir, utterances_per_shard):
    """Remove shards computed from another version of the manifest (or another shard size)."""
    source = f"{hashlib.sha256(manifest_path.read_bytes()).hexdigest()} {utterances_per_shard}\n"
    stamp = split_dir / "source.txt"
    if stamp.is_file() and stamp.read_text() == source:
        return
    if split_dir.is_dir():
        print(f"features: {split_dir} was computed from another manifest; recomputing")
        shutil.rmtree(split_dir)
    write_text(stamp, source)


def compute_split(manifest_path, split_dir, utterances_per_shard, pool):
    """Write all missing shards of one split; returns the list of skipped utterances and reasons."""
    rows = load_manifest(manifest_path)
    discard_stale_shards(manifest_path, split_dir, utterances_per_shard)
    tasks = []
    for index, start in enumerate(range(0, len(rows), utterances_per_shard)):
        if not shard_paths(split_dir, index)[1].is_file():
            tasks.append((split_dir, index, rows[start:start + utterances_per_shard]))
    problems = [p for shard_problems in pool.imap_unordered(_features_of_shard, tasks) for p in shard_problems]
    print(f"features: {manifest_path.stem}: {len(rows)} utterances, {len(tasks)} shards computed, "
          f"{len(problems)} skipped")
    return problems


def compute_features(manifest_dir, feature_dir, utterances_per_shard=2000, jobs=None):
    """Features for every {split}.jsonl in manifest_dir, then CMVN statistics of the train split."""
    manifest_dir, feature_dir = Path(manifest_dir), Path(feature_dir)
    manifests = sorted(manifest_dir.glob("*.jsonl"))
    if not manifests:
        raise AsrError(f"{manifest_dir}: no manifests (*.jsonl) found")
    problems = []
    with multiprocessing.Pool(jobs or multiprocessing.cpu_count(), _one_thread_per_worker) as pool:
        for manifest in manifests:
            problems += compute_split(manifest, feature_dir / manifest.stem, utterances_per_shard, pool)
    for problem in problems:
        print(f"features: skipped {problem}", file=sys.stderr)
    if not (feature_dir / "train").is_dir():
        raise AsrError(f"{manifest_dir}: no train.jsonl, so no CMVN statistics can be computed")
    stats = compute_cmvn(FeatureStore(feature_dir / "train"))
    save_cmvn(feature_dir / "cmvn.json", stats)
    print(f"features: CMVN statistics over {stats['frames']} training frames -> {feature_dir / 'cmvn.json'}")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest_dir")
    parser.add_argument("feature_dir")
    parser.add_argument("--utterances-per-shard", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args(argv)
    compute_features(args.manifest_dir, args.feature_dir, args.utterances_per_shard, args.jobs)


if __name__ == "__main__":
    main()
