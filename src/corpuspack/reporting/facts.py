"""What a report shows, aggregated from a version's published files: only the columns it needs are
read, texts one row group at a time (their lengths, never the texts kept), and every aggregate is a
pyarrow compute or numpy operation, so a version of a million documents takes seconds."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import DataError, UsageError
from ..printable import printable
from ..publish.manifest import NAME, listed_parquet
from ..tables import DOCUMENTS
from .checked import checked

TOP_SOURCES = 20  # sources shown by name; the others are summed as one bar
BASE_COLUMNS = set(DOCUMENTS.names)
MAX_MONTHS = 240  # dates spanning more are counted per year
MAX_SPAN = 400  # periods; a wider span (a stray year 1 date) shows only the periods that have documents


@dataclass
class Facts:
    """The aggregates of one version folder."""

    counts: dict[str, Any]  # the manifest's counts
    sources: list[tuple[str, int, int, int]]  # (source, documents, paragraphs kept, dropped), most documents first
    other_sources: int  # how many sources are summed in the last row of `sources` ("other"), 0 if none
    months: list[tuple[str, int, int]]  # (YYYY-MM, or YYYY over 20 years; documents, paragraphs kept), in order
    undated: int
    document_chars: np.ndarray  # characters of each published document's text
    document_paragraphs: np.ndarray  # kept paragraphs of each published document
    paragraph_chars: dict[str, np.ndarray]  # "kept" / "dropped": characters of each paragraph
    removals: dict[str, int]  # reason -> paragraphs dropped
    similarity: np.ndarray  # near duplicates' Jaccard similarity
    languages: dict[str, dict[str, int]]  # column (language, and any other *language* column) -> value -> documents
    signals: dict[str, np.ndarray] = field(default_factory=dict)  # numeric columns beyond the base schema
    most_repeated: list[dict[str, Any]] = field(default_factory=list)


def read_facts(folder: Path, body: dict[str, Any]) -> Facts:
    """The aggregates of the version folder `folder`, whose manifest is `body`."""
    shown = checked(body, folder / NAME)
    documents = _shards(folder, "documents", body)
    paragraphs = _shards(folder, "paragraphs", body)
    schema = pq.read_schema(documents[0])
    meta = pq.read_table(documents, columns=["source", "date", "n_paragraphs", "n_dropped"])
    sources, other = _by_source(meta)
    months, undated = _by_month(meta)
    languages = _languages(documents, schema)
    signals = _signals(documents, schema)
    kept, dropped, document_chars = _paragraph_lengths(paragraphs)
    similarity = pq.read_table(paragraphs, columns=["similarity"]).column(0).drop_null()
    return Facts(
        counts=shown["counts"],
        sources=sources,
        other_sources=other,
        months=months,
        undated=undated,
        document_chars=document_chars,
        document_paragraphs=meta.column("n_paragraphs").to_numpy(),
        paragraph_chars={"kept": kept, "dropped": dropped},
        removals=shown["counts"]["dropped_by_reason"],
        similarity=similarity.to_numpy(),
        languages=languages,
        signals=signals,
        most_repeated=shown["most_repeated"],
    )


def _shards(folder: Path, table: str, body: dict[str, Any]) -> list[Path]:
    """The table's Parquet files the manifest lists (`manifest.listed_parquet`); a folder whose
    manifest lists none is not a version folder."""
    try:
        return listed_parquet(body, folder, table)
    except DataError as exc:
        if "lists no" not in str(exc):
            raise
        raise UsageError(
            f"{printable(str(folder))}: not a version folder (its manifest lists no {table}/*.parquet); give a "
            "released version or the --out folder of corpuspack build"
        ) from None


def _by_source(meta: pa.Table) -> tuple[list[tuple[str, int, int, int]], int]:
    grouped = (
        pa.table({"source": meta.column("source").fill_null("(none)"), "k": meta.column("n_paragraphs"),
                  "d": meta.column("n_dropped")})
        .group_by("source")
        .aggregate([("k", "count"), ("k", "sum"), ("d", "sum")])
    )  # fmt: skip
    rows = sorted(
        zip(*(grouped.column(c).to_pylist() for c in ("source", "k_count", "k_sum", "d_sum")), strict=True),
        key=lambda r: (-r[1], r[0]),
    )
    if len(rows) <= TOP_SOURCES:
        return [(s, int(n), int(k), int(d)) for s, n, k, d in rows], 0
    shown, rest = rows[: TOP_SOURCES - 1], rows[TOP_SOURCES - 1 :]
    other = ("other", sum(r[1] for r in rest), sum(r[2] for r in rest), sum(r[3] for r in rest))
    return [(s, int(n), int(k), int(d)) for s, n, k, d in [*shown, other]], len(rest)


def _by_month(meta: pa.Table) -> tuple[list[tuple[str, int, int]], int]:
    dates = meta.column("date")
    valid = pc.is_valid(dates)
    days = pc.filter(dates, valid).cast(pa.int32()).to_numpy(zero_copy_only=False)
    kept = pc.filter(meta.column("n_paragraphs"), valid).to_numpy(zero_copy_only=False)
    months = days.astype("datetime64[D]").astype("datetime64[M]")
    if len(months) and months.max() - months.min() >= MAX_MONTHS:  # decades: count by year
        months = months.astype("datetime64[Y]")
    found, inverse = np.unique(months, return_inverse=True)
    documents = np.bincount(inverse, minlength=len(found))
    paragraphs = np.bincount(inverse, weights=kept, minlength=len(found)).astype(np.int64)
    if len(found) and found[-1] - found[0] < MAX_SPAN:  # every period of the span, the empty ones too
        span = np.arange(found[0], found[-1] + 1)
        at = np.searchsorted(span, found)
        documents, paragraphs = _spread(documents, at, len(span)), _spread(paragraphs, at, len(span))
        found = span
    rows = [(str(m), int(n), int(p)) for m, n, p in zip(found, documents, paragraphs, strict=True)]
    return rows, int(len(dates) - len(days))


def _spread(values: np.ndarray, at: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros(size, np.int64)
    out[at] = values
    return out


def _languages(documents: list[Path], schema: pa.Schema) -> dict[str, dict[str, int]]:
    """Documents per value of `language` and of any other string column naming a language (a
    detected language added by the signals), most first."""
    columns = [f.name for f in schema if "language" in f.name and pa.types.is_string(f.type)]
    table = pq.read_table(documents, columns=columns)
    out = {}
    for name in columns:
        counts = pc.value_counts(table.column(name).fill_null("unknown").combine_chunks()).to_pylist()
        out[name] = {c["values"]: c["counts"] for c in sorted(counts, key=lambda c: (-c["counts"], c["values"]))}
    return out


def _signals(documents: list[Path], schema: pa.Schema) -> dict[str, np.ndarray]:
    """Every numeric (or boolean) column beyond the base schema, e.g. per-document quality signals,
    whatever their names: a column someone adds shows up in the report without a change here."""
    names = [
        f.name
        for f in schema
        if f.name not in BASE_COLUMNS
        and (pa.types.is_integer(f.type) or pa.types.is_floating(f.type) or pa.types.is_boolean(f.type))
    ]
    if not names:
        return {}
    table = pq.read_table(documents, columns=names)
    out = {}
    for name in names:
        column = table.column(name).drop_null()
        if pa.types.is_boolean(column.type):
            column = column.cast(pa.int8())
        out[name] = column.to_numpy().astype(np.float64)
    return out


def _per_row_group(paths: list[Path], columns: list[str], fn: Callable[[pa.Table], Any]) -> list[Any]:
    """`fn` of each row group of `paths` (only `columns` read), in order, on a few threads: Parquet
    decoding releases the GIL, and only the row groups being worked on are in memory."""
    groups = [(path, i) for path in paths for i in range(pq.ParquetFile(path).metadata.num_row_groups)]

    def one(group: tuple[Path, int]) -> Any:
        return fn(pq.ParquetFile(group[0]).read_row_group(group[1], columns=columns, use_threads=False))

    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        return list(pool.map(one, groups))


def _lengths(column: pa.ChunkedArray) -> np.ndarray:
    return pc.utf8_length(column).to_numpy().astype(np.int64)


def _paragraph_lengths(paths: list[Path]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Characters of each kept and each dropped paragraph, and of each published document's text.
    A document's text is its kept paragraphs joined by one blank line, and the ledger's rows are in
    (document, paragraph index) order, each document starting at index 0: its length follows from
    its paragraphs', so the documents' texts (as large again) are never read."""

    def one(group: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lengths = pc.utf8_length(group.column("text")).to_numpy().astype(np.int64)
        return lengths, group.column("kept").to_numpy(), group.column("paragraph_index").to_numpy() == 0

    parts = _per_row_group(paths, ["text", "kept", "paragraph_index"], one)
    if not parts:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    lengths, kept, first = (np.concatenate(p) for p in zip(*parts, strict=True))
    starts = np.flatnonzero(first)
    starts = starts if len(starts) and starts[0] == 0 else np.insert(starts, 0, 0)
    chars = np.add.reduceat(np.where(kept, lengths, 0), starts)
    count = np.add.reduceat(kept.astype(np.int64), starts)
    published = count > 0  # a document dedup emptied is not published
    return lengths[kept], lengths[~kept], chars[published] + 2 * (count[published] - 1)
