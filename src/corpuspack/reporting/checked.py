"""The manifest values a report shows, checked before any is used. `manifest.read` checks the shape
every command relies on, not the counts, diff and most repeated paragraphs only the report reads.
One rule for all of them: a value that is absent (or null) is shown as before (0, none); a value
present but of another type, out of range, or a list or object too long, is a DataError naming the
manifest and the field, never a traceback or a number made up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import DataError
from ..printable import printable
from ..publish.card_fields import MAX_ENTRIES, count_problem

COUNTS = ("documents", "documents_read", "documents_emptied", "paragraphs", "paragraphs_kept")
REPEATED_TEXTS = ("reason", "doc_id", "text")
DIFF_TABLES = ("documents", "paragraphs")


class _Checker:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, field: str, problem: str) -> DataError:
        return DataError(f"{printable(str(self.path))}: /{printable(field, 200)}: {problem}")

    def count(self, value: Any, field: str) -> int:
        if value is None:
            return 0
        problem = count_problem(value)
        if problem:
            raise self.fail(field, problem)
        return value

    def text(self, value: Any, field: str) -> str | None:
        if value is not None and not isinstance(value, str):
            raise self.fail(field, f"not a string ({type(value).__name__})")
        return value

    def mapping(self, value: Any, field: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(field, f"not an object ({type(value).__name__})")
        if len(value) > MAX_ENTRIES:
            raise self.fail(field, f"{len(value):,} entries, over {MAX_ENTRIES:,}")
        return value

    def counts(self, value: Any, field: str) -> dict[str, int]:
        return {str(k): self.count(v, f"{field}/{k}") for k, v in self.mapping(value, field).items()}


def checked(body: dict[str, Any], path: Path) -> dict[str, Any]:
    """The values of the manifest `body` (read from `path`) that the report shows, checked:
    name, release_date, parent, counts, most_repeated, diff and the dedup threshold."""
    c = _Checker(path)
    counts = c.mapping(body.get("counts"), "counts")
    out: dict[str, Any] = {key: c.text(body.get(key), key) for key in ("name", "release_date", "parent")}
    out["counts"] = {key: c.count(counts.get(key), f"counts/{key}") for key in COUNTS}
    out["counts"]["dropped_by_reason"] = c.counts(counts.get("dropped_by_reason"), "counts/dropped_by_reason")
    out["most_repeated"] = _repeated(c, body.get("most_repeated"))
    out["diff"] = _diff(c, body.get("diff"))
    out["threshold"] = _threshold(c, c.mapping(c.mapping(body.get("config"), "config").get("dedup"), "config/dedup"))
    return out


def _repeated(c: _Checker, value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise c.fail("most_repeated", f"not a list ({type(value).__name__})")
    if len(value) > MAX_ENTRIES:
        raise c.fail("most_repeated", f"{len(value):,} entries, over {MAX_ENTRIES:,}")
    rows = []
    for i, entry in enumerate(value):
        entry = c.mapping(entry, f"most_repeated/{i}")
        row: dict[str, Any] = {k: c.text(entry.get(k), f"most_repeated/{i}/{k}") for k in REPEATED_TEXTS}
        for key in ("count", "paragraph_index"):
            row[key] = c.count(entry.get(key), f"most_repeated/{i}/{key}")
        rows.append(row)
    return rows


def _diff(c: _Checker, value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    diff = c.mapping(value, "diff")
    out: dict[str, Any] = {table: c.counts(diff.get(table), f"diff/{table}") for table in DIFF_TABLES}
    out["suggested_bump"] = c.text(diff.get("suggested_bump"), "diff/suggested_bump")
    out["inputs_changed"] = c.count(diff.get("inputs_changed"), "diff/inputs_changed")
    return out


def _threshold(c: _Checker, dedup: dict[str, Any]) -> float | None:
    value = dedup.get("threshold")
    if value is None:
        return None
    if type(value) not in (int, float) or not 0 <= value <= 1:  # NaN and infinities compare False
        raise c.fail("config/dedup/threshold", f"not a number from 0 to 1 ({printable(repr(value), 60)})")
    return float(value)
