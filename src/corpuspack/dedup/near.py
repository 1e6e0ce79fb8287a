"""Near duplicates: LSH band keys give candidate pairs; exact shingle-set Jaccard confirms them."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

SetsFor = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def candidate_pairs(band_columns: Iterable[np.ndarray], positions: np.ndarray, max_pairs: int) -> np.ndarray:
    """Unique (earlier, later) position pairs sharing a band key in any band, as an (n, 2) array.

    Inside a bucket each member pairs with up to `max_pairs` members before it, so a huge bucket
    costs linear, not quadratic, work; clusters that big are reached through many buckets anyway.
    """
    found = []
    n = np.int64(positions.max() + 1 if len(positions) else 1)
    for keys in band_columns:
        order = np.argsort(keys, kind="stable")
        k, p = keys[order], positions[order]
        for d in range(1, max_pairs + 1):
            same = k[d:] == k[:-d]
            if not same.any():
                break
            found.append(p[:-d][same] * n + p[d:][same])
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    codes = np.unique(np.concatenate(found))
    return np.stack([codes // n, codes % n], axis=1)


def jaccard(pairs: np.ndarray, sets_for: SetsFor, batch: int = 1 << 21) -> np.ndarray:
    """Exact Jaccard of the shingle sets of each pair, in batches of bounded size."""
    out = np.zeros(len(pairs), dtype=np.float64)
    if len(pairs) == 0:
        return out
    rows = np.unique(pairs)
    flat, offsets = sets_for(rows)
    sizes = np.diff(offsets)
    a = np.searchsorted(rows, pairs[:, 0])
    b = np.searchsorted(rows, pairs[:, 1])
    cost = np.cumsum(sizes[a] + sizes[b])
    cuts = np.unique(np.searchsorted(cost, np.arange(batch, cost[-1], batch)))
    for start, stop in zip(np.concatenate([[0], cuts]), np.concatenate([cuts, [len(pairs)]]), strict=True):
        if stop > start:
            out[start:stop] = _jaccard_batch(a[start:stop], b[start:stop], flat, offsets, sizes)
    return out


def _jaccard_batch(a: np.ndarray, b: np.ndarray, flat: np.ndarray, offsets: np.ndarray, sizes: np.ndarray):
    which = np.concatenate([a, b])
    lengths = sizes[which]
    pair = np.repeat(np.concatenate([np.arange(len(a)), np.arange(len(a))]), lengths)
    starts = np.repeat(offsets[which] - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    values = flat[starts + np.arange(lengths.sum())]
    order = np.lexsort((values, pair))
    v, p = values[order], pair[order]
    both = (p[1:] == p[:-1]) & (v[1:] == v[:-1])
    inter = np.bincount(p[1:][both], minlength=len(a)).astype(np.float64)
    union = sizes[a] + sizes[b] - inter
    return np.divide(inter, union, out=np.zeros(len(a)), where=union > 0)


def assign(pairs: np.ndarray, similarity: np.ndarray, threshold: float, dropped: np.ndarray):
    """Keep-first near-duplicate decisions from confirmed pairs.

    A paragraph is a near duplicate when it reaches `threshold` with an earlier paragraph that is
    itself kept; it names the earliest such one. Walking in order makes "kept" well defined, and
    no paragraph is dropped for resembling something that is not in the output.
    Returns (later positions, the earlier position each duplicates, similarity).
    """
    good = similarity >= threshold
    pairs, similarity = pairs[good], similarity[good]
    order = np.lexsort((pairs[:, 0], pairs[:, 1]))
    gone = set(np.flatnonzero(dropped).tolist())
    out_later, out_earlier, out_sim = [], [], []
    last = -1
    for (earlier, later), sim in zip(pairs[order].tolist(), similarity[order].tolist(), strict=True):
        if later == last or earlier in gone:
            continue
        last = later
        gone.add(later)
        out_later.append(later)
        out_earlier.append(earlier)
        out_sim.append(sim)
    return np.array(out_later, dtype=np.int64), np.array(out_earlier, dtype=np.int64), np.array(out_sim)
