"""Augmented copies prepared ahead (`train.augment.copies: K`): the training utterances heard through the
waveform augmenter K times each, computed once before the first epoch by every core, kept as feature shards
in the run directory (RUN_DIR/augmented/copy-<k>/).

Online augmentation (K = 0) computes a new version of an utterance at every draw, on the cores the model
trains on: on a 2-core machine, 4.9 % more bfloat16 training time (docs/speed.md). Prepared ahead, the same
work is done once per copy (on that machine 16 % of an epoch's time per copy), and training reads shards
about as fast as the clean ones: copies pay when fewer versions than epochs will do, or where the model
leaves cores idle.
Copy k of utterance i is drawn from rng(seed, COPY_STREAM, k, i) alone, so a copy cut short is remade the
same. Epoch e reads copy e mod K, so with K = train.max_epochs every epoch hears a version of its own, as
online augmentation gives it (a copy drawn at random would repeat one for most utterances); at each draw,
rng(seed, epoch, batch, position) chooses clean or augmented (train.augment.probability), so a resumed run
hears what the uninterrupted one would have.
"""

import dataclasses
import functools
import logging
import time

import numpy as np
from threadpoolctl import threadpool_limits

from asr.augment.augmented_features import label_frames, training_augmentation
from asr.data.compute_features import discard_stale_source
from asr.data.shards import FeatureStore, shard_paths, write_shard
from asr.provenance import feature_settings
from asr.workers import worker_pool

log = logging.getLogger(__name__)

COPY_STREAM = 1_000_003  # keeps the copies' generators apart from every per-draw generator of the pipeline

_worker = {}  # in each worker process: the AugmentedFeatures, built once by _start_worker


def copy_source(config, store, copy):
    """What copy `copy` is made from: shards of another source are stale."""
    augment = dataclasses.asdict(config.train.augment)
    augment.pop("copies")  # how many copies there are does not change what copy k holds
    return {"augment": augment, "features": feature_settings(config.features), "seed": config.train.seed,
            "train_shards": store.fingerprint, "copy": copy,
            "utterances_per_shard": config.features.utterances_per_shard}


def _start_worker(config, rows, store_dir):
    threadpool_limits(1)  # one BLAS thread per worker, one worker per core
    _worker["augmented"] = training_augmentation(config, rows, FeatureStore(store_dir))


def _copy_shard(task):
    """Worker: write shard `index` of copy `copy`: each utterance augmented by its own generator, or clean when
    the generator drew no transform."""
    copy_dir, copy, index, seed, utterances = task
    augmented = _worker["augmented"]
    ids, features = [], []
    for position, utt_id in utterances:
        heard = augmented.augmented(utt_id, np.random.default_rng([seed, COPY_STREAM, copy, position]))
        ids.append(utt_id)
        features.append(augmented.store[utt_id] if heard is None else heard)
    write_shard(copy_dir, index, ids, features, augmented.store.feature_dim)


def prepare_copies(config, rows, store, copies_dir, jobs=None):
    """Every missing shard of the K copies, by `jobs` worker processes (default: every core); their stores."""
    per_shard = config.features.utterances_per_shard
    present = [(position, row["id"]) for position, row in enumerate(rows) if row["id"] in store]
    tasks = []
    for copy in range(config.train.augment.copies):
        copy_dir = copies_dir / f"copy-{copy}"
        discard_stale_source(copy_dir, copy_source(config, store, copy), "train")
        for index, start in enumerate(range(0, len(present), per_shard)):
            if not shard_paths(copy_dir, index)[1].is_file():
                tasks.append((copy_dir, copy, index, config.train.seed, present[start:start + per_shard]))
    if tasks:
        started = time.time()
        with worker_pool(jobs, functools.partial(_start_worker, config, rows, store.feature_dir)) as pool:
            for _ in pool.imap_unordered(_copy_shard, tasks):
                pass
        log.info(f"train: {len(tasks)} shards of augmented copies prepared in {(time.time() - started) / 60:.1f} min")
    return [FeatureStore(copies_dir / f"copy-{copy}") for copy in range(config.train.augment.copies)]


class AugmentedCopies:
    """`features(utterance, rng)` -> (T, n_mels) float32, the interface of AugmentedFeatures: the clean shard,
    or with train.augment.probability (drawn from rng) the epoch's copy (clean again when that copy was sped
    up past what the utterance's label needs)."""

    def __init__(self, probability, copies, clean, min_frames, epoch=0):
        self.probability, self.copies, self.clean, self.min_frames = probability, copies, clean, min_frames
        self.epoch = epoch

    def for_epoch(self, epoch):
        """The same copies, read as epoch `epoch` reads them."""
        return AugmentedCopies(self.probability, self.copies, self.clean, self.min_frames, epoch)

    def features(self, utterance, rng):
        if not rng.random() < self.probability:
            return self.clean[utterance.id]
        copy = self.copies[self.epoch % len(self.copies)]
        if utterance.id not in copy or copy.num_frames(utterance.id) < self.min_frames(utterance):
            return self.clean[utterance.id]
        return copy[utterance.id]


def prepared_augmentation(config, rows, store, copies_dir, jobs=None):
    """The AugmentedCopies of a recipe config's train.augment (copies > 0) over the train split's rows and shards,
    its copies prepared first where missing."""
    copies = prepare_copies(config, rows, store, copies_dir, jobs)
    return AugmentedCopies(config.train.augment.probability, copies, store, label_frames(config.model))
