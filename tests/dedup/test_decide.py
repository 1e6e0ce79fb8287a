"""`ledger.decide` is a pure function of key columns: table-driven cases, one per rule, under both
rule versions. Near-duplicate pairs and their similarities are given by the table (the engines'
LSH and Jaccard are tested on real text elsewhere)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from corpuspack.config import DedupConfig
from corpuspack.dedup import near
from corpuspack.dedup.grouping import most_repeated_keys
from corpuspack.dedup.ledger import REASONS, DedupOps, Exact, KeyColumns, cluster_ids, decide, exact_groups


@dataclass
class TableOps(DedupOps):
    """Exact groups computed for real; candidate pairs and similarities from the case's table."""

    similar: dict[tuple[int, int], float] = field(default_factory=dict)
    missed: set[tuple[int, int]] = field(default_factory=set)  # similar pairs the LSH does not propose

    def exact(self, cols: KeyColumns, min_docs: int) -> Exact:
        return exact_groups(cols, min_docs)

    def candidate_pairs(self, pool: np.ndarray, max_pairs: int) -> np.ndarray:
        pairs = [p for p in self.similar if p[0] in pool and p[1] in pool and p not in self.missed]
        return np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)

    def jaccard(self, pairs: np.ndarray) -> np.ndarray:
        return np.array([self.similar.get((int(a), int(b)), 0.0) for a, b in pairs], dtype=np.float64)


def decided(rows: list[tuple], rules: int, similar: dict | None = None, missed: frozenset = frozenset()) -> list:
    """rows: (doc rank, key, words, source[, pattern]) in global order -> (reason, duplicate_of)."""
    doc = np.array([r[0] for r in rows], dtype=np.int64)
    key = np.array([r[1] for r in rows], dtype=np.uint64)
    words = np.array([r[2] for r in rows])
    pattern = np.array([r[4] if len(r) > 4 else False for r in rows])
    config = DedupConfig(rules=rules, boilerplate_min_docs=3)
    cols = KeyColumns(doc, key, pattern, words >= config.min_words)
    if rules >= 2:
        sources = {}
        for d, *_, source in ((r[0], r[3]) for r in rows):
            sources[d] = source
        cols.doc_source = np.array([sources[d] for d in range(int(doc.max()) + 1)], dtype=np.int64)
    ledger = decide(cols, config, TableOps(similar or {}, set(missed)))
    return [(REASONS[r] or "kept", int(d)) for r, d in zip(ledger.reason, ledger.duplicate_of, strict=True)]


