"""Each paragraph's shingle set (the sorted distinct top 32 bits of its shingle hashes), whichever
way the batch is sorted: row by row in a padded matrix, or whole when a long paragraph would make
the matrix mostly padding."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pyarrow as pa
import pytest

from corpuspack.dedup import near
from corpuspack.dedup.features import _shingle_sets, shingle_sets
from corpuspack.dedup.keys import key_text
from corpuspack.dedup.settings import DedupConfig


def as_lists(flat: np.ndarray, offsets: np.ndarray) -> list[list[int]]:
    return [flat[lo:hi].tolist() for lo, hi in pairwise(offsets.tolist())]


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
    got = as_lists(*_shingle_sets(hashes, counts, eligible, n))
    assert got == reference(hashes, counts, eligible, n)


def test_no_eligible_paragraph_gives_empty_sets():
    empty = np.zeros(0, dtype=np.int64)
    assert as_lists(*_shingle_sets(np.zeros(0, dtype=np.uint64), empty, empty, 3)) == [[], [], []]


@pytest.mark.parametrize("seed", range(5))
def test_sets_made_from_texts_give_the_word_5gram_jaccard_of_their_key_texts(seed: int):
    # Near duplicates are confirmed on sets made again from the spilled texts: their Jaccard must be
    # that of the paragraphs' key-text word 5-grams, counted here in plain Python.
    rng = np.random.default_rng(seed)
    vocabulary = ["Der", "Senat", "hat", "beschlossen,", "Radwege", "zu", "bauen.", "Öl", "été", "naïve", "42"]
    base = [" ".join(rng.choice(vocabulary, int(rng.integers(3, 40)))) for _ in range(20)]
    texts = base + [t.replace("zu", "ZU", 1) + " hat" for t in base]  # near copies of the first 20
    config = DedupConfig()
    flat, offsets = shingle_sets(pa.array(texts, pa.large_string()), config)
    pairs = np.array([(i, i + 20) for i in range(20)] + [(i, (i + 1) % 20) for i in range(20)])
    got = near.jaccard(pairs, lambda rows: _subset(flat, offsets, rows))

    def grams(text: str) -> set[tuple[str, ...]]:
        words = key_text(text).decode().split()
        if len(words) < max(config.min_words, config.shingle_size):
            return set()
        return {tuple(words[k : k + config.shingle_size]) for k in range(len(words) - config.shingle_size + 1)}

    for (a, b), similarity in zip(pairs.tolist(), got.tolist(), strict=True):
        sa, sb = grams(texts[a]), grams(texts[b])
        want = len(sa & sb) / len(sa | sb) if sa | sb else 0.0
        assert similarity == pytest.approx(want), (texts[a], texts[b])


def _subset(flat: np.ndarray, offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    parts = [flat[offsets[r] : offsets[r + 1]] for r in rows.tolist()]
    sizes = [len(p) for p in parts]
    return (np.concatenate(parts) if parts else flat[:0]), np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
