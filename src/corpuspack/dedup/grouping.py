"""Group-by helpers on numpy arrays: dedup is grouping, never a loop over a set."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .minhash import fmix64

INT32_LIMIT = 2**31 - 1
DIGEST_BLOCK = 1 << 20  # paragraphs hashed at a time by `document_digests`
TOP_REPEATED = 10  # keys the manifest lists as the most repeated


def position_dtype(count: int) -> type[np.signedinteger]:
    """The integer type of positions, rows and ranks among `count` items, and of `count` itself
    (and -1, for none): int32 up to 2^31 - 1 items, int64 beyond. A column per paragraph of int32
    is half the memory of int64."""
    return np.int32 if count <= INT32_LIMIT else np.int64


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
    order = key_order(keys)
    sorted_keys = keys[order]
    starts = np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]])
    group = np.cumsum(starts) - 1
    firsts = positions[order][starts]
    out = np.empty_like(positions)
    out[order] = firsts[group]
    return out


def key_order(keys: np.ndarray, block: int = DIGEST_BLOCK) -> np.ndarray:
    """`np.argsort(keys, kind="stable")` for uint64 keys, by a plain sort of integers (10x faster).

    Each key's top bits are packed with the element's index in the low bits and sorted: equal keys
    come out together in index order. Two different keys sharing their top bits would interleave;
    the few blocks where that happens are sorted again by whole key, stably. Beside `keys`, one
    array of their length (the result) and a `block`'s temporaries: a million documents' 12 M keys
    are 94 MB an array, and this runs at the dedup stage's peak.
    """
    if keys.dtype != np.uint64:
        return np.argsort(keys, kind="stable")
    n = len(keys)
    low = np.uint64((1 << max((n - 1).bit_length(), 1)) - 1)
    packed = keys & ~low
    for lo in range(0, n, block):
        packed[lo : lo + block] |= np.arange(lo, min(lo + block, n), dtype=np.uint64)
    packed.sort()
    # Neighbours sharing top bits but not keys, a block at a time (each block overlaps the next by one).
    tops = []
    for lo in range(0, max(n - 1, 0), block):
        part = packed[lo : lo + block + 1]
        high = part & ~low
        ordered = keys[(part & low).view(np.int64)]
        tops.append(high[1:][(high[1:] == high[:-1]) & (ordered[1:] != ordered[:-1])])
    clashed = np.unique(np.concatenate(tops)) if tops else np.zeros(0, dtype=np.uint64)
    # Each clashing top's run of `packed` (sorted, so the top bits too), found before they go.
    starts = np.searchsorted(packed, clashed, side="left")
    ends = np.searchsorted(packed, clashed | low, side="right")
    packed &= low
    order = packed.view(np.int64)
    for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
        run = order[lo:hi].copy()
        order[lo:hi] = run[np.argsort(keys[run], kind="stable")]
    return order


def distinct_count(keys: np.ndarray, members: np.ndarray) -> np.ndarray:
    """For each element, how many distinct `members` share its key."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    order = key_order(keys)  # stable: members in ascending order stay so inside each key
    k, m = keys[order], members[order]
    new_key = np.concatenate([[True], k[1:] != k[:-1]])
    group = np.cumsum(new_key) - 1
    if not bool(np.all(members[1:] >= members[:-1])):
        if m.min() >= 0 and m.max() < 1 << 32 and group[-1] < 1 << 32:
            # Each (key group, member) as one integer: a plain sort (a lexsort of the two is 4x slower).
            packed = (group.astype(np.uint64) << np.uint64(32)) | m.astype(np.uint64)
            packed.sort()
            m = (packed & np.uint64(0xFFFFFFFF)).astype(np.int64)
        else:
            m = m[np.lexsort((m, group))]  # members sorted inside each key (groups ascending already)
    new_pair = new_key | np.concatenate([[True], m[1:] != m[:-1]])
    per_group = np.bincount(group, weights=new_pair).astype(np.int64)
    out = np.empty(len(keys), dtype=np.int64)
    out[order] = per_group[group]
    return out


