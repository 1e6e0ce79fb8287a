"""What changed between two built versions: documents and paragraphs added, removed and changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

METADATA = ("title", "source", "url", "date", "language", "license", "authors", "tags")


@dataclass
class Diff:
    """Differences from `old` to `new` (either may be None for "nothing")."""

    documents_added: list[str] = field(default_factory=list)
    documents_removed: list[str] = field(default_factory=list)
    documents_changed: list[str] = field(default_factory=list)  # text changed
    metadata_changed: list[str] = field(default_factory=list)  # same text, other metadata
    paragraphs_added: int = 0
    paragraphs_removed: int = 0
    paragraphs_changed: int = 0
    schema_changed: bool = False

    @property
    def changed(self) -> bool:
        return bool(
            self.documents_added
            or self.documents_removed
            or self.documents_changed
            or self.metadata_changed
            or self.paragraphs_added
            or self.paragraphs_removed
            or self.paragraphs_changed
            or self.schema_changed
        )

    def bump(self) -> str | None:
        """The semver part this change calls for, or None when nothing changed."""
        if self.schema_changed:
            return "major"
        if self.documents_added or self.documents_removed or self.documents_changed or self.paragraphs_changed:
            return "minor"
        if self.paragraphs_added or self.paragraphs_removed:
            return "minor"
        if self.metadata_changed:
            return "patch"
        return None

    def summary(self) -> dict[str, Any]:
        return {
            "documents": {
                "added": len(self.documents_added),
                "removed": len(self.documents_removed),
                "changed": len(self.documents_changed),
                "metadata_changed": len(self.metadata_changed),
            },
            "paragraphs": {
                "added": self.paragraphs_added,
                "removed": self.paragraphs_removed,
                "changed": self.paragraphs_changed,
            },
            "schema_changed": self.schema_changed,
            "suggested_bump": self.bump(),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "ids": {
                "added": self.documents_added,
                "removed": self.documents_removed,
                "changed": self.documents_changed,
                "metadata_changed": self.metadata_changed,
            },
        }

    def text(self, old: str, new: str) -> str:
        s = self.summary()
        rows = [f"{old} -> {new}"]
        d, p = s["documents"], s["paragraphs"]
        rows.append(
            f"documents: {d['added']} added, {d['removed']} removed, {d['changed']} changed, "
            f"{d['metadata_changed']} metadata only"
        )
        rows.append(f"paragraphs: {p['added']} added, {p['removed']} removed, {p['changed']} changed")
        if self.schema_changed:
            rows.append("schema: changed")
        for label, ids in (
            ("+", self.documents_added),
            ("-", self.documents_removed),
            ("~", self.documents_changed),
            ("m", self.metadata_changed),
        ):
            rows.extend(f"  {label} {i}" for i in ids[:50])
            if len(ids) > 50:
                rows.append(f"  {label} ... and {len(ids) - 50} more")
        rows.append(f"suggested bump: {self.bump() or 'none'}")
        return "\n".join(rows) + "\n"


def _table(folder: Path, name: str, columns: list[str]) -> pa.Table:
    return pq.read_table(folder / name, columns=columns)


def diff_versions(old: Path | None, new: Path) -> Diff:
    """Compare two version folders (old None: everything in `new` is added)."""
    result = Diff()
    new_docs = _table(new, "documents", ["id", "text_sha256", *METADATA])
    new_pars = _paragraph_keys(new)
    if old is None:
        result.documents_added = new_docs.column("id").to_pylist()
        result.paragraphs_added = len(new_pars)
        return result
    old_docs = _table(old, "documents", ["id", "text_sha256", *METADATA])
    result.schema_changed = any(_schema(old, table) != _schema(new, table) for table in ("documents", "paragraphs"))
    a, b = _by_id(old_docs), _by_id(new_docs)
    result.documents_added = sorted(set(b) - set(a))
    result.documents_removed = sorted(set(a) - set(b))
    for doc_id in sorted(set(a) & set(b)):
        if a[doc_id][0] != b[doc_id][0]:
            result.documents_changed.append(doc_id)
        elif a[doc_id][1] != b[doc_id][1]:
            result.metadata_changed.append(doc_id)
    old_pars = _paragraph_keys(old)
    result.paragraphs_added = len(set(new_pars) - set(old_pars))
    result.paragraphs_removed = len(set(old_pars) - set(new_pars))
    result.paragraphs_changed = sum(1 for k in set(old_pars) & set(new_pars) if old_pars[k] != new_pars[k])
    return result


def _schema(folder: Path, table: str) -> pa.Schema:
    return pq.read_schema(next(iter(sorted((folder / table).glob("*.parquet")))))


def _by_id(table: pa.Table) -> dict[str, tuple[str, tuple]]:
    rows = table.to_pylist()
    return {r["id"]: (r["text_sha256"], tuple(str(r[m]) for m in METADATA)) for r in rows}


def _paragraph_keys(folder: Path) -> dict[tuple[str, int], tuple]:
    table = _table(folder, "paragraphs", ["doc_id", "paragraph_index", "text", "kept", "reason"])
    return {(r["doc_id"], r["paragraph_index"]): (hash(r["text"]), r["kept"], r["reason"]) for r in table.to_pylist()}
