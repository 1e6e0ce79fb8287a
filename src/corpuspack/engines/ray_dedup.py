"""Dedup's group-bys on a Ray cluster (`RayEngine.dedup_ops`): workers read the key columns from the
spill, a task per chunk, and place each row in the global order from per-document figures
(`ray_positions.Documents`); the group-bys run as Ray Data shuffles, a partition per call."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import ray
import ray.data

from ..config import Config
from ..dedup import near
from ..dedup.features import band_column
from ..dedup.grouping import (
    distinct,
    document_digests,
    first_of_groups,
    most_repeated_keys,
    position_dtype,
    top_repeated,
)
from ..dedup.ledger import DedupOps, Exact, KeyColumns, exact_groups_at
from ..dedup.settings import DedupConfig
from ..pipeline import candidates
from ..pipeline.order import Order
from ..pipeline.spill import ParagraphFiles, Spill, inverse
from ..tuning import Tuning
from .ray_positions import Documents


class RayDedup(DedupOps):
    """Dedup's group-bys as Ray Data shuffles. Workers read the key columns from the spill, one
    task per chunk, with per-document figures to place each row in the global order (`Documents`).
    The exact keys stay there: the exact group-by's partitions also give the first boilerplate
    paragraph of each key and their most repeated keys, and clusters' keys are read by position."""

    keys_here = False

    def __init__(self, spill: Spill, order: Order, config: Config, partitions: int, tuning: Tuning) -> None:
        n = len(order.rows)
        self.pairs_per_task = tuning.pairs_per_task
        self.rows, self.bands, self.dedup = order.rows, config.dedup.lsh[0], config.dedup
        self.files = spill.paragraph_files()
        # Per-document figures only: each task works out its paragraphs' positions from these
        # (`chunk_positions`), where a position per paragraph would be 8 bytes each, pickled per task.
        self.documents = Documents(
            np.array([start for start, _ in spill.document_chunks()], dtype=np.int64),
            inverse(order.doc_rows),
            order.doc_start,
        )
        self.partitions = partitions or max(1, min(64, -(-n // tuning.rows_per_partition)))

    def _per_chunk(self, fn: Callable, **kwargs: Any) -> ray.data.Dataset:
        """`fn(chunk=c, files=..., documents=..., parts=...)` on every spill chunk `c`, in as many Ray
        tasks as the cluster has CPUs."""
        chunks = [{"chunk": c} for c in range(self.files.chunks)]
        tasks = max(1, min(len(chunks), cpus()))
        shared = {"files": self.files, "documents": ray.put(self.documents), "parts": self.partitions}
        return ray.data.from_items(chunks, override_num_blocks=tasks).map_batches(
            _on_chunks, batch_size=None, batch_format="numpy", fn_kwargs={"fn": fn, **shared, **kwargs}
        )

    def exact(self, cols: KeyColumns, min_docs: int) -> Exact:
        n = len(cols.doc)
        furniture = {"doc_source": cols.doc_source, "doc_canon": cols.doc_canon}
        rows = self._per_chunk(_exact_rows, **furniture)
        dtype = position_dtype(n)  # as the local engine's: int32 below 2^31 paragraphs, half of int64
        exact = Exact(np.zeros(n, dtype=bool), np.arange(n, dtype=dtype), np.arange(n, dtype=dtype))
        firsts, tops = [np.zeros(0, dtype=np.int64)], [np.zeros((2, 0), dtype=np.int64)]
        for batch in self._grouped(rows, _exact_part, min_docs=min_docs):
            kind, at = batch["kind"], batch["position"]
            told = kind == EXACT_ROW
            exact.recurring[at[told]] = batch["recurring"][told]
            exact.first[at[told]], exact.doc_first[at[told]] = batch["first"][told], batch["doc_first"][told]
            firsts.append(at[kind == BOILER_FIRST])
            top = kind == TOP_KEY
            tops.append(np.stack([at[top], batch["first"][top]]))
        self._boiler_firsts = np.sort(np.concatenate(firsts))
        first, counts = np.concatenate(tops, axis=1)
        self._top = top_repeated(first, counts)  # each partition's top holds its part of the corpus's
        return exact

    def boilerplate_firsts(self, cols: KeyColumns, boiler: np.ndarray) -> np.ndarray:
        """From the last `exact` (whose boilerplate is `boiler`)."""
        return self._boiler_firsts

    def most_repeated(self) -> tuple[np.ndarray, np.ndarray]:
        return self._top

    def keys_at(self, cols: KeyColumns, positions: np.ndarray) -> np.ndarray:
        """Read from the spill (a cluster's first paragraph's, a few percent of the paragraphs)."""
        return self.files.take("key", self.rows[positions]).to_numpy()

    def candidate_pairs(self, pool: np.ndarray, max_pairs: int) -> np.ndarray:
        if len(pool) == 0:
            return np.zeros((0, 2), dtype=np.int64)
        in_pool = np.zeros(len(self.rows), dtype=bool)
        in_pool[pool] = True
        rows = self._per_chunk(_band_rows, in_pool=ray.put(np.packbits(in_pool)), bands=self.bands)
        del in_pool
        n = np.int64(pool.max() + 1)
        codes = [b["earlier"] * n + b["later"] for b in self._grouped(rows, _bucket_pairs, max_pairs=max_pairs)]
        codes = distinct(np.concatenate(codes)) if codes else np.zeros(0, dtype=np.int64)
        return np.stack([codes // n, codes % n], axis=1)

    def document_copies(self, cols: KeyColumns, boiler: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """A digest per document made where its chunk is read, then a group-by on digest partitions:
        the driver sends a bit per paragraph (`boiler`, packed) and gets back the copies' ranks only."""
        bits = None if boiler is None else ray.put(np.packbits(boiler))
        rows = self._per_chunk(_digest_rows, boiler=bits)
        found = list(self._grouped(rows, _copies_part))
        copy = np.concatenate([np.zeros(0, dtype=np.int64), *(b["copy"] for b in found)])
        original = np.concatenate([np.zeros(0, dtype=np.int64), *(b["original"] for b in found)])
        ascending = np.argsort(copy)
        return copy[ascending], original[ascending]

    def _grouped(self, rows: ray.data.Dataset, fn: Callable, **kwargs: Any) -> Iterator[dict[str, np.ndarray]]:
        """`fn` on each partition of the rows by their `part` column (a function of the group key, so
        a partition holds whole groups): one call per partition, numpy group-bys inside."""
        grouped = rows.groupby("part", num_partitions=self.partitions).map_groups(
            fn, batch_format="numpy", fn_kwargs=kwargs
        )
        yield from grouped.iter_batches(batch_size=None, batch_format="numpy")

    def jaccard(self, pairs: np.ndarray) -> np.ndarray:
        out = np.zeros(len(pairs), dtype=np.float64)
        if len(pairs) == 0:
            return out
        rows = self.rows[pairs]
        folder = self.files.folder / candidates.FOLDER  # on the storage every node shares, as the spill
        shutil.rmtree(folder, ignore_errors=True)  # a folder of corpuspack's own (`workdir`)
        folder.mkdir()
        try:
            # The candidates' sets, a task per run of chunks (each decompresses its chunks' texts once).
            groups = candidates.groups(candidates.by_chunk(self.files, distinct(rows.ravel())))
            ray.get([_write_sets.remote(self.files, group, self.dedup, folder) for group in groups])
            table = pa.table({"index": np.arange(len(pairs)), "a": rows[:, 0], "b": rows[:, 1]})
            # Few, large tasks: each maps every sets file its pairs touch, so many small ones cost more.
            step = max(self.pairs_per_task, -(-len(pairs) // cpus()))
            blocks = [table.slice(lo, step) for lo in range(0, len(pairs), step)]
            sets = candidates.CandidateSets(self.files, folder)
            scored = ray.data.from_arrow(blocks).map_batches(
                _jaccard_batch, batch_size=None, batch_format="numpy", fn_kwargs={"sets": sets}
            )
            for batch in scored.iter_batches(batch_size=None, batch_format="numpy"):
                out[batch["index"]] = batch["similarity"]
            return out
        finally:
            shutil.rmtree(folder, ignore_errors=True)


@ray.remote
def _write_sets(files: ParagraphFiles, group: list, dedup: DedupConfig, folder: Path) -> None:
    candidates.write_sets(files, group, dedup, folder)


def cpus() -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def _on_chunks(batch: dict[str, np.ndarray], fn: Callable, documents: Any, **kwargs: Any) -> dict[str, np.ndarray]:
    documents = ray.get(documents) if isinstance(documents, ray.ObjectRef) else documents
    kwargs = {k: ray.get(v) if isinstance(v, ray.ObjectRef) else v for k, v in kwargs.items()}
    parts = [fn(chunk=int(c), documents=documents, **kwargs) for c in batch["chunk"]]
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def _exact_rows(
    chunk: int,
    files: ParagraphFiles,
    documents: Documents,
    parts: int,
    doc_source: np.ndarray | None,
    doc_canon: np.ndarray | None,
) -> dict[str, np.ndarray]:
    """Exact-key rows of one spill chunk, each with its position, document rank and partition (and
    under rules 2 its document's source and first copy)."""
    columns = files.chunk_columns(chunk, ["key", "pattern", "doc", "pidx"])
    key = columns["key"]
    at, doc = documents.chunk_positions(chunk, columns["doc"], columns["pidx"])
    part = (key % np.uint64(parts)).astype(np.int32)
    rows = {"part": part, "key": key, "doc": doc, "pattern": columns["pattern"], "position": at}
    if doc_source is not None and doc_canon is not None:
        rows.update(source=doc_source[doc], canon=doc_canon[doc])
    return rows


def _band_rows(
    chunk: int, files: ParagraphFiles, documents: Documents, parts: int, in_pool: np.ndarray, bands: int
) -> dict[str, np.ndarray]:
    """(band, band key) rows of one spill chunk's paragraphs in the near-duplicate pool."""
    columns = files.chunk_columns(chunk, ["doc", "pidx", *(band_column(b) for b in range(bands))])
    at, _ = documents.chunk_positions(chunk, columns["doc"], columns["pidx"])
    keep = _bits(in_pool, at)
    keys = np.concatenate([columns[band_column(b)][keep] for b in range(bands)])
    band = np.repeat(np.arange(bands, dtype=np.int16), int(keep.sum()))
    part = ((keys ^ band.astype(np.uint64)) % np.uint64(parts)).astype(np.int32)
    return {"part": part, "band": band, "bucket": keys, "position": np.tile(at[keep], bands)}


def _digest_rows(
    chunk: int, files: ParagraphFiles, documents: Documents, parts: int, boiler: np.ndarray | None
) -> dict[str, np.ndarray]:
    """(digest, rank) of each document of one spill chunk with paragraphs that are not boilerplate
    (`boiler`: packed bits by position, or None for the pattern column): `grouping.document_digests`."""
    columns = files.chunk_columns(chunk, ["key", "pattern", "doc", "pidx"])
    at, rank = documents.chunk_positions(chunk, columns["doc"], columns["pidx"])
    drop = columns["pattern"] if boiler is None else _bits(boiler, at)
    content = np.flatnonzero(~drop)
    ordered = content[np.argsort(at[content], kind="stable")]  # a document's paragraphs in order
    ranks, digest = document_digests(rank[ordered], columns["key"][ordered])
    return {"part": (digest % np.uint64(parts)).astype(np.int32), "digest": digest, "rank": ranks}


def _copies_part(rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Documents of one digest partition whose digest an earlier document has, and that document."""
    order = np.lexsort((rows["rank"], rows["digest"]))
    digest, rank = rows["digest"][order], rows["rank"][order]
    new = np.concatenate([[True], digest[1:] != digest[:-1]])[: len(digest)]
    first = rank[new][np.cumsum(new) - 1]
    return {"copy": rank[~new], "original": first[~new]}


def _bits(packed: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Bits `at` of an `np.packbits` array (bit i: byte i // 8, most significant bit first)."""
    return ((packed[at >> 3] >> (7 - (at & 7))) & 1).astype(bool)


EXACT_ROW, BOILER_FIRST, TOP_KEY = range(3)  # the kinds of `_exact_part`'s rows


def _exact_part(rows: dict[str, np.ndarray], min_docs: int) -> dict[str, np.ndarray]:
    """The exact-key group-by on one partition (it holds every paragraph of its keys): the rows
    whose answer is not the default (`Exact` of a paragraph met once: not recurring, itself first);
    the first boilerplate paragraph of each key (`DedupOps.boilerplate_firsts`); the partition's
    most repeated keys (`grouping.most_repeated_keys`: first position, and count as `first`)."""
    order = np.argsort(rows["position"], kind="stable")
    position, key, pattern = rows["position"][order], rows["key"][order], rows["pattern"][order]
    furniture = [rows[k][order] for k in ("source", "canon")] if "source" in rows else []
    exact = exact_groups_at(key, rows["doc"][order], pattern, position, min_docs, *furniture)
    # The driver starts from the defaults: most paragraphs' rows need not travel back to it.
    told = np.flatnonzero(exact.recurring | (exact.first != position) | (exact.doc_first != position))
    boiler = np.flatnonzero(pattern | exact.recurring)
    firsts = position[boiler[first_of_groups(key[boiler], boiler) == boiler]]
    top, counts = most_repeated_keys(key, position)
    none = np.zeros(len(firsts) + len(top), dtype=np.int64)
    kinds = [np.full(len(told), EXACT_ROW), np.full(len(firsts), BOILER_FIRST), np.full(len(top), TOP_KEY)]
    return {
        "kind": np.concatenate(kinds).astype(np.int8),
        "position": np.concatenate([position[told], firsts, top]),
        "recurring": np.concatenate([exact.recurring[told], none.astype(bool)]),
        "first": np.concatenate([exact.first[told], none[: len(firsts)], counts]),
        "doc_first": np.concatenate([exact.doc_first[told], none]),
    }


def _bucket_pairs(rows: dict[str, np.ndarray], max_pairs: int) -> dict[str, np.ndarray]:
    """Candidate pairs of the LSH buckets in one partition, band by band (`near.candidate_pairs`)."""
    order = np.lexsort((rows["position"], rows["band"]))
    band, bucket, position = rows["band"][order], rows["bucket"][order], rows["position"][order]
    cuts = np.flatnonzero(band[1:] != band[:-1]) + 1
    runs = zip(np.split(bucket, cuts), np.split(position, cuts), strict=True)
    found = [near.candidate_pairs(iter([keys]), at, max_pairs) for keys, at in runs]
    pairs = np.concatenate(found) if found else np.zeros((0, 2), dtype=np.int64)
    return {"earlier": pairs[:, 0], "later": pairs[:, 1]}


def _jaccard_batch(batch: dict[str, np.ndarray], sets: candidates.CandidateSets) -> dict[str, np.ndarray]:
    pairs = np.stack([batch["a"], batch["b"]], axis=1)
    return {"index": batch["index"], "similarity": near.jaccard(pairs, sets)}