def combine_keys(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One uint64 key per (a, b) pair, for grouping on two columns at once."""
    from .minhash import fmix64

    with np.errstate(over="ignore"):
        return fmix64(a.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) ^ b.astype(np.uint64))


def document_digests(
    doc: np.ndarray, key: np.ndarray, at: np.ndarray | None = None, block: int = DIGEST_BLOCK
) -> tuple[np.ndarray, np.ndarray]:
    """(document, digest of its paragraphs in order) of each run of `doc[at]` (paragraphs' document
    ranks, each document's paragraphs consecutive and in order; `key`: their exact keys; `at`:
    the paragraphs taken, all by default)."""
    docs = doc if at is None else doc[at]
    n = len(docs)
    if n == 0:
        return docs, np.zeros(0, dtype=np.uint64)
    begin = np.flatnonzero(np.concatenate([[True], docs[1:] != docs[:-1]]))
    ranks = docs[begin]
    del docs
    # Each paragraph's key mixed with its rank in its document's run, a block at a time: the
    # hashing's temporary arrays are a block's, not one per paragraph of the corpus each.
    mixed = np.empty(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for lo in range(0, n, block):
            span = np.arange(lo, min(lo + block, n))
            rank = span - begin[np.searchsorted(begin, span, side="right") - 1]
            keys = key[span] if at is None else key[at[span]]
            mixed[span] = fmix64(keys ^ fmix64(rank.astype(np.uint64) + np.uint64(0x51ED)))
        digest = np.add.reduceat(mixed, begin)
        del mixed
        counts = np.diff(np.concatenate([begin, [n]])).astype(np.uint64)
        digest = fmix64(digest ^ fmix64(counts))
    return ranks, digest


def most_repeated_keys(
    keys: np.ndarray, positions: np.ndarray | None = None, top: int = TOP_REPEATED
) -> tuple[np.ndarray, np.ndarray]:
    """(first position, count) of the `top` exact keys that recur most (ties: the earlier first);
    `keys` at ascending `positions` (0, 1, ... by default), every paragraph of their keys among them."""
    first, counts = key_groups(keys)
    return top_repeated(first if positions is None else positions[first], counts, top)


def top_repeated(first: np.ndarray, counts: np.ndarray, top: int = TOP_REPEATED) -> tuple[np.ndarray, np.ndarray]:
    """Of keys' (first position, count), the `top` that recur most (ties: the earlier first): also
    the top of the whole corpus from its key partitions' tops (a key lies in one partition)."""
    repeated = np.flatnonzero(counts > 1)  # the few keys that recur: no sort of every key's figures
    best = repeated[np.lexsort((first[repeated], -counts[repeated]))[:top]]
    return first[best], counts[best]


def key_groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first position, count) of each distinct key."""
    order = key_order(keys)
    ordered = keys[order]
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]])) if len(keys) else order
    return order[starts], np.diff(np.append(starts, len(keys)))


def cluster_key(keys: np.ndarray) -> np.ndarray:
    """The cluster id a group whose representative has each of `keys` takes: the key's 63 low bits."""
    return (keys & np.uint64(0x7FFFFFFFFFFFFFFF)).astype(np.int64)


def cluster_ids(
    group: np.ndarray,
    key: np.ndarray | Callable[[np.ndarray], np.ndarray],
    alone: np.ndarray | None = None,
    block: int = 1 << 20,
) -> np.ndarray:
    """A cluster: every copy and near duplicate of one first paragraph (`group`: its position); its
    id is that paragraph's key (63 bits, `key`: the keys, or the keys at given positions), -1 when
    alone, unless `alone` (a mask of positions) says a paragraph alone has an id too: its own key.
    A group holds its first (group[g] == g), so it has others when some x != g names it: found by
    blocks, no other array of the corpus's length; keys are looked up for the firsts only (and the
    `alone` ones)."""
    keys_at = key.__getitem__ if isinstance(key, np.ndarray) else key
    n = len(group)
    spans = [(lo, min(lo + block, n)) for lo in range(0, n, block)]
    found = [lo + np.flatnonzero(group[lo:hi] != np.arange(lo, hi)) for lo, hi in spans]
    others = np.concatenate([np.zeros(0, dtype=np.int64), *found])
    heads = distinct(group[others])
    if np.any(group[heads] != heads):  # not groups of first paragraphs: count every group's members
        size = np.bincount(group, minlength=n)
        cluster = np.where(size[group] > 1, cluster_key(keys_at(group)), -1)
    else:
        cluster = np.full(n, -1, dtype=np.int64)
        ids = cluster_key(keys_at(heads))
        cluster[heads] = ids
        cluster[others] = ids[np.searchsorted(heads, group[others])]
    if alone is not None:  # most paragraphs: their positions as narrow as they go, their keys made ids in place
        dtype = position_dtype(n)
        single = [(lo + np.flatnonzero(alone[lo:hi] & (cluster[lo:hi] < 0))).astype(dtype) for lo, hi in spans]
        single = np.concatenate([np.zeros(0, dtype=dtype), *single])
        ids = np.array(keys_at(single), dtype=np.uint64, copy=None)
        ids = ids if ids.flags.writeable else ids.copy()
        ids &= np.uint64(0x7FFFFFFFFFFFFFFF)  # `cluster_key`
        cluster[single] = ids.view(np.int64)
    return cluster
