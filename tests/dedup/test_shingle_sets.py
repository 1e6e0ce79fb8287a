"""Each paragraph's shingle set (the sorted distinct top 32 bits of its shingle hashes), whichever
way the batch is sorted: row by row in a padded matrix, or whole when a long paragraph would make
the matrix mostly padding."""

from __future__ import annotations

import numpy as np
import pytest

from corpuspack.dedup.features import _shingle_sets


def reference(hashes: np.ndarray, counts: np.ndarray, eligible: np.ndarray, n: int) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in range(n)]
    start = 0
    for index, count in zip(eligible.tolist(), counts.tolist(), strict=True):
        out[index] = sorted({int(h) >> 32 for h in hashes[start : start + count]})
        start += count
    return out


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("long", [False, True])
def test_shingle_sets_equal_each_paragraphs_distinct_sorted_hashes(seed: int, long: bool):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    eligible = np.flatnonzero(rng.random(n) < 0.7)
    counts = rng.integers(1, 120, len(eligible))
    if long and len(counts):
        counts[0] = 5_000  # the matrix would be mostly padding: sorted whole
    # Few distinct values (repeats inside a paragraph) and the padding's own value among them.
    pool = rng.integers(0, 1 << 64, 40, dtype=np.uint64)
    pool[0] = np.uint64(0xFFFFFFFF_00000000) | np.uint64(seed)
    hashes = pool[rng.integers(0, len(pool), int(counts.sum()))]
    got = _shingle_sets(hashes, counts, eligible, n).to_pylist()
    assert got == reference(hashes, counts, eligible, n)


def test_no_eligible_paragraph_gives_empty_sets():
    empty = np.zeros(0, dtype=np.int64)
    assert _shingle_sets(np.zeros(0, dtype=np.uint64), empty, empty, 3).to_pylist() == [[], [], []]
