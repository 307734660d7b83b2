"""Padding that carries lengths: ragged arrays -> one zero-padded array plus each one's true length."""

import numpy as np


def pad(arrays, dtype=np.float32):
    """List of (T_i, ...) arrays of one trailing shape -> (zero-padded (B, max T_i, ...) array, lengths (B,))."""
    lengths = np.array([len(a) for a in arrays], dtype=np.int32)
    padded = np.zeros((len(arrays), max(lengths.max(), 1), *np.shape(arrays[0])[1:]), dtype=dtype)
    for i, a in enumerate(arrays):
        padded[i, :len(a)] = a
    return padded, lengths


def pad_batch(features, labels=None):
    """Lists of (T_i, F) arrays [and (L_i,) labels] -> zero-padded arrays plus their true lengths."""
    if labels is None:
        return pad(features)
    return (*pad(features), *pad(labels, np.int32))
