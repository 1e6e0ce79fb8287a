"""What changed between two built versions: documents and paragraphs added, removed and changed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .config import Config
from .containment import is_within
from .errors import DataError
from .printable import printable, printable_path
from .publish import manifest
from .publish.manifest import listed_parquet
from .sources import discover
from .tables import METADATA_NAMES, TABLES


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
    inputs_changed: list[str] = field(default_factory=list)  # seed files, schema, settings ("changed: path")

    @property
    def changed(self) -> bool:
        return bool(
            self.inputs_changed
            or self.documents_added
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
        if self.metadata_changed or self.inputs_changed:
            return "patch"  # e.g. a seed re-saved with other whitespace: its seed_sha256 changes
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
            "inputs_changed": len(self.inputs_changed),
            "suggested_bump": self.bump(),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "inputs": self.inputs_changed,
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
        if self.inputs_changed:
            rows.append(f"inputs: {len(self.inputs_changed)} changed")
            rows.extend(f"  {c}" for c in self.inputs_changed[:50])
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


def input_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What differs between the inputs two manifests record (seed files by content, the schema,
    the settings): the one definition of "changed" that `diff`, `check` and `release` share.
    `new["inputs"]["seeds"]` may be a list of facts or an Arrow table of them."""
    then = {s["path"]: s["sha256"] for s in old["inputs"]["seeds"]}
    seeds = new["inputs"]["seeds"]
    if isinstance(seeds, pa.Table):
        now = dict(zip(seeds.column("path").to_pylist(), seeds.column("sha256").to_pylist(), strict=True))
    else:
        now = {s["path"]: s["sha256"] for s in seeds}
    changes = [f"added: {p}" for p in sorted(set(now) - set(then))]
    changes += [f"removed: {p}" for p in sorted(set(then) - set(now))]
    changes += [f"changed: {p}" for p in sorted(set(now) & set(then)) if now[p] != then[p]]
    if old["inputs"]["schema"]["sha256"] != new["inputs"]["schema"]["sha256"]:
        changes.append(f"changed: {new['inputs']['schema']['path']}")
    if _settings(old) != _settings(new):
        changes.append("changed: [tool.corpuspack] configuration")
    return changes


def current_inputs(config: Config) -> dict[str, Any]:
    """The inputs and settings a build would record now, without building (each seed is hashed)."""
    from .pipeline.chunk import path_facts  # the build's own facts of a file

    seeds, _ = discover([config.seeds_dir], config.seeds_base)
    facts = [path_facts(s.rel, s.path) for s in seeds if s.kind is not None]
    path = config.schema_path
    rel = path.resolve().relative_to(config.root.resolve()).as_posix() if is_within(path, config.root) else path.name
    schema = {"path": rel, "sha256": manifest.sha256_file(path)}
    return {"inputs": {"seeds": facts, "schema": schema}, "config": manifest.settings(config)}


def _settings(body: dict[str, Any]) -> Any:
    """The recorded settings that shape the output (not where the seeds were), as JSON has them."""
    return json.loads(json.dumps({k: v for k, v in body["config"].items() if k != "seeds"}, sort_keys=True))


def diff_versions(
    old: Path | None, new: Path, old_body: dict[str, Any] | None = None, new_body: dict[str, Any] | None = None
) -> Diff:
    """Compare two version folders (old None: everything in `new` is added), each read through the
    Parquet files its manifest body lists (`manifest.listed_parquet`); a folder given without a body
    listing its outputs is one this build just wrote, read whole. DataError when a table does not read."""
    try:
        return _diff(_Version(old, old_body) if old is not None else None, _Version(new, new_body))
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"the tables cannot be read: {printable(str(exc), 300)}") from None


class _Version:
    """A version folder and the Parquet files of each table that are its own."""

    def __init__(self, folder: Path, body: dict[str, Any] | None) -> None:
        self.folder, self.body = folder, body

    def files(self, table: str) -> list[str]:
        if self.body is not None and isinstance(self.body.get("outputs"), list):
            return [str(p) for p in listed_parquet(self.body, self.folder, table)]
        return [str(p) for p in sorted((self.folder / table).glob("*.parquet"))]

    def table(self, table: str, columns: list[str]) -> pa.Table:
        """The `columns` of `table`, each of the type the table's schema gives it: a shard of another
        schema (nested lists, numbers for strings) was a TypeError traceback when rows were compared."""
        read = pq.read_table(self.files(table), columns=columns)
        for name in columns:
            want, got = TABLES[table].field(name).type, read.schema.field(name).type
            if got != want:
                raise DataError(f"{printable_path(self.folder / table)}: column {name} is {got}, not {want}")
        return read

    def schema(self, table: str) -> pa.Schema:
        return pq.read_schema(self.files(table)[0])


def _diff(old: _Version | None, new: _Version) -> Diff:
    result = Diff()
    new_docs = new.table("documents", ["id", "text_sha256", *METADATA_NAMES])
    new_pars = _paragraph_keys(new)
    if old is None:
        result.documents_added = new_docs.column("id").to_pylist()
        result.paragraphs_added = len(new_pars)
        return result
    old_docs = old.table("documents", ["id", "text_sha256", *METADATA_NAMES])
    result.schema_changed = any(old.schema(table) != new.schema(table) for table in ("documents", "paragraphs"))
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


def _by_id(table: pa.Table) -> dict[str, tuple[str, tuple]]:
    rows = table.to_pylist()
    return {r["id"]: (r["text_sha256"], tuple(str(r[m]) for m in METADATA_NAMES)) for r in rows}


def _paragraph_keys(version: _Version) -> dict[tuple[str, int], tuple]:
    table = version.table("paragraphs", ["doc_id", "paragraph_index", "text", "kept", "reason"])
    return {(r["doc_id"], r["paragraph_index"]): (hash(r["text"]), r["kept"], r["reason"]) for r in table.to_pylist()}
