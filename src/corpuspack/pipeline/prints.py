"""Fingerprints of published shards: a digest of everything that decides a shard's bytes, cut from the
ledger and the spill's identities, never from the texts (reading them is what reusing a shard saves).

A paragraph is named by its chunk's content key and its row in that chunk: a digest of the chunk's
key (its files' paths, sizes and mtimes, the settings and the software: `chunk.chunk_key`) and its
files' sha256 (`stages.read.content_key`; a file rewritten with its size and mtime kept has the same
chunk key), so it fixes the text, the document and its metadata: a taken shard's texts are not
compared (`publish.writer`). A shard's fingerprint adds what the dedup decided for its rows, the row groups it is
cut into, and the versions of the writers; equal fingerprints, equal bytes (`publish.kept`).
"""

from __future__ import annotations

import hashlib
import json
from itertools import pairwise
from typing import NamedTuple

import numpy as np
import pyarrow as pa

from .. import formats
from ..version import __version__
from .assemble import Assembly

# Bump when the bytes written for the same rows change (writer options, a column's making); the
# schemas, with their metadata, are in the fingerprint already.
PRINT_FORMAT = 2  # 2: chunks named by content key


def shard_prints(assembly: Assembly, table: str, groups: list[list[int]], output_format: int) -> list[str]:
    """The fingerprint (sha256 hex) of each shard of `table`, cut into the row groups `groups`."""
    spill = assembly.spill
    keys = np.frombuffer(b"".join(bytes.fromhex(k) for k in spill.contents), dtype=np.uint8).reshape(-1, 16)
    chunks = _Chunks(keys, np.array([spill.chunk_start(c) for c in range(spill.chunks)], dtype=np.int64))
    return [_print(assembly, table, cuts, output_format, chunks) for cuts in groups]


class _Chunks(NamedTuple):
    """The spill's chunk keys (16 bytes a row) and each chunk's first spill row, made once per table."""

    keys: np.ndarray
    starts: np.ndarray


def _print(assembly: Assembly, table: str, cuts: list[int], output_format: int, chunks: _Chunks) -> str:
    head = {
        "print": PRINT_FORMAT,
        "corpuspack": __version__,
        "pyarrow": pa.__version__,
        "table": table,
        "format": output_format,
        "groups": [hi - lo for lo, hi in pairwise(cuts)],
        "schemas": _schemas(table, output_format),
    }
    digest = hashlib.sha256(json.dumps(head, sort_keys=True).encode())
    lo, hi = cuts[0], cuts[-1]
    order, ledger = assembly.order, assembly.ledger
    if table == "documents":
        ranks = assembly.published[lo:hi]
        parts = [_names(assembly, order.rows[order.doc_start[ranks]], chunks)]  # a document: its first paragraph
        if len(ranks):
            first, last = int(order.doc_start[ranks[0]]), int(order.doc_start[ranks[-1] + 1])
            parts += [ledger.kept[first:last], order.doc_start[ranks + 1] - order.doc_start[ranks]]
    else:
        dup = ledger.duplicate_of[lo:hi]
        safe = np.where(dup >= 0, dup, 0)
        dup_index = np.where(dup >= 0, safe - order.doc_start[order.doc_rank[safe]], -1) if len(dup) else dup
        parts = [
            _names(assembly, order.rows[lo:hi], chunks),
            np.arange(lo, hi) - order.doc_start[order.doc_rank[lo:hi]],  # paragraph_index
            ledger.reason[lo:hi],
            np.where((dup >= 0)[:, None], _names(assembly, order.rows[safe], chunks), 0),
            dup_index,
            ledger.similarity(lo, hi),
            ledger.cluster[lo:hi],
        ]
    for part in parts:
        digest.update(f"{part.dtype.str}{part.shape}".encode())
        digest.update(np.ascontiguousarray(part).tobytes())
    return digest.hexdigest()


def _schemas(table: str, output_format: int) -> str:
    """A digest of the schemas the table is written with (Parquet, and the rows the `arrow/` files
    hold), field metadata included: a column's description changed is other bytes for the same rows."""
    digest = hashlib.sha256(formats.parquet_schema(table, output_format).serialize().to_pybytes())
    digest.update(formats.tables(output_format)[table].serialize().to_pybytes())
    return digest.hexdigest()


def _names(assembly: Assembly, rows: np.ndarray, chunks: _Chunks) -> np.ndarray:
    """Each spill row as 24 bytes: its chunk's key (16) and its row in that chunk (8)."""
    if len(rows) == 0:
        return np.zeros((0, 24), dtype=np.uint8)
    chunk = assembly.spill.chunk_of(rows)
    local = (rows - chunks.starts[chunk]).astype("<i8").view(np.uint8).reshape(-1, 8)
    return np.concatenate([chunks.keys[chunk], local], axis=1)
