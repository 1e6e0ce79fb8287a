"""Group-by helpers on numpy arrays: dedup is grouping, never a loop over a set."""

from __future__ import annotations

import numpy as np


def distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values. A sort and a comparison: numpy 2's hash-based `np.unique` took 13 s
    on 25 M int64 codes where this takes 0.8 s."""
    return _drop_repeats(np.sort(values))


def merge_distinct(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Sorted distinct values of two sorted distinct arrays (a stable sort merges the two runs)."""
    return _drop_repeats(np.sort(np.concatenate([a, b]), kind="stable"))


def _drop_repeats(ordered: np.ndarray) -> np.ndarray:
    return ordered[np.concatenate([[True], ordered[1:] != ordered[:-1]])] if len(ordered) else ordered


def first_of_groups(keys: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """For each element, the smallest position sharing its key (positions must be ascending)."""
    if len(keys) == 0:
        return positions.copy()
    order = np.argsort(keys, kind="stable")  # stable: ascending positions inside each group
    sorted_keys = keys[order]
    starts = np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]])
    group = np.cumsum(starts) - 1
    firsts = positions[order][starts]
    out = np.empty_like(positions)
    out[order] = firsts[group]
    return out


def distinct_count(keys: np.ndarray, members: np.ndarray) -> np.ndarray:
    """For each element, how many distinct `members` share its key."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((members, keys))
    k, m = keys[order], members[order]
    new_key = np.concatenate([[True], k[1:] != k[:-1]])
    new_pair = new_key | np.concatenate([[True], m[1:] != m[:-1]])
    group = np.cumsum(new_key) - 1
    per_group = np.bincount(group, weights=new_pair).astype(np.int64)
    out = np.empty(len(keys), dtype=np.int64)
    out[order] = per_group[group]
    return out


def combine_keys(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One uint64 key per (a, b) pair, for grouping on two columns at once."""
    from .minhash import fmix64

    with np.errstate(over="ignore"):
        return fmix64(a.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) ^ b.astype(np.uint64))