KEPT = ("kept", -1)
CASES = {
    # name: (rows, rules, similar, expected)
    "exact across documents keeps the first": (
        [(0, 11, 20, 0), (1, 11, 20, 1), (1, 12, 20, 1)], 2, None, [KEPT, ("exact", 0), KEPT],
    ),
    "exact within a document": (
        [(0, 11, 20, 0), (0, 11, 20, 0)], 2, None, [KEPT, ("exact_within_document", 0)],
    ),
    "a short repeat is an exact duplicate under rules 1": (
        [(0, 5, 3, 0), (0, 6, 20, 0), (1, 5, 3, 0), (1, 7, 20, 0)], 1, None,
        [KEPT, KEPT, ("exact", 0), KEPT],
    ),
    "a short repeat keeps its place under rules 2": (
        [(0, 5, 3, 0), (0, 6, 20, 0), (1, 5, 3, 0), (1, 7, 20, 0)], 2, None, [KEPT, KEPT, KEPT, KEPT],
    ),
    "one source's footer in 3 documents is furniture": (
        [(0, 1, 20, 0), (0, 9, 20, 0), (1, 2, 20, 0), (1, 9, 20, 0), (2, 3, 20, 0), (2, 9, 20, 0)], 2, None,
        [KEPT, ("boilerplate", -1), KEPT, ("boilerplate", -1), KEPT, ("boilerplate", -1)],
    ),
    "a story in 3 sources is content: one copy kept": (
        [(0, 1, 20, 0), (0, 9, 20, 0), (1, 2, 20, 1), (1, 9, 20, 1), (2, 3, 20, 2), (2, 9, 20, 2)], 2, None,
        [KEPT, KEPT, KEPT, ("exact", 1), KEPT, ("exact", 1)],
    ),
    "the same story in 3 sources was boilerplate under rules 1": (
        [(0, 1, 20, 0), (0, 9, 20, 0), (1, 2, 20, 1), (1, 9, 20, 1), (2, 3, 20, 2), (2, 9, 20, 2)], 1, None,
        [KEPT, ("boilerplate", -1), KEPT, ("boilerplate", -1), KEPT, ("boilerplate", -1)],
    ),
    "copies of one document count once toward furniture": (
        [(0, 8, 20, 0), (0, 9, 20, 0), (1, 8, 20, 0), (1, 9, 20, 0), (2, 8, 20, 0), (2, 9, 20, 0)], 2, None,
        [KEPT, KEPT, ("duplicate_document", 0), ("duplicate_document", 1), ("duplicate_document", 0),
         ("duplicate_document", 1)],
    ),
    "a pattern match is boilerplate wherever it is": (
        [(0, 1, 20, 0, True), (1, 2, 20, 1)], 2, None, [("boilerplate", -1), KEPT],
    ),
    "a near duplicate names the earlier paragraph": (
        [(0, 1, 20, 0), (1, 2, 20, 1)], 2, {(0, 1): 0.9}, [KEPT, ("near_duplicate", 0)],
    ),
    "below the threshold both are kept": (
        [(0, 1, 20, 0), (1, 2, 20, 1)], 2, {(0, 1): 0.7}, [KEPT, KEPT],
    ),
    "rules 2 repoints a near duplicate to a kept paragraph outside its candidates": (
        # 2 resembles only 1 among its candidates (1 is dropped as a near duplicate of 0); 0 and 2
        # are similar too but the LSH missed them: the repair finds 0 through the cluster.
        [(0, 1, 20, 0), (1, 2, 20, 1), (2, 3, 20, 2)], 2, ({(0, 1): 0.9, (1, 2): 0.9, (0, 2): 0.85}, {(0, 2)}),
        [KEPT, ("near_duplicate", 0), ("near_duplicate", 0)],
    ),
    "rules 1 names the dropped candidate": (
        [(0, 1, 20, 0), (1, 2, 20, 1), (2, 3, 20, 2)], 1, ({(0, 1): 0.9, (1, 2): 0.9, (0, 2): 0.85}, {(0, 2)}),
        [KEPT, ("near_duplicate", 0), ("near_duplicate", 1)],
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_decide(name: str):
    rows, rules, near, expected = CASES[name]
    similar, missed = near if isinstance(near, tuple) else (near, frozenset())
    assert decided(rows, rules, similar, missed) == expected


@pytest.mark.parametrize("seed", range(4))
def test_clusters_and_components_are_those_of_whole_corpus_counts(seed: int):
    """`cluster_ids` and `near.components` work over the paragraphs in groups and pairs only; they
    give what a count per position and label propagation over every position give."""
    rng = np.random.default_rng(seed)
    n = 5000
    pairs = np.sort(rng.integers(0, n, (300, 2)), axis=1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    label = np.arange(n)
    while True:  # the plain propagation over all n
        before = label.copy()
        low = np.minimum(label[pairs[:, 0]], label[pairs[:, 1]])
        np.minimum.at(label, pairs[:, 0], low)
        np.minimum.at(label, pairs[:, 1], low)
        label = label[label]
        if np.array_equal(label, before):
            break
    assert np.array_equal(near.components(pairs, n), label)
    key = rng.integers(0, 1 << 64, n, dtype=np.uint64)
    origin = np.where(rng.random(n) < 0.3, rng.integers(0, n, n), np.arange(n))
    origin = origin[origin]  # not always groups of first paragraphs: the fallback counts
    for group in (label, label[origin], origin):
        size = np.bincount(group, minlength=n)
        expected = np.where(size[group] > 1, (key[group] & np.uint64(2**63 - 1)).astype(np.int64), -1)
        assert np.array_equal(cluster_ids(group, key, block=700), expected)
        # Format 4: a paragraph alone that the mask names has its own key as its id.
        alone = rng.random(n) < 0.5
        own = np.where(alone, (key & np.uint64(2**63 - 1)).astype(np.int64), -1)
        assert np.array_equal(cluster_ids(group, key, alone, block=700), np.where(size[group] > 1, expected, own))


@pytest.mark.parametrize("seed", range(3))
def test_exact_groups_count_the_most_repeated_keys_of_the_whole_corpus(seed: int):
    """Counted partition by partition, the top keys are those of one count over every key."""
    rng = np.random.default_rng(seed)
    n = 20_000
    key = rng.integers(0, 2**64, n, dtype=np.uint64)
    repeats = rng.integers(0, n, n // 2)
    key[repeats] = key[rng.integers(0, 40, n // 2)]  # 40 keys repeated, in every partition
    doc = np.sort(rng.integers(0, 2000, n))
    cols = KeyColumns(doc, key, np.zeros(n, dtype=bool), np.ones(n, dtype=bool))
    first, counts = exact_groups(cols, 3).top
    want_first, want_counts = most_repeated_keys(key)
    assert len(first) == 10 and counts.min() > 1
    assert first.tolist() == want_first.tolist() and counts.tolist() == want_counts.tolist()
