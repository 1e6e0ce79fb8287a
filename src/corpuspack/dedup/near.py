"""Near duplicates: LSH band keys give candidate pairs; exact shingle-set Jaccard confirms them."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable

import numpy as np

from .grouping import distinct, merge_distinct, position_dtype

SetsFor = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
SizesOf = Callable[[np.ndarray], np.ndarray]


def candidate_pairs(band_columns: Iterable[np.ndarray], positions: np.ndarray, max_pairs: int) -> np.ndarray:
    """Unique (earlier, later) position pairs sharing a band key in any band, as an (n, 2) array
    sorted by earlier, then later (`candidate_codes`)."""
    return pairs_of(candidate_codes(band_columns, positions, max_pairs), positions)


def pairs_of(codes: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The (earlier, later) pairs of `candidate_codes`."""
    n = _base(positions)
    return np.stack([codes // n, codes % n], axis=1)


def _base(positions: np.ndarray) -> np.int64:
    return np.int64(positions.max()) + 1 if len(positions) else np.int64(1)


def candidate_codes(band_columns: Iterable[np.ndarray], positions: np.ndarray, max_pairs: int) -> np.ndarray:
    """The pairs of positions sharing a band key in any band, as sorted distinct codes earlier * n
    + later (n: the largest position + 1): half the memory of pairs, and the codes of bands taken
    apart merge into those of all bands with `merge_distinct`.

    Inside a bucket each member pairs with up to `max_pairs` members before it, so a huge bucket
    costs linear, not quadratic, work; clusters that big are reached through many buckets anyway.
    Each band sorts the keys' top bits with each member's index in the low bits: a plain sort of
    integers, faster than an argsort of the keys, and the same order unless two different keys
    share their top 64 - log2(members) bits (then their members interleave by index, still compared
    on the whole key). Only members sharing their top bits with a neighbour are read on (most
    buckets hold one member): the runs of equal top bits stay whole and in order, so every
    distance inside a bucket is what it was.
    """
    codes = np.zeros(0, dtype=np.int64)  # merged band by band
    n = _base(positions)
    low = np.uint64((1 << max((len(positions) - 1).bit_length(), 1)) - 1)
    index = np.arange(len(positions), dtype=np.uint32 if len(positions) <= 1 << 32 else np.uint64)
    for keys in band_columns:
        packed = keys & ~low
        packed |= index
        packed.sort()
        high = packed & ~low
        shared = np.zeros(len(packed), dtype=bool)
        shared[1:] = high[1:] == high[:-1]
        del high
        shared[:-1] |= shared[1:].copy()
        order = (packed[shared] & low).view(np.int64)  # the members' indexes, in bucket order
        k = keys[order]
        del keys  # each array goes as soon as it is used: with a process per worker, peaks add up
        p = positions[order]
        del order, packed, shared
        found = []
        for d in range(1, max_pairs + 1):
            same = k[d:] == k[:-d]
            if not same.any():
                break
            found.append(p[:-d][same].astype(np.int64) * n + p[d:][same])
        if found:
            # Near duplicates share most bands: merged per band, the pairs stay ~bands times fewer.
            codes = merge_distinct(codes, distinct(np.concatenate(found)))
    return codes


def jaccard(
    pairs: np.ndarray, sets_for: SetsFor, sizes_of: SizesOf | None = None, fetch: int = 1 << 23, batch: int = 1 << 19
) -> np.ndarray:
    """Exact Jaccard of the shingle sets of each pair, in batches of bounded size.

    With `sizes_of` (set sizes by position, or bounds of them) the sets are fetched for about
    `fetch` values at a time, so memory does not grow with the number of pairs; without it, at once.
    """
    out = np.zeros(len(pairs), dtype=np.float64)
    if len(pairs) == 0:
        return out
    spans = [(0, len(pairs))] if sizes_of is None else _spans(sizes_of(pairs[:, 0]) + sizes_of(pairs[:, 1]), fetch)
    for lo, hi in spans:
        part = pairs[lo:hi]
        rows = distinct(part.ravel())
        flat, offsets = sets_for(rows)
        sizes = np.diff(offsets)
        a = np.searchsorted(rows, part[:, 0])
        b = np.searchsorted(rows, part[:, 1])
        for start, stop in _spans(sizes[a] + sizes[b], batch):
            out[lo + start : lo + stop] = _jaccard_batch(a[start:stop], b[start:stop], flat, offsets, sizes)
    return out


def _spans(cost: np.ndarray, budget: int) -> list[tuple[int, int]]:
    """Consecutive spans of items whose costs add up to about `budget` each."""
    total = np.cumsum(cost)
    cuts = np.unique(np.searchsorted(total, np.arange(budget, total[-1], budget))).tolist() if len(total) else []
    bounds = [0, *cuts, len(cost)]
    return [(lo, hi) for lo, hi in itertools.pairwise(bounds) if hi > lo]


def _jaccard_batch(a: np.ndarray, b: np.ndarray, flat: np.ndarray, offsets: np.ndarray, sizes: np.ndarray):
    which = np.concatenate([a, b])
    lengths = sizes[which]
    pair = np.repeat(np.concatenate([np.arange(len(a)), np.arange(len(a))]), lengths)
    starts = np.repeat(offsets[which] - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    # (pair << 32 | shingle), sorted: a shingle both sets hold is a repeat (a set holds each once).
    packed = (pair.astype(np.uint64) << np.uint64(32)) | flat[starts + np.arange(lengths.sum())].astype(np.uint64)
    packed.sort()
    repeats = packed[1:][packed[1:] == packed[:-1]]
    inter = np.bincount((repeats >> np.uint64(32)).astype(np.int64), minlength=len(a)).astype(np.float64)
    union = sizes[a] + sizes[b] - inter
    return np.divide(inter, union, out=np.zeros(len(a)), where=union > 0)


def assign(pairs: np.ndarray, similarity: np.ndarray, threshold: float, kept: np.ndarray):
    """Near-duplicate decisions from candidate pairs and their exact similarity.

    A kept paragraph is a near duplicate when it reaches `threshold` with an earlier paragraph. It
    names the earliest such paragraph still kept, or failing that the earliest such paragraph, so
    every flag points at a paragraph it truly resembles, preferably one in the output. `pairs` are
    (earlier, later) positions, earlier < later, as `candidate_pairs` gives them (the decisions are
    made for all at once on that order).
    Returns (confirmed pairs, later positions dropped (ascending), the earlier position each names,
    similarity).
    """
    good = similarity >= threshold
    pairs, similarity = pairs[good], similarity[good]
    order = np.lexsort((pairs[:, 0], pairs[:, 1]))
    pairs, similarity = pairs[order], similarity[order]
    if len(pairs) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return pairs, empty, empty, np.zeros(0, dtype=np.float64)
    # Decided later position by later position, earliest first, a kept paragraph that has earlier
    # matches is dropped; an earlier position is decided before any later one that names it. So
    # when a paragraph is decided, an earlier one is still kept exactly when it was kept and has no
    # earlier match of its own: every decision is known at once, with no loop over paragraphs.
    starts = np.flatnonzero(np.concatenate([[True], pairs[1:, 1] != pairs[:-1, 1]]))
    later = pairs[starts, 1]
    has_match = np.zeros(len(kept), dtype=bool)
    has_match[later] = True
    alive = (kept & ~has_match)[pairs[:, 0]]
    at = np.arange(len(pairs))
    first_alive = np.minimum.reduceat(np.where(alive, at, len(pairs)), starts)
    pick = np.where(first_alive < len(pairs), first_alive, starts)  # else the earliest match
    decided = kept[later]  # one dropped for another reason (boilerplate) stays as it is
    return (
        pairs,
        later[decided].astype(np.int64),
        pairs[pick[decided], 0].astype(np.int64),
        similarity[pick[decided]].astype(np.float64),
    )


def repoint(
    later: np.ndarray,
    earlier: np.ndarray,
    similarity: np.ndarray,
    label: np.ndarray,
    kept: np.ndarray,
    jaccard: Callable[[np.ndarray], np.ndarray],
    threshold: float,
    reach: int = 64,
) -> None:
    """Near duplicates whose named paragraph was itself dropped are pointed, in place, at the
    earliest kept paragraph of their cluster (`label`: components) that they reach `threshold`
    with, looking at up to `reach` kept members before them: in a large cluster the LSH buckets
    pair each member with only some of the others, so the kept one may not be among its candidates.
    `kept`: the final decision of every position."""
    todo = np.flatnonzero(~kept[earlier])
    if len(todo) == 0:
        return
    n = np.int64(len(label))
    members = np.flatnonzero(kept & (np.bincount(label, minlength=len(label))[label] > 1))
    keys = np.sort(label[members].astype(np.int64) * n + members)
    targets = later[todo]
    lo = np.searchsorted(keys, label[targets].astype(np.int64) * n)
    hi = np.minimum(np.searchsorted(keys, label[targets].astype(np.int64) * n + targets), lo + reach)
    counts = np.maximum(hi - lo, 0)
    if counts.sum() == 0:
        return
    owner = np.repeat(np.arange(len(todo)), counts)
    slot = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    candidates = keys[np.repeat(lo, counts) + slot] % n
    sims = jaccard(np.stack([candidates, targets[owner]], axis=1))
    good = np.flatnonzero(sims >= threshold)
    owners, first = np.unique(owner[good], return_index=True)  # pairs run earliest first per owner
    earlier[todo[owners]] = candidates[good[first]]
    similarity[todo[owners]] = sims[good[first]]


def components(pairs: np.ndarray, n: int) -> np.ndarray:
    """For each of n positions, the smallest position of its connected component over `pairs`
    (itself when it is in no pair). Label propagation with pointer jumping, all in numpy."""
    label = np.arange(n, dtype=position_dtype(n))
    if len(pairs) == 0:
        return label
    # Propagated over the positions in pairs only (a few percent of n), numbered in order: the
    # smallest number of a component is its smallest position.
    nodes = distinct(pairs.ravel())
    a, b = np.searchsorted(nodes, pairs[:, 0]), np.searchsorted(nodes, pairs[:, 1])
    local = np.arange(len(nodes), dtype=np.int64)
    while True:
        before = local.copy()
        low = np.minimum(local[a], local[b])
        np.minimum.at(local, a, low)
        np.minimum.at(local, b, low)
        local = local[local]
        if np.array_equal(local, before):
            label[nodes] = nodes[local]
            return label
