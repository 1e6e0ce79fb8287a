"""`explain`: one document's paragraphs with the decision on each, read from a published version.

Only the rows needed are read: the tables are sorted by document id and every row group records
the id range it holds, so a filter on `doc_id` reads the row groups holding that document, and one
more filtered read fetches the paragraphs its dropped paragraphs duplicate.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .config import Config, load_config
from .errors import DataError, UsageError
from .printable import printable
from .publish import manifest
from .publish.layout import resolve
from .publish.manifest import listed_parquet
from .storage import is_url, local_path

if TYPE_CHECKING:
    import pyarrow.dataset as ds

FORMAT_VERSION = 1
TEXT_CHARS = 200  # a paragraph's own text, unless `full`
REFERENCE_CHARS = 100  # the text of the paragraph it duplicates
_COLUMNS = ["paragraph_index", "text", "kept", "reason", "duplicate_of_doc", "duplicate_of_index", "similarity"]


@dataclass(frozen=True)
class Reference:
    """The paragraph a dropped one duplicates; `text` is None when that row is missing (a damaged table)."""

    doc_id: str
    index: int
    text: str | None


@dataclass(frozen=True)
class Decision:
    """One paragraph of the document and what deduplication decided for it."""

    index: int
    kept: bool
    reason: str | None
    text: str
    duplicate_of: Reference | None
    similarity: float | None


@dataclass
class Explanation:
    """A document of a version, paragraph by paragraph. `document` is its row of the documents
    table without the text, or None when the document was not published (every paragraph dropped)."""

    doc_id: str
    version: str | None  # None for a folder given by path (e.g. the output of `build --out`)
    folder: Path
    document: dict[str, Any] | None
    paragraphs: list[Decision]

    @property
    def kept(self) -> int:
        return sum(p.kept for p in self.paragraphs)

    @property
    def dropped(self) -> int:
        return len(self.paragraphs) - self.kept

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON structure (`format_version` 1); texts are whole."""
        return {
            "format_version": FORMAT_VERSION,
            "doc_id": self.doc_id,
            "version": self.version,
            "document": self.document,
            "paragraphs": [
                {
                    "index": p.index,
                    "kept": p.kept,
                    "reason": p.reason,
                    "text": p.text,
                    "duplicate_of": (
                        {"doc_id": p.duplicate_of.doc_id, "index": p.duplicate_of.index, "text": p.duplicate_of.text}
                        if p.duplicate_of
                        else None
                    ),
                    "similarity": p.similarity,
                }
                for p in self.paragraphs
            ],
        }

    def text(self, full: bool = False) -> str:
        """A header line, then each paragraph: its decision, the paragraph it duplicates, its text
        (cut to 200 characters unless `full`). Every string from the data is escaped."""
        limit = None if full else TEXT_CHARS
        where = f"v{self.version}" if self.version else printable(str(self.folder))
        counts = f"{len(self.paragraphs)} paragraphs: {self.kept} kept, {self.dropped} dropped"
        if self.document is None:
            rows = [f"{printable(self.doc_id)} in {where}: not published (every paragraph was dropped); {counts}"]
        else:
            d = self.document
            about = ", ".join(printable(str(d[k])) for k in ("source", "date") if d.get(k))
            title = printable(d["title"]) if d.get("title") else "(no title)"
            rows = [f"{printable(self.doc_id)} in {where}: {title} ({about}); published; {counts}"]
        for p in self.paragraphs:
            rows.append(f"[{p.index}] {_decision(p)}")
            rows.append(f"    {printable(p.text, limit)}")
            if p.duplicate_of is not None:
                ref = p.duplicate_of
                said = printable(ref.text, None if full else REFERENCE_CHARS) if ref.text is not None else "(not found)"
                rows.append(f"    = {printable(ref.doc_id)} [{ref.index}]: {said}")
        return "\n".join(rows) + "\n"


def _decision(p: Decision) -> str:
    if p.kept:
        return "kept"
    said = f"dropped: {p.reason}"
    if p.duplicate_of is not None:
        said += f", duplicate of {printable(p.duplicate_of.doc_id)} [{p.duplicate_of.index}]"
    if p.similarity is not None:
        said += f", similarity {p.similarity:.3f}"
    return said


def explain(
    doc_id: str,
    version: str | None = None,
    *,
    config: Config | None = None,
    folder: Path | str | None = None,
) -> Explanation:
    """Every paragraph of `doc_id` with its decision, in `version` of the corpus folder (default:
    the latest) or in the version folder `folder` (e.g. what `build --out` wrote)."""
    if version is not None and folder is not None:
        raise UsageError("give a version or a folder, not both")
    if folder is not None:
        if is_url(folder):
            raise UsageError(f"{printable(str(folder))}: explain reads a local folder; download the version first")
        where, name = local_path(folder), None
    else:
        corpus = (config or load_config()).corpus_dir
        found = resolve(corpus, version)
        where, name = corpus / found.folder, str(found)
    try:
        return _read(doc_id, where, name)
    except (OSError, pa.ArrowException) as exc:  # a damaged or missing shard: bad data, not a traceback
        raise DataError(f"{printable(str(where))}: the tables cannot be read: {printable(str(exc), 1000)}") from None


