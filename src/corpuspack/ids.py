"""Document ids across the corpus: used twice, or differing only by letter case.

Ids travel as an Arrow table (id, path, line), a few tens of bytes per document, so a million
documents cost tens of megabytes, not a Python object each.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .model import Document, Finding

ID_SCHEMA = pa.schema([("id", pa.string()), ("path", pa.string()), ("line", pa.int32())])


def id_table(docs: Iterable[Document]) -> pa.Table:
    docs = list(docs)
    columns = [[d.id for d in docs], [d.location.path for d in docs], [d.location.line for d in docs]]
    return pa.Table.from_arrays(
        [pa.array(c, f.type) for c, f in zip(columns, ID_SCHEMA, strict=True)], schema=ID_SCHEMA
    )


def id_findings(ids: pa.Table, others: pa.Table | None = None) -> list[Finding]:
    """Ids used twice, and ids that differ only by letter case (they clash on case-insensitive disks).

    Only documents whose case-folded id occurs more than once can clash; the checks below look at
    those rows alone, in (path, line, id) order, so the first one met is the one the others cite.
    `others`: ids of the files around the ones checked (the rest of the seeds folder); they come
    first, so a clash is reported on the checked file, citing the other, and never on the others.
    """
    if ids.num_rows == 0:
        return []
    if others is None or others.num_rows == 0:
        return _reserved(ids) + _clashes(ids, 0)
    return _reserved(ids) + _clashes(pa.concat_tables([others, ids]), others.num_rows)


# Names Windows reserves for devices, with or without an extension: no file can be called so there.
_RESERVED = r"(?i)^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\.|$)"


def _reserved(ids: pa.Table) -> list[Finding]:
    hits = np.flatnonzero(np.asarray(pc.match_substring_regex(ids.column("id"), _RESERVED).fill_null(False)))
    rows = ids.take(pa.array(hits, pa.int64())).to_pylist()
    message = "id {!r} is a device name on Windows, so it is not safe as a file name"
    return [Finding(r["path"], r["line"], "/id", message.format(r["id"]), code="reserved-id") for r in rows]


def _clashes(ids: pa.Table, checked_from: int) -> list[Finding]:
    """Clashes reported on rows from `checked_from` on (the rows before are context)."""
    folded = pc.dictionary_encode(_casefold(ids.column("id").combine_chunks()))
    codes = np.asarray(folded.indices)
    clashing = np.flatnonzero(np.bincount(codes)[codes] > 1)
    rows = ids.take(pa.array(clashing, pa.int64())).to_pylist()
    for row, index in zip(rows, clashing.tolist(), strict=True):
        row["checked"] = index >= checked_from
    rows.sort(key=lambda r: (r["checked"], r["path"], r["line"] or 0, r["id"]))
    first: dict[str, dict] = {}
    folded_first: dict[str, dict] = {}
    out = []
    for row in rows:
        doc_id = row["id"]
        if not row["checked"]:  # context: remembered, not reported
            first.setdefault(doc_id, row)
            folded_first.setdefault(doc_id.casefold(), row)
            continue
        if doc_id in first:
            message = f"duplicate id '{doc_id}': already used by {_at(first[doc_id])}"
            out.append(Finding(row["path"], row["line"], "/id", message, code="duplicate-id"))
            continue
        first[doc_id] = row
        key = doc_id.casefold()
        if key in folded_first:
            other = folded_first[key]
            message = f"id '{doc_id}' differs only by letter case from '{other['id']}' at {_at(other)}"
            out.append(Finding(row["path"], row["line"], "/id", message, code="case-id"))
        else:
            folded_first[key] = row
    return out


def _casefold(ids: pa.Array) -> pa.Array:
    """`str.casefold` of every id: `ascii_lower` for ASCII ids, Python for the others."""
    lower = pc.ascii_lower(ids)
    other = np.flatnonzero(~np.asarray(pc.string_is_ascii(ids)))
    if len(other) == 0:
        return lower
    folded = [s.casefold() for s in ids.take(pa.array(other, pa.int64())).to_pylist()]
    mask = np.zeros(len(ids), dtype=bool)
    mask[other] = True
    return pc.replace_with_mask(lower, pa.array(mask), pa.array(folded, pa.string()))


def _at(row: dict) -> str:
    return f"{row['path']}:{row['line']}" if row["line"] else row["path"]
