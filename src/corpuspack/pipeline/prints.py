"""Fingerprints of published shards: a digest of everything that decides a shard's bytes, cut from the
ledger and the spill's identities, never from the texts (reading them is what reusing a shard saves).

A paragraph is named by its chunk's key and its row in that chunk: the key is a digest of the chunk's
seed files, the settings and the software (`chunk.chunk_key`), so it fixes the text, the document and
its metadata. A shard's fingerprint adds what the dedup decided for its rows, the row groups it is
cut into, and the versions of the writers; equal fingerprints, equal bytes (`publish.kept`).
"""

from __future__ import annotations

import hashlib
import json
from itertools import pairwise

import numpy as np
import pyarrow as pa

from ..version import __version__
from .assemble import Assembly

# Bump when the bytes written for the same rows change (writer options, a column's making).
PRINT_FORMAT = 1


def shard_prints(assembly: Assembly, table: str, groups: list[list[int]], output_format: int) -> list[str]:
    """The fingerprint (sha256 hex) of each shard of `table`, cut into the row groups `groups`."""
    keys = np.frombuffer(b"".join(bytes.fromhex(k) for k in assembly.spill.keys), dtype=np.uint8).reshape(-1, 16)
    return [_print(assembly, table, cuts, output_format, keys) for cuts in groups]


def _print(assembly: Assembly, table: str, cuts: list[int], output_format: int, keys: np.ndarray) -> str:
    head = {
        "print": PRINT_FORMAT,
        "corpuspack": __version__,
        "pyarrow": pa.__version__,
        "table": table,
        "format": output_format,
        "groups": [hi - lo for lo, hi in pairwise(cuts)],
    }
    digest = hashlib.sha256(json.dumps(head, sort_keys=True).encode())
    lo, hi = cuts[0], cuts[-1]
    order, ledger = assembly.order, assembly.ledger
    if table == "documents":
        ranks = assembly.published[lo:hi]
        parts = [_names(assembly, order.rows[order.doc_start[ranks]], keys)]  # a document: its first paragraph
        if len(ranks):
            first, last = int(order.doc_start[ranks[0]]), int(order.doc_start[ranks[-1] + 1])
            parts += [ledger.kept[first:last], order.doc_start[ranks + 1] - order.doc_start[ranks]]
    else:
        dup = ledger.duplicate_of[lo:hi]
        safe = np.where(dup >= 0, dup, 0)
        dup_index = np.where(dup >= 0, safe - order.doc_start[order.doc_rank[safe]], -1) if len(dup) else dup
        parts = [
            _names(assembly, order.rows[lo:hi], keys),
            np.arange(lo, hi) - order.doc_start[order.doc_rank[lo:hi]],  # paragraph_index
            ledger.reason[lo:hi],
            np.where((dup >= 0)[:, None], _names(assembly, order.rows[safe], keys), 0),
            dup_index,
            ledger.similarity(lo, hi),
            ledger.cluster[lo:hi],
        ]
    for part in parts:
        digest.update(f"{part.dtype.str}{part.shape}".encode())
        digest.update(np.ascontiguousarray(part).tobytes())
    return digest.hexdigest()


def _names(assembly: Assembly, rows: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Each spill row as 24 bytes: its chunk's key (16) and its row in that chunk (8)."""
    if len(rows) == 0:
        return np.zeros((0, 24), dtype=np.uint8)
    chunk = assembly.spill.chunk_of(rows)
    starts = np.array([assembly.spill.chunk_start(c) for c in range(assembly.spill.chunks)], dtype=np.int64)
    local = (rows - starts[chunk]).astype("<i8").view(np.uint8).reshape(-1, 8)
    return np.concatenate([keys[chunk], local], axis=1)
