"""Positions, rows and ranks are int32 up to 2^31 - 1 paragraphs and int64 beyond
(`grouping.position_dtype`): the decisions are the same whichever type the columns come in, and
codes and labels made from int32 positions near the limit do not overflow."""

from __future__ import annotations

import numpy as np
import pytest

from corpuspack.config import DedupConfig
from corpuspack.dedup import near
from corpuspack.dedup.copies import document_copies
from corpuspack.dedup.grouping import INT32_LIMIT, document_digests, position_dtype
from corpuspack.dedup.ledger import DedupOps, Exact, KeyColumns, decide, exact_groups


def test_int32_up_to_the_limit_and_int64_past_it():
    assert position_dtype(0) == np.int32
    assert position_dtype(INT32_LIMIT) == np.int32
    assert position_dtype(INT32_LIMIT + 1) == np.int64
    assert position_dtype(1 << 40) == np.int64
    # every position, the count itself and -1 fit the type chosen
    assert np.iinfo(position_dtype(INT32_LIMIT)).max == INT32_LIMIT


class BandOps(DedupOps):
    """Exact groups and LSH candidates for real (one band: the key's low bits), Jaccard from a table."""

    def __init__(self, bands: np.ndarray) -> None:
        self.bands = bands

    def exact(self, cols: KeyColumns, min_docs: int) -> Exact:
        return exact_groups(cols, min_docs)

    def candidate_pairs(self, pool: np.ndarray, max_pairs: int) -> np.ndarray:
        return near.candidate_pairs([self.bands[pool]], pool, max_pairs)

    def jaccard(self, pairs: np.ndarray) -> np.ndarray:
        return np.where((pairs[:, 0] + pairs[:, 1]) % 3 == 0, 0.5, 0.9)


@pytest.mark.parametrize("rules", [1, 2])
def test_decisions_do_not_depend_on_the_type_of_document_ranks(rules):
    rng = np.random.default_rng(7)
    n = 4_000
    doc = np.sort(rng.integers(0, 400, n))
    key = rng.integers(0, 600, n).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    pattern = rng.random(n) < 0.02
    eligible = rng.random(n) < 0.8
    bands = rng.integers(0, 900, n).astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)  # spread like hashes
    config = DedupConfig(rules=rules, boilerplate_min_docs=5)
    ledgers = []
    for dtype in (np.int64, np.int32):
        cols = KeyColumns(doc.astype(dtype), key.copy(), pattern.copy(), eligible.copy())
        if rules >= 2:
            cols.doc_source = (np.arange(400) % 7).astype(np.int64)
        ledgers.append(decide(cols, config, BandOps(bands)))
    wide, narrow = ledgers
    assert narrow.duplicate_of.dtype == np.int32  # 4,000 paragraphs: int32 positions
    for name in ("reason", "duplicate_of", "cluster", "near", "near_similarity"):
        assert np.array_equal(getattr(wide, name), getattr(narrow, name)), name
    assert (wide.reason > 0).sum() > n // 4 and len(wide.near) > 0  # every rule had work to do


def test_candidate_codes_of_int32_positions_near_the_limit():
    positions = np.array([INT32_LIMIT - 9, INT32_LIMIT - 5, INT32_LIMIT - 2, INT32_LIMIT - 1], dtype=np.int32)
    band = np.array([7, 3, 7, 7], dtype=np.uint64) << np.uint64(40)
    pairs = near.candidate_pairs([band], positions, max_pairs=8)
    expected = [[positions[0], positions[2]], [positions[0], positions[3]], [positions[2], positions[3]]]
    assert pairs.tolist() == np.array(expected, dtype=np.int64).tolist()
    wide = near.candidate_pairs([band], positions.astype(np.int64), max_pairs=8)
    assert np.array_equal(pairs, wide)


def test_components_label_in_the_position_type():
    pairs = np.array([[0, 3], [3, 5], [1, 2]], dtype=np.int64)
    label = near.components(pairs, 7)
    assert label.dtype == position_dtype(7)
    assert label.tolist() == [0, 1, 1, 0, 4, 0, 6]


def test_document_digests_do_not_depend_on_the_block_hashed_at_a_time():
    doc = np.repeat(np.arange(300, dtype=np.int32), 10)
    index = np.tile(np.arange(10), 300)
    key = ((doc % 120) * 100 + index).astype(np.uint64)  # documents 120 and over: copies of earlier ones
    cols = KeyColumns(doc, key, np.zeros(len(doc), bool), np.ones(len(doc), bool))
    boiler = index == 0
    content = np.flatnonzero(~boiler)
    whole = document_digests(doc, key, content)
    assert all(np.array_equal(a, b) for a, b in zip(whole, document_digests(doc[content], key[content]), strict=True))
    for block in (1, 7, 1000):
        parts = document_digests(doc, key, content, block)
        assert all(np.array_equal(a, b) for a, b in zip(whole, parts, strict=True)), block
    copy, original = document_copies(cols, boiler)
    assert copy.tolist() == list(range(120, 300)) and original.tolist() == [d % 120 for d in range(120, 300)]
