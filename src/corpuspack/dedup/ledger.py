"""The ledger: one decision per paragraph (kept, or why not and duplicate of which), from key columns only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Protocol

import numpy as np

from . import boilerplate, near
from .copies import canonical_documents, content_of, document_copies
from .grouping import (
    cluster_ids,
    first_of_groups,
    most_repeated_keys,
    position_dtype,
    top_repeated,
)
from .minhash import fmix64
from .settings import DedupConfig

REASONS = (
    "",
    "boilerplate",
    "duplicate_document",
    "exact_within_document",
    "exact",
    "near_duplicate",
    # a document filter's (`signals.filters`): every paragraph of a filtered document
    "filtered:min_words",
    "filtered:max_dup_line_share",
    "filtered:languages",
)
BOILERPLATE, DUPLICATE_DOCUMENT, EXACT_WITHIN, EXACT, NEAR = range(1, 6)


@dataclass
class Ledger:
    """Decisions for paragraphs at positions 0..n-1 of the global order (doc id, paragraph index)."""

    reason: np.ndarray  # int8 index into REASONS; 0 = kept
    duplicate_of: np.ndarray  # position (`grouping.position_dtype`) of the paragraph this one duplicates, -1 for none
    cluster: np.ndarray  # int64 cluster id (the representative's key, 63 bits), -1 for none
    near: np.ndarray  # ascending positions of the near duplicates (a few percent: not a dense column)
    near_similarity: np.ndarray  # float64 Jaccard of each with the paragraph it names

    @property
    def kept(self) -> np.ndarray:
        return self.reason == 0

    def similarity(self, lo: int, hi: int) -> np.ndarray:
        """Similarity of positions lo..hi to the paragraph each duplicates: NaN unless near."""
        out = np.full(hi - lo, np.nan)
        a, b = np.searchsorted(self.near, [lo, hi])
        out[self.near[a:b] - lo] = self.near_similarity[a:b]
        return out

    def counts(self) -> dict[str, int]:
        tally = np.bincount(self.reason, minlength=len(REASONS))
        return {(REASONS[i] or "kept"): int(tally[i]) for i in range(len(REASONS))}


@dataclass
class KeyColumns:
    """What dedup needs per paragraph, already in global order."""

    doc: np.ndarray  # document ordinal (rank of the id), int32 or int64
    key: np.ndarray | None  # uint64 exact key; None where the engine keeps keys elsewhere (`DedupOps.keys_here`)
    pattern: np.ndarray  # bool, matched a boilerplate pattern
    eligible: np.ndarray  # bool, long enough for near-duplicate detection
    doc_source: np.ndarray | None = None  # rules 2: int64 code of each document's source, by rank
    doc_canon: np.ndarray | None = None  # rules 2: each document's first identical copy, by rank (`decide`)

    def furniture_inputs(self, at: np.ndarray | slice) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(source, canonical document) of the paragraphs at `at`, or Nones under rules 1."""
        if self.doc_source is None or self.doc_canon is None:
            return None, None
        doc = self.doc[at]
        return self.doc_source[doc], self.doc_canon[doc]


