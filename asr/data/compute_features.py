"""`asr features`: log-mel feature shards for every manifest split, in parallel, resumably; CMVN from train.

Writes DATA_DIR/features/<split>/shard-*.{npy,json} with the split's source.json, and
DATA_DIR/features/cmvn.json. A shard that already has its index is skipped, so an interrupted run
continues where it stopped; a split whose manifest, feature settings or shard size changed is
recomputed. A bad audio file is reported by name and left out of its shard; the rest is written.
"""

import hashlib
import json
import logging
import shutil

from threadpoolctl import threadpool_limits

from asr.config import FeatureConfig
from asr.data.features import file_log_mel
from asr.data.manifest import load_manifest
from asr.data.shards import (
    SOURCE,
    FeatureStore,
    compute_cmvn,
    save_cmvn,
    shard_paths,
    source_of,
    write_shard,
    write_source,
)
from asr.errors import AsrError
from asr.layout import DataLayout
from asr.provenance import feature_settings
from asr.workers import worker_pool

log = logging.getLogger(__name__)


def _one_thread_per_worker():
    """Pool initializer: one BLAS thread per worker, or N workers x N threads fight over N cores."""
    threadpool_limits(1)


def _features_of_shard(task):
    """Worker: (split_dir, shard index, rows, FeatureConfig) -> list of problems; writes the shard."""
    split_dir, index, rows, config = task
    ids, features, problems = [], [], []
    for row in rows:
        try:
            features.append(file_log_mel(row["audio"], config))
            ids.append(row["id"])
        except AsrError as e:
            problems.append(f"{row['id']}: {e}")
    write_shard(split_dir, index, ids, features, config.n_mels)
    return problems


def discard_stale_shards(manifest_path, split_dir, config):
    """Remove shards made from another version of the manifest, other feature settings or shard size."""
    source = {"manifest_sha256": hashlib.sha256(manifest_path.read_bytes()).hexdigest(),
              "features": feature_settings(config), "utterances_per_shard": config.utterances_per_shard}
    discard_stale_source(split_dir, source, "features")


def discard_stale_source(split_dir, source, who):
    """Remove split_dir's shards unless they were made from `source`; then record `source` as theirs."""
    if source_of(split_dir) == json.loads(json.dumps(source)):  # as JSON stores it: a tuple reads back a list
        return
    if split_dir.is_dir():
        log.info(f"{who}: {split_dir} was computed from another source or with other settings; recomputing")
        (split_dir / SOURCE).unlink(missing_ok=True)  # first: a removal cut short still reads as stale
        shutil.rmtree(split_dir)
    write_source(split_dir, source)


def compute_split(manifest_path, split_dir, config, pool):
    """Write all missing shards of one split; returns the list of skipped utterances and reasons."""
    rows = load_manifest(manifest_path)
    discard_stale_shards(manifest_path, split_dir, config)
    per_shard = config.utterances_per_shard
    tasks = []
    for index, start in enumerate(range(0, len(rows), per_shard)):
        if not shard_paths(split_dir, index)[1].is_file():
            tasks.append((split_dir, index, rows[start:start + per_shard], config))
    problems = []
    for done, shard_problems in enumerate(pool.imap_unordered(_features_of_shard, tasks), 1):
        problems += shard_problems
        log.debug(f"features: {manifest_path.stem}: {done} of {len(tasks)} shards written")
    log.info(f"features: {manifest_path.stem}: {len(rows)} utterances, {len(tasks)} shards computed, "
             f"{len(problems)} skipped")
    return problems


def compute_features(data_dir, config=FeatureConfig(), jobs=None):
    """Features for every manifest of data_dir, then CMVN statistics of the train split."""
    data = DataLayout(data_dir)
    manifests = sorted(data.manifests.glob("*.jsonl"))
    if not manifests:
        raise AsrError(f"{data.manifests}: no manifests (*.jsonl) found")
    problems = []
    with worker_pool(jobs, _one_thread_per_worker) as pool:
        for manifest in manifests:
            problems += compute_split(manifest, data.feature_split(manifest.stem), config, pool)
    for problem in problems:
        log.warning(f"features: skipped {problem}")
    if not data.feature_split("train").is_dir():
        raise AsrError(f"{data.manifests}: no train.jsonl, so no CMVN statistics can be computed")
    stats = compute_cmvn(FeatureStore(data.feature_split("train")))
    save_cmvn(data.cmvn, stats)
    log.info(f"features: CMVN statistics over {stats['frames']} training frames -> {data.cmvn}")
    return problems
