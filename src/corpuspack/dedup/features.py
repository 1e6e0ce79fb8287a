"""Per-paragraph dedup features computed where the text is (in a worker), so only keys travel."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from . import boilerplate
from .keys import exact_keys, key_words
from .minhash import MinHasher, shingles
from .settings import DedupConfig


def band_column(band: int) -> str:
    return f"band_{band:03d}"


def feature_schema(config: DedupConfig) -> pa.Schema:
    fields = [
        pa.field("key", pa.uint64(), nullable=False),
        pa.field("nwords", pa.int32(), nullable=False),
        pa.field("pattern", pa.bool_(), nullable=False),
    ]
    if config.near:
        fields += [pa.field(band_column(b), pa.uint64(), nullable=False) for b in range(config.lsh[0])]
    return pa.schema(fields)


def paragraph_words(
    texts: pa.Array, config: DedupConfig, strings: Sequence[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The hashes of the paragraphs' key-text words and each paragraph's first (`keys.word_hashes`);
    `strings`: the same paragraphs as Python strings, when at hand."""
    return key_words(texts, config.rules, strings)


def paragraph_features(
    paragraphs: list[str], texts: pa.Array, config: DedupConfig, words: tuple[np.ndarray, np.ndarray] | None = None
) -> dict[str, pa.Array]:
    """Exact key, word count, pattern flag and, for near dedup, band keys; `words`:
    `paragraph_words`, when already computed. Shingle sets are not kept: the few paragraphs that
    become candidate pairs have theirs made again from their text (`shingle_sets`), which costs far
    less than writing and reading back every paragraph's set."""
    words, offsets = words if words is not None else paragraph_words(texts, config)
    out: dict[str, pa.Array] = {
        "key": pa.array(exact_keys(words, offsets), pa.uint64()),
        "nwords": pa.array(np.diff(offsets).astype(np.int32)),
        "pattern": pa.array(boilerplate.matches(texts, boilerplate.pattern_matcher(config.boilerplate_patterns))),
    }
    if not config.near:
        return out
    bands, rows = config.lsh
    hasher = MinHasher(bands * rows, bands, rows, config.seed)
    hashes, eligible = shingles(words, offsets, config.shingle_size, config.min_words)
    counts = np.diff(offsets)[eligible] - config.shingle_size + 1
    band_keys = np.zeros((len(texts), bands), dtype=np.uint64)
    band_keys[eligible] = hasher.band_keys(hasher.signatures(hashes, counts))
    for b in range(bands):
        out[band_column(b)] = pa.array(band_keys[:, b])
    return out


def shingle_sets(texts: pa.Array, config: DedupConfig) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct shingle hashes of every paragraph, one after another; offsets per paragraph):
    the sets near-duplicate candidates are confirmed on, made from the paragraphs' texts exactly as
    their band keys were (the same words, shingles and hashes; none for a paragraph too short)."""
    words, offsets = paragraph_words(texts, config)
    hashes, eligible = shingles(words, offsets, config.shingle_size, config.min_words)
    counts = np.diff(offsets)[eligible] - config.shingle_size + 1
    return _shingle_sets(hashes, counts, eligible, len(texts))


def set_size_bounds(nwords: np.ndarray, config: DedupConfig) -> np.ndarray:
    """At most how many shingles each paragraph's set holds, from its word count."""
    size = config.shingle_size
    return np.where(nwords >= max(config.min_words, size), np.maximum(nwords.astype(np.int64) - size + 1, 0), 0)


def _shingle_sets(
    hashes: np.ndarray, counts: np.ndarray, eligible: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct shingle hashes per paragraph, one paragraph after another, and the offsets
    of each paragraph's (none for paragraphs too short).

    The top 32 bits of each hash: 32 bits make a false shared shingle between two paragraphs of
    100 shingles a 1-in-400,000 event, worth at most 1% of Jaccard, and halve what the
    confirmation step reads back. Each paragraph is sorted on its own, as a row of a matrix padded
    with the largest value (one sort of every row at once is many times faster than sorting the
    whole batch by paragraph and hash); a batch with a few very long paragraphs, which would make
    the matrix mostly padding, is sorted whole.
    """
    top = (hashes >> np.uint64(32)).astype(np.uint32)
    rows, width = len(counts), int(counts.max(initial=0))
    if rows * width <= 4 * len(top) + 4096:
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        owner = np.repeat(np.arange(rows, dtype=np.int64), counts)
        column = np.arange(len(top), dtype=np.int64) - starts[owner]
        matrix = np.full((rows, width), np.uint32(0xFFFFFFFF), dtype=np.uint32)
        matrix[owner, column] = top
        matrix.sort(axis=1)
        # The padding sorts last, so each row's first `count` values are its shingles, sorted.
        h = matrix[np.arange(width) < counts[:, None]]
        o = owner
    else:
        owner = np.repeat(np.arange(rows, dtype=np.uint64), counts)
        combined = np.sort((owner << np.uint64(32)) | top.astype(np.uint64))
        h = (combined & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        o = (combined >> np.uint64(32)).astype(np.int64)
    if len(h):
        first = np.concatenate([[True], (h[1:] != h[:-1]) | (o[1:] != o[:-1])])
        h, o = h[first], o[first]
    per_paragraph = np.zeros(n, dtype=np.int64)
    per_paragraph[eligible] = np.bincount(o, minlength=rows)
    return h, np.concatenate([[0], np.cumsum(per_paragraph)]).astype(np.int64)
