"""`manifest.json`: what a version is made of and from, with checksums; sorted keys, stable order."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..dedup.keys import KEY_NORMALISATION
from ..dedup.ledger import REASONS, Ledger
from ..storage import is_url
from ..text import DISPLAY_NORMALISATION
from .checksums import Written, written
from .tables import TABLES

if TYPE_CHECKING:
    from ..config import Config
    from ..pipeline.order import Order
    from ..pipeline.spill import Spill
    from ..schema import Schema

FORMAT_VERSION = 1
NAME = "manifest.json"


def compose(
    *,
    config: Config,
    schema: Schema,
    schema_facts: dict,
    inputs: pa.Table,
    ledger: Ledger,
    spill: Spill,
    order: Order,
    version: str | None,
    release_date: str | None,
    parent: dict[str, Any] | None,
) -> dict[str, Any]:
    from ..api import __version__

    counts = ledger.counts()
    per_doc_kept = np.add.reduceat(ledger.kept.astype(np.int64), order.doc_start[:-1]) if len(ledger.kept) else []
    emptied_ranks = np.flatnonzero(np.asarray(per_doc_kept) == 0)
    emptied = spill.ids.take(pa.array(order.doc_rows[emptied_ranks], pa.int64())).to_pylist()
    documents_read = len(order.doc_rows)
    body = {
        "format_version": FORMAT_VERSION,
        "name": config.name,
        "version": version,
        "release_date": release_date,
        "parent": parent["version"] if parent else None,
        "software": {"corpuspack": __version__, "pyarrow": pa.__version__, "datasets": metadata.version("datasets")},
        "schema": {"$id": schema.id, "sha256": schema.sha256, "path": schema_facts["path"]},
        "normalisation": {"display": DISPLAY_NORMALISATION, "key": KEY_NORMALISATION},
        "config": {
            "name": config.name,
            "language": config.language,
            "license": config.license,
            "max_file_bytes": config.max_file_bytes,
            "strict": config.strict,
            "shard_bytes": config.shard_bytes,
            "seeds": _posix(config.seeds),
            "dedup": config.dedup.describe(),
        },
        "inputs": {"seeds": inputs, "schema": schema_facts},
        "counts": {
            "documents_read": documents_read,
            "documents": documents_read - len(emptied),
            "documents_emptied": len(emptied),
            "paragraphs": len(ledger.kept),
            "paragraphs_kept": counts["kept"],
            "dropped_by_reason": {r: counts[r] for r in REASONS if r},
        },
        "documents_emptied": emptied,
        "most_repeated": _most_repeated(spill, order, ledger),
        "schema_fields": {name: [f.name for f in schema_] for name, schema_ in TABLES.items()},
        "diff": parent.get("diff") if parent else None,
    }
    return body


def outputs(out: Path, known: Iterable[Written] = ()) -> list[dict[str, Any]]:
    """Every file of the version except the manifest: path, size, sha256 and rows where it has rows.

    Facts of the files in `known` (taken by their writers) are used as they are; any other file is read.
    """
    facts = {w.path.resolve(): w for w in known}
    entries = []
    for path in sorted(p for p in out.rglob("*") if p.is_file() and p.name != NAME):
        fact = facts.get(path.resolve()) or written(path, _rows(path))
        entries.append(fact.entry(path.relative_to(out).as_posix()))
    return entries


def _rows(path: Path) -> int | None:
    if path.suffix == ".parquet":
        return pq.ParquetFile(path).metadata.num_rows
    if path.suffix == ".arrow":
        with pa.memory_map(str(path)) as source:  # batch by batch: no table over the whole file
            return sum(batch.num_rows for batch in pa.ipc.open_stream(source))
    return None


def _most_repeated(spill: Spill, order: Order, ledger: Ledger, top: int = 10) -> list[dict]:
    keys = spill.column("key")[order.rows]
    by_key = np.argsort(keys, kind="stable")  # stable: each key's first position leads its run
    sorted_keys = keys[by_key]
    del keys
    starts = np.flatnonzero(np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]])) if len(by_key) else by_key
    del sorted_keys
    first, counts = by_key[starts], np.diff(np.append(starts, len(by_key)))
    del by_key
    best = np.lexsort((first, -counts))[:top]
    best = best[counts[best] > 1]
    texts = spill.take("text", order.rows[first[best]]).to_pylist()
    indexes = spill.take("pidx", order.rows[first[best]]).to_pylist()
    ids = spill.ids.take(pa.array(order.doc_rows[order.doc_rank[first[best]]], pa.int64())).to_pylist()
    return [
        {
            "count": int(counts[b]),
            "doc_id": doc_id,
            "paragraph_index": index,
            "reason": REASONS[int(ledger.reason[first[b]])] or None,
            "text": t if len(t) <= 200 else t[:197] + "...",
        }
        for b, t, index, doc_id in zip(best.tolist(), texts, indexes, ids, strict=True)
    ]


def sha256_file(path: Path) -> str:
    return written(path).sha256


def dumps(body: dict[str, Any]) -> str:
    """Sorted keys, two-space indents, and one line per file entry: diff-friendly, and fast for
    manifests listing millions of seeds (json's indenting encoder is pure Python)."""
    return "".join(_pieces(body))


def _pieces(body: dict[str, Any]) -> Iterator[str]:
    yield "{\n"
    keys = sorted(body)
    for i, key in enumerate(keys):
        comma = "," if i < len(keys) - 1 else ""
        value = body[key]
        yield f"  {json.dumps(key)}: "
        if key in ("inputs", "outputs"):
            yield from _entries(value, 2)
        else:
            yield json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).replace("\n", "\n  ")
        yield f"{comma}\n"
    yield "}\n"


def _entries(value: Any, depth: int) -> Iterator[str]:
    """`value` with one line per entry of a list; a table (the seeds) is a list of its rows."""
    pad = "  " * depth
    if isinstance(value, pa.Table):
        value = (row for batch in value.to_batches(max_chunksize=10_000) for row in batch.to_pylist())
    if isinstance(value, dict):
        items = sorted(value.items())
        if not items:
            yield "{\n\n" + pad + "}"
            return
        yield "{\n"
        for i, (k, v) in enumerate(items):
            yield f"{pad}  {json.dumps(k)}: "
            yield from _entries(v, depth + 1)
            yield ",\n" if i < len(items) - 1 else "\n"
        yield pad + "}"
    elif isinstance(value, list | Iterator):
        first = True
        for v in value:
            yield ("[\n" if first else ",\n") + pad + "  " + json.dumps(v, sort_keys=True, ensure_ascii=False)
            first = False
        yield "[]" if first else "\n" + pad + "]"
    else:
        yield json.dumps(value, sort_keys=True, ensure_ascii=False)


def write(out: Path, body: dict[str, Any], known: Iterable[Written] = ()) -> None:
    """The manifest, written piece by piece (a million seeds make a file of hundreds of MB);
    `known`: facts of files already taken by their writers."""
    body["outputs"] = outputs(out, known)
    with (out / NAME).open("w", encoding="utf-8") as f:
        for piece in _pieces(body):
            f.write(piece)


def read(folder: Path) -> dict[str, Any]:
    return json.loads((folder / NAME).read_text(encoding="utf-8"))


def _posix(path: Path | str) -> str:
    return str(path) if is_url(path) else Path(path).as_posix()
