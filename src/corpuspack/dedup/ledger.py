"""The ledger: one decision per paragraph (kept, or why not and duplicate of which), from key columns only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from . import boilerplate, near
from .grouping import first_of_groups, position_dtype
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
DIGEST_BLOCK = 1 << 20  # paragraphs hashed at a time by `_document_digests`


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
    key: np.ndarray  # uint64 exact key
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

    def exact(self, cols: KeyColumns, min_docs: int) -> Exact:
        """Boilerplate by recurrence and the first copy of every key (`exact_groups`)."""
        ...

    def candidate_pairs(self, pool: np.ndarray, max_pairs: int) -> np.ndarray:
        """(earlier, later) positions sharing a band key, among the `pool` positions (`near.candidate_pairs`)."""
        ...

    def jaccard(self, pairs: np.ndarray) -> np.ndarray:
        """Exact shingle-set Jaccard of each pair of positions (`near.jaccard`)."""
        ...


@dataclass
class Exact:
    """The group-by on the exact key: per paragraph, whether its key recurs in `min_docs` documents,
    and among the paragraphs that are not boilerplate the first position with its key, and with its
    key in its document (its own position for boilerplate)."""

    recurring: np.ndarray
    first: np.ndarray
    doc_first: np.ndarray


def exact_groups(cols: KeyColumns, min_docs: int, part_bits: int = 4) -> Exact:
    """`Exact` over the whole corpus in this process, as numpy group-bys on 2^part_bits partitions
    by the key's top bits: a partition holds whole groups, and the sorts' scratch memory (about 50
    bytes a paragraph) is a partition's, not the corpus's."""
    n = len(cols.key)
    dtype = position_dtype(n)
    exact = Exact(np.zeros(n, dtype=bool), np.arange(n, dtype=dtype), np.arange(n, dtype=dtype))
    part = (cols.key >> np.uint64(64 - part_bits)).astype(np.uint8) if part_bits else np.zeros(n, np.uint8)
    for p in range(1 << part_bits):
        at = np.flatnonzero(part == p)
        found = exact_groups_at(cols.key[at], cols.doc[at], cols.pattern[at], at, min_docs, *cols.furniture_inputs(at))
        exact.recurring[at], exact.first[at], exact.doc_first[at] = found.recurring, found.first, found.doc_first
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
    cols: KeyColumns, config: DedupConfig, ops: DedupOps, advance: Callable[[int], None] = lambda n: None
) -> Ledger:
    """Boilerplate, then duplicate documents, then exact, then near duplicates; first in order is kept.

    The first copy of a key that is not boilerplate is never in a duplicate document (that
    document's original holds the same paragraph earlier), so `Exact` needs no second pass.
    """
    n = len(cols.key)
    dtype = position_dtype(n)  # int32 below 2^31 paragraphs: half the memory of every column of positions
    reason = np.zeros(n, dtype=np.int8)
    dup = np.full(n, -1, dtype=dtype)
    later, sim = np.zeros(0, dtype=np.int64), np.zeros(0)

    if config.rules >= 2:
        cols.doc_canon = canonical_documents(cols)
    exact = ops.exact(cols, config.boilerplate_min_docs)
    advance(1)
    boiler = cols.pattern | exact.recurring
    reason[boiler] = BOILERPLATE

    _duplicate_documents(cols, boiler, reason, dup)

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
        boiler_pos = np.flatnonzero(reason == BOILERPLATE)
        boiler_first = boiler_pos[first_of_groups(cols.key[boiler_pos], boiler_pos) == boiler_pos]
        in_pool = reason == 0
        in_pool[boiler_first] = True
        pool = np.flatnonzero(cols.eligible & in_pool).astype(dtype)
        del in_pool, boiler_pos, boiler_first
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
    # A cluster: every copy and near duplicate of one first paragraph; its id is that paragraph's key.
    clustered = np.flatnonzero(np.bincount(group, minlength=n)[group] > 1)
    cluster = np.full(n, -1, dtype=np.int64)
    cluster[clustered] = (cols.key[group[clustered]] & np.uint64(0x7FFFFFFFFFFFFFFF)).astype(np.int64)
    advance(1)
    return Ledger(reason, dup, cluster, later, sim)


def _pair_key(key: np.ndarray, doc: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return fmix64(key ^ fmix64(doc.astype(np.uint64) + np.uint64(1)))


def canonical_documents(cols: KeyColumns) -> np.ndarray:
    """Each document's first copy, by rank: documents whose paragraphs that match no pattern are
    equal, in order, are copies (so a story scraped 11 times from one site counts once)."""
    ndocs = int(cols.doc.max()) + 1 if len(cols.doc) else 0
    canon = np.arange(ndocs, dtype=np.int64)
    content, begin, first_doc, _ = _document_digests(cols, cols.pattern)
    if len(content):
        ranks = cols.doc[content[begin]]
        canon[ranks] = ranks[first_doc]
    return canon


def _document_digests(
    cols: KeyColumns, boiler: np.ndarray, block: int = DIGEST_BLOCK
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Over the paragraphs that are not `boiler`: their positions, where each document's run
    begins, the first document (by run) with the same paragraphs in order, and the runs' lengths."""
    content = np.flatnonzero(~boiler).astype(position_dtype(len(boiler)))
    if len(content) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return content, empty, empty, empty
    docs = cols.doc[content]
    begin = np.flatnonzero(np.concatenate([[True], docs[1:] != docs[:-1]]))
    del docs
    # Each paragraph's key mixed with its rank in its document's run, a block at a time: the
    # hashing's temporary arrays are a block's, not one per paragraph of the corpus each.
    mixed = np.empty(len(content), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for lo in range(0, len(content), block):
            at = np.arange(lo, min(lo + block, len(content)))
            rank = at - begin[np.searchsorted(begin, at, side="right") - 1]
            mixed[at] = fmix64(cols.key[content[at]] ^ fmix64(rank.astype(np.uint64) + np.uint64(0x51ED)))
        digest = np.add.reduceat(mixed, begin)
        del mixed
        counts = np.diff(np.concatenate([begin, [len(content)]])).astype(np.uint64)
        digest = fmix64(digest ^ fmix64(counts))
    return content, begin, first_of_groups(digest, np.arange(len(begin))), counts.astype(np.int64)


def _duplicate_documents(cols: KeyColumns, boiler: np.ndarray, reason: np.ndarray, dup: np.ndarray) -> None:
    """A document whose non-boilerplate paragraphs equal, in order, an earlier document's is a duplicate."""
    content, begin, first_doc, sizes = _document_digests(cols, boiler)
    if len(content) == 0:
        return
    copies = np.flatnonzero(first_doc != np.arange(len(begin)))
    # Every copy's paragraphs at once (a loop over copies was the driver's one serial loop here):
    # the i-th of a copy names the i-th of its original (equal digests: equal counts).
    lengths = sizes[copies]
    within = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    mine = content[np.repeat(begin[copies], lengths) + within]
    theirs = content[np.repeat(begin[first_doc[copies]], lengths) + within]
    reason[mine] = DUPLICATE_DOCUMENT
    dup[mine] = theirs