def _read(doc_id: str, where: Path, name: str | None) -> Explanation:
    paragraphs = _table(where, "paragraphs")
    rows = paragraphs.to_table(columns=_COLUMNS, filter=pc.field("doc_id") == doc_id)
    if rows.num_rows == 0:
        raise UsageError(_unknown(doc_id, where))
    rows = rows.sort_by("paragraph_index").to_pylist()
    texts = _referenced(paragraphs, {(r["duplicate_of_doc"], r["duplicate_of_index"]) for r in rows})
    decisions = [
        Decision(
            index=r["paragraph_index"],
            kept=r["kept"],
            reason=r["reason"],
            text=r["text"],
            duplicate_of=_reference(r["duplicate_of_doc"], r["duplicate_of_index"], texts),
            similarity=r["similarity"],
        )
        for r in rows
    ]
    return Explanation(doc_id, name, where, _document(where, doc_id), decisions)


def _table(folder: Path, name: str) -> ds.Dataset:
    import pyarrow.dataset as ds  # here: it takes 0.2 s to import, which no other command should pay

    return ds.dataset([str(p) for p in _shards(folder, name)], format="parquet")


def _shards(folder: Path, name: str) -> list[Path]:
    """The table's Parquet files the folder's manifest lists (a file slipped in beside them is not
    the version's)."""
    if not (folder / name).is_dir():
        raise UsageError(
            f"{printable(str(folder))}: not a version folder (no {name}/); give a released version "
            "or the --out folder of corpuspack build"
        )
    return listed_parquet(manifest.read(folder), folder, name)


def _referenced(paragraphs: ds.Dataset, pairs: set[tuple[str | None, int | None]]) -> dict[tuple[str, int], str]:
    """The texts of the paragraphs at (doc_id, index) `pairs`, in one read filtered on their ids."""
    wanted = {(d, i) for d, i in pairs if d is not None and i is not None}
    if not wanted:
        return {}
    ids = sorted({d for d, _ in wanted})
    condition = pc.field("doc_id") == ids[0]
    for other in ids[1:]:  # equalities, not is_in: each is pruned on the row groups' id ranges
        condition |= pc.field("doc_id") == other
    found = paragraphs.to_table(columns=["doc_id", "paragraph_index", "text"], filter=condition)
    cols = [found.column(c).to_pylist() for c in ("doc_id", "paragraph_index", "text")]
    return {(d, i): t for d, i, t in zip(*cols, strict=True) if (d, i) in wanted}


def _reference(doc: str | None, index: int | None, texts: dict[tuple[str, int], str]) -> Reference | None:
    if doc is None or index is None:
        return None
    return Reference(doc, index, texts.get((doc, index)))


def _document(folder: Path, doc_id: str) -> dict[str, Any] | None:
    """The document's row without its text, or None when it was not published."""
    documents = _table(folder, "documents")
    columns = [n for n in documents.schema.names if n != "text"]
    found = documents.to_table(columns=columns, filter=pc.field("id") == doc_id).to_pylist()
    if not found:
        return None
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in found[0].items()}


def _unknown(doc_id: str, folder: Path) -> str:
    shown = printable(str(folder / "paragraphs"))
    message = f"no document '{printable(doc_id, 200)}' in {printable(str(folder))}"
    close = ", ".join(f"'{printable(c, 200)}'" for c in _nearby_ids(_shards(folder, "paragraphs"), doc_id))
    if close:
        message += f" (did you mean {close}?)"
    return (
        f"{message}; the ids are the doc_id column of {shown}, e.g. "
        f"duckdb -c \"SELECT DISTINCT doc_id FROM '{shown}/*.parquet'\""
    )


def _nearby_ids(shards: list[Path], doc_id: str, count: int = 3) -> list[str]:
    """Up to `count` ids sorted next to `doc_id` that share a prefix of 3 or more characters (or all
    of it) with it. Rows are in id order, so they lie in the row group where `doc_id` would be: one
    id column of one row group is read, found from the row groups' id ranges."""
    groups = []  # (max id, shard, row group) in id order
    for path in shards:
        shard = pq.ParquetFile(path)
        column = shard.schema_arrow.get_field_index("doc_id")
        for i in range(shard.metadata.num_row_groups):
            stats = shard.metadata.row_group(i).column(column).statistics
            if stats is None or not stats.has_min_max:
                return []
            groups.append((stats.max, shard, i))
    at = bisect.bisect_left([g[0] for g in groups], doc_id)  # the first row group reaching doc_id
    ids = {groups[at - 1][0]} if at > 0 else set()  # the last id before that row group
    if at < len(groups):
        ids.update(groups[at][1].read_row_group(groups[at][2], columns=["doc_id"]).column(0).unique().to_pylist())
    ordered = sorted(i for i in ids if isinstance(i, str))
    here = bisect.bisect_left(ordered, doc_id)
    around = ordered[max(here - count, 0) : here + count]
    shared = {i: _common_prefix(i, doc_id) for i in around}
    best = [i for i in around if shared[i] >= min(3, len(doc_id))]
    return sorted(best, key=lambda i: (-shared[i], i))[:count]


def _common_prefix(a: str, b: str) -> int:
    """Length of the prefix `a` and `b` share."""
    return next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
