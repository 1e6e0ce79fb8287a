"""Per-paragraph dedup features computed where the text is (in a worker), so only keys travel."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..config import DedupConfig
from . import boilerplate
from .keys import hash_strings, key_texts, word_hashes
from .minhash import MinHasher, shingles


def band_column(band: int) -> str:
    return f"band_{band:03d}"


def feature_schema(config: DedupConfig) -> pa.Schema:
    fields = [
        pa.field("key", pa.uint64(), nullable=False),
        pa.field("nwords", pa.int32(), nullable=False),
        pa.field("pattern", pa.bool_(), nullable=False),
    ]
    if config.near:
        fields.append(pa.field("shingles", pa.large_list(pa.uint64())))
        fields += [pa.field(band_column(b), pa.uint64(), nullable=False) for b in range(config.lsh[0])]
    return pa.schema(fields)


def paragraph_features(texts: pa.Array, config: DedupConfig) -> dict[str, pa.Array]:
    """Exact key, word count, pattern flag and, for near dedup, shingle set and band keys."""
    keys = key_texts(texts)
    words, offsets = word_hashes(keys)
    out: dict[str, pa.Array] = {
        "key": pa.array(hash_strings(keys), pa.uint64()),
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
    out["shingles"] = _shingle_sets(hashes, counts, eligible, len(texts))
    return out


def _shingle_sets(hashes: np.ndarray, counts: np.ndarray, eligible: np.ndarray, n: int) -> pa.Array:
    """Sorted distinct shingle hashes per paragraph (empty lists for paragraphs too short)."""
    owner = np.repeat(np.arange(len(counts)), counts)
    order = np.lexsort((hashes, owner))
    h, o = hashes[order], owner[order]
    distinct = np.concatenate([[True], (h[1:] != h[:-1]) | (o[1:] != o[:-1])]) if len(h) else np.zeros(0, bool)
    h, o = h[distinct], o[distinct]
    per_paragraph = np.zeros(n, dtype=np.int64)
    per_paragraph[eligible] = np.bincount(o, minlength=len(counts))
    offsets = np.concatenate([[0], np.cumsum(per_paragraph)])
    return pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), pa.array(h, pa.uint64()))