class DedupOps(Protocol):
    """The grouping work of dedup, done by an engine: in this process (numpy) or on a cluster."""

    keys_here = True  # `KeyColumns.key` is given; else the engine reads what it needs of the keys

    def exact(self, cols: KeyColumns, min_docs: int) -> Exact:
        """Boilerplate by recurrence and the first copy of every key (`exact_groups`)."""
        ...

    def candidate_pairs(self, pool: np.ndarray, max_pairs: int) -> np.ndarray:
        """(earlier, later) positions sharing a band key, among the `pool` positions (`near.candidate_pairs`)."""
        ...

    def jaccard(self, pairs: np.ndarray) -> np.ndarray:
        """Exact shingle-set Jaccard of each pair of positions (`near.jaccard`)."""
        ...

    def document_copies(self, cols: KeyColumns, boiler: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(copy, original) document ranks: each document whose paragraphs that are not `boiler`
        (None: `cols.pattern`) equal an earlier one's in order, and the first such (`document_copies`)."""
        return document_copies(cols, cols.pattern if boiler is None else boiler)

    def boilerplate_firsts(self, cols: KeyColumns, boiler: np.ndarray) -> np.ndarray:
        """Of the boilerplate's ascending positions (`cols.pattern` or recurring), the first of each key."""
        return boiler[first_of_groups(cols.key[boiler], boiler) == boiler]

    def keys_at(self, cols: KeyColumns, positions: np.ndarray) -> np.ndarray:
        """The exact keys of the paragraphs at `positions`."""
        return cols.key[positions]

    def most_repeated(self) -> tuple[np.ndarray, np.ndarray]:
        """`grouping.most_repeated_keys` of the corpus, counted by the last `exact`."""
        ...

    def release(self) -> None:
        """Let go of what `jaccard` keeps for a later call (`decide` is over)."""


@dataclass
class Exact:
    """The group-by on the exact key: per paragraph, whether its key recurs in `min_docs` documents,
    and among the paragraphs that are not boilerplate the first position with its key, and with its
    key in its document (its own position for boilerplate)."""

    recurring: np.ndarray
    first: np.ndarray
    doc_first: np.ndarray
    top: tuple[np.ndarray, np.ndarray] | None = None  # `grouping.most_repeated_keys`, where counted


def exact_groups(cols: KeyColumns, min_docs: int, part_bits: int = 4) -> Exact:
    """`Exact` over the whole corpus in this process, with the corpus's most repeated keys, as
    numpy group-bys on 2^part_bits partitions by the key's top bits: a partition holds whole groups,
    and the sorts' scratch memory (about 50 bytes a paragraph) is a partition's, not the corpus's.
    One thread: a second one, a partition each, left its malloc arena's memory resident for the
    rest of the stage, for little time saved."""
    n = len(cols.key)
    dtype = position_dtype(n)
    exact = Exact(np.zeros(n, dtype=bool), np.arange(n, dtype=dtype), np.arange(n, dtype=dtype))
    part = (cols.key >> np.uint64(64 - part_bits)).astype(np.uint8) if part_bits else np.zeros(n, np.uint8)
    firsts, counts = [], []
    for p in range(1 << part_bits):
        at = np.flatnonzero(part == p)
        key = cols.key[at]
        found = exact_groups_at(key, cols.doc[at], cols.pattern[at], at, min_docs, *cols.furniture_inputs(at))
        exact.recurring[at], exact.first[at], exact.doc_first[at] = found.recurring, found.first, found.doc_first
        first, count = most_repeated_keys(key, at)  # a key lies in one partition: its top holds theirs
        firsts.append(first)
        counts.append(count)
    exact.top = top_repeated(np.concatenate(firsts), np.concatenate(counts))
    return exact


def exact_groups_at(
    key: np.ndarray,
    doc: np.ndarray,
    pattern: np.ndarray,
    positions: np.ndarray,
    min_docs: int,
    source: np.ndarray | None = None,
    canon: np.ndarray | None = None,
) -> Exact:
    """`Exact` for paragraphs at ascending `positions` holding every paragraph of their keys (a
    partition of the corpus by key does); `first` and `doc_first` are positions."""
    if source is None or canon is None:
        recurring = boilerplate.recurring(key, doc, min_docs)
    else:
        recurring = boilerplate.furniture(key, source, canon, min_docs)
    content = np.flatnonzero(~(pattern | recurring))
    first = positions.copy()
    doc_first = positions.copy()
    first[content] = first_of_groups(key[content], positions[content])
    doc_first[content] = first_of_groups(_pair_key(key[content], doc[content]), positions[content])
    return Exact(recurring, first, doc_first)


def steps(config: DedupConfig) -> int:
    """How many times `decide` calls `advance` (for a progress bar)."""
    return 5 if config.near else 3


def decide(
    cols: KeyColumns,
    config: DedupConfig,
    ops: DedupOps,
    advance: Callable[[int], None] = lambda n: None,
    kept_clusters: bool = False,
) -> Ledger:
    """Boilerplate, then duplicate documents, then exact, then near duplicates; first in order is kept.
    `kept_clusters`: a kept paragraph with no copies has a cluster id too, its own key (format 4).

    The first copy of a key that is not boilerplate is never in a duplicate document (that
    document's original holds the same paragraph earlier), so `Exact` needs no second pass.
    """
    n = len(cols.doc)
    dtype = position_dtype(n)  # int32 below 2^31 paragraphs: half the memory of every column of positions
    reason = np.zeros(n, dtype=np.int8)
    dup = np.full(n, -1, dtype=dtype)
    later, sim = np.zeros(0, dtype=np.int64), np.zeros(0)

    if config.rules >= 2:
        cols.doc_canon = canonical_documents(cols, ops.document_copies(cols, None))
    exact = ops.exact(cols, config.boilerplate_min_docs)
    advance(1)
    boiler = cols.pattern | exact.recurring
    reason[boiler] = BOILERPLATE

    _duplicate_documents(cols, boiler, reason, dup, ops.document_copies(cols, boiler))

    # origin: the paragraph whose text each one is a copy of (itself when it is no copy).
    origin = np.arange(n, dtype=dtype)
    live = np.flatnonzero(reason == 0).astype(dtype)
    first, doc_first = exact.first[live], exact.doc_first[live]
    del exact  # 9 bytes a paragraph (17 past 2^31)
    origin[live] = first
    within = doc_first != live
    across = ~within & (first != live)
    if config.rules >= 2:  # short lines (a speaker line, "Default: 0.") keep their place in every document
        short = ~cols.eligible[live]
        within &= ~short
        across &= ~short
        origin[live[short]] = live[short]
    reason[live[within]] = EXACT_WITHIN
    dup[live[within]] = doc_first[within]
    reason[live[across]] = EXACT
    dup[live[across]] = first[across]
    del live, first, doc_first, within, across, boiler
    copied = np.flatnonzero(reason == DUPLICATE_DOCUMENT)
    origin[copied] = origin[dup[copied]]
    group = origin
    advance(1)

    if config.near:
        # Boilerplate stays in the pool so that a reworded notice is caught; exact copies do not
        # need to be there, their representative is.
        boiler_first = ops.boilerplate_firsts(cols, np.flatnonzero(reason == BOILERPLATE))
        in_pool = reason == 0
        in_pool[boiler_first] = True
        pool = np.flatnonzero(cols.eligible & in_pool).astype(dtype)
        del in_pool, boiler_first
        pairs = ops.candidate_pairs(pool, config.max_bucket_pairs)
        del pool
        advance(1)
        sims = ops.jaccard(pairs)
        advance(1)
        confirmed, later, earlier, sim = near.assign(pairs, sims, config.threshold, reason == 0)
        reason[later] = NEAR
        label = near.components(confirmed, n)
        if config.rules >= 2:  # rules 1 named a dropped paragraph when no candidate partner was kept
            near.repoint(later, earlier, sim, label, reason == 0, ops.jaccard, config.threshold)
        dup[later] = earlier
        group = label[origin]
        del label
    del origin  # (`group` itself without near duplicates)
    cluster = cluster_ids(group, partial(ops.keys_at, cols), reason == 0 if kept_clusters else None)
    advance(1)
    return Ledger(reason, dup, cluster, later, sim)


def _pair_key(key: np.ndarray, doc: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return fmix64(key ^ fmix64(doc.astype(np.uint64) + np.uint64(1)))


def _duplicate_documents(
    cols: KeyColumns, boiler: np.ndarray, reason: np.ndarray, dup: np.ndarray, copies: tuple[np.ndarray, np.ndarray]
) -> None:
    """A document whose non-boilerplate paragraphs equal, in order, an earlier document's is a
    duplicate (`copies`: `document_copies(cols, boiler)`)."""
    copy, original = copies
    # Every copy's paragraphs at once: the i-th of a copy names the i-th of its original (equal
    # digests: equal counts).
    mine = content_of(cols, boiler, copy)
    reason[mine] = DUPLICATE_DOCUMENT
    dup[mine] = content_of(cols, boiler, original)
