"""`manifest.json`: what a version is made of and from, with checksums; sorted keys, stable order."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .. import formats, signals
from ..containment import Escape, join_inside
from ..dedup.keys import KEY_NORMALISATION
from ..errors import DataError
from ..printable import printable, printable_path
from ..text import DISPLAY_NORMALISATION
from ..version import __version__
from .checksums import Written, written

if TYPE_CHECKING:
    from ..config import Config
    from ..schema import Schema

FORMAT_VERSION = 1
NAME = "manifest.json"


def compose(
    *, config: Config, schema: Schema, schema_facts: dict, inputs: pa.Table, dedup: dict[str, Any]
) -> dict[str, Any]:
    """The manifest's body, from plain facts: `dedup` holds the counts, the emptied documents and
    the most repeated paragraphs (`stages.dedup`); a release adds its stamp (version, date, parent, diff)."""
    return {
        "format_version": FORMAT_VERSION,
        "name": config.name,
        "version": None,
        "release_date": None,
        "parent": None,
        "software": {"corpuspack": __version__, "pyarrow": pa.__version__, "datasets": metadata.version("datasets")},
        "schema": {"$id": schema.id, "sha256": schema.sha256, "path": schema_facts["path"]},
        "normalisation": {"display": DISPLAY_NORMALISATION, "key": KEY_NORMALISATION[config.dedup.rules]},
        "config": settings(config),
        "inputs": {"seeds": inputs, "schema": schema_facts},
        "counts": dedup["counts"],
        "documents_emptied": dedup["documents_emptied"],
        "most_repeated": dedup["most_repeated"],
        "schema_fields": {name: [f.name for f in t] for name, t in formats.tables(config.output_format).items()},
        "diff": None,
        **formats.recorded(config.output_format),
        **({"signals": signals.manifest_entry()} if formats.has_signals(config.output_format) else {}),
    }


def settings(config: Config) -> dict[str, Any]:
    """The configuration as a manifest records it."""
    return {
        "name": config.name,
        "language": config.language,
        "license": config.license,
        "max_file_bytes": config.max_file_bytes,
        "strict": config.strict,
        "shard_bytes": config.shard_bytes,
        "seeds": config.seeds_label,
        "dedup": config.dedup.describe(),
        **config.publication(),
        **config.filters(),
    }


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
        if value.num_rows and _plain(value):
            yield from _table_entries(value, pad)
            return
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


def _plain(table: pa.Table) -> bool:
    """Integer and string columns whose strings JSON writes as they are (no quote, backslash or
    control character): the seeds table, unless a file name is odd."""
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            if pc.any(pc.match_substring_regex(column, r'["\\\x00-\x1f]')).as_py():
                return False
        elif not pa.types.is_integer(column.type):
            return False
    return True


def _table_entries(table: pa.Table, pad: str) -> Iterator[str]:
    """`_entries` of a `_plain` table's rows, each line made by Arrow kernels for a whole batch:
    what `json.dumps(row, sort_keys=True)` gives, at a million rows in a second instead of ten."""
    names = sorted(table.column_names)
    first = True
    # Batches of 10,000 rows: a batch's lines and their copies are built whole (about 0.8 kB a
    # row), so larger ones made the manifest the build's peak at 100,000 seeds.
    for batch in table.select(names).to_batches(max_chunksize=10_000):
        parts: list[pa.Array | str] = ["{"]
        for i, name in enumerate(names):
            column = batch.column(name)
            text = column.cast(pa.string())
            if not pa.types.is_integer(column.type):
                text = pc.binary_join_element_wise('"', text, '"', "")
            parts += [f"{', ' if i else ''}{json.dumps(name)}: ", pc.fill_null(text, "null")]
        lines = pc.binary_join_element_wise(*parts, "}", "")
        lead = ",\n" + pad + "  "
        joined = pc.binary_join_element_wise(lead, lines, "").cast(pa.large_string())
        _, offsets, data = joined.buffers()
        ends = np.frombuffer(offsets, dtype=np.int64)[joined.offset : joined.offset + len(joined) + 1]
        body = data.to_pybytes()[ends[0] : ends[-1]].decode("utf-8")
        yield ("[\n" + pad + "  " + body[len(lead) :]) if first else body
        first = False
    yield "\n" + pad + "]"


def write(out: Path, body: dict[str, Any], known: Iterable[Written] = ()) -> None:
    """The manifest, written piece by piece (a million seeds make a file of hundreds of MB);
    `known`: facts of files already taken by their writers."""
    body["outputs"] = outputs(out, known)
    with (out / NAME).open("w", encoding="utf-8") as f:
        for piece in _pieces(body):
            f.write(piece)


MAX_BYTES = 4 << 30
_HEX = re.compile(r"^[0-9a-f]+$")


def read(folder: Path) -> dict[str, Any]:
    """A version's manifest, checked for the shape every command relies on (a hand-edited or
    hostile one is a DataError naming the file and the field, never a traceback)."""
    path = folder / NAME
    try:
        if not path.is_file():
            raise DataError(f"{path}: missing")
        if path.stat().st_size > MAX_BYTES:
            raise DataError(f"{path}: over {MAX_BYTES} bytes")
        body = json.loads(path.read_bytes())
    except (ValueError, RecursionError) as exc:
        raise DataError(f"{path}: not a JSON manifest ({str(exc)[:200]})") from None
    problem = _shape_problem(body)
    if problem:
        raise DataError(f"{path}: {problem}")
    return body


def _shape_problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "not a JSON object"
    for key in ("version", "release_date"):
        if not isinstance(body.get(key), str | None):
            return f"/{key}: not a string"
    for key, kind in (
        ("outputs", list), ("inputs", dict), ("config", dict),
        ("counts", dict), ("schema_fields", dict),
    ):  # fmt: skip
        if not isinstance(body.get(key), kind):
            return f"/{key}: missing or not a {kind.__name__}"
    # Every manifest has these keys, null for a build that is no release: verify and release read them.
    for key, kinds, what in (
        ("version", str | None, "a string"), ("release_date", str | None, "a string"),
        ("parent", str | None, "a string"), ("diff", dict | None, "an object"),
    ):  # fmt: skip
        if key not in body or not isinstance(body[key], kinds):
            return f"/{key}: missing or not {what} (or null)"
    for i, entry in enumerate(body["outputs"]):
        if not (isinstance(entry, dict) and isinstance(entry.get("path"), str) and _is_hex(entry.get("sha256"), 64)):
            return f"/outputs/{i}: needs a path and a sha256"
        if type(entry.get("size")) is not int:
            return f"/outputs/{i}/size: not an integer"
    seeds, schema = body["inputs"].get("seeds"), body["inputs"].get("schema")
    if not isinstance(seeds, list) or not isinstance(schema, dict):
        return "/inputs: needs seeds (a list) and schema"
    for i, facts in enumerate([*seeds, schema]):
        where = f"/inputs/seeds/{i}" if i < len(seeds) else "/inputs/schema"
        if not isinstance(facts, dict) or not isinstance(facts.get("path"), str):
            return f"{where}/path: missing"
        if not (_is_hex(facts.get("sha256"), 64) and _is_hex(facts.get("git_blob"), 40)):
            return f"{where}: needs a sha256 and a git_blob in hexadecimal"
    return None


def _is_hex(value: Any, length: int) -> bool:
    return isinstance(value, str) and len(value) == length and _HEX.match(value) is not None


def listed_parquet(body: dict[str, Any], folder: Path, table: str) -> list[Path]:
    """The Parquet files of `table` that the manifest `body` lists under `outputs`, in `folder`, in
    name order, and only those: a file put in the folder later is not the version's (a copy of a
    shard counted every document twice). A listed Parquet path that leads out of the folder, lies
    outside the two tables' folders or is missing is a DataError; so is a manifest listing none."""
    found = []
    for entry in body["outputs"]:
        rel = entry["path"]
        if not rel.endswith(".parquet"):
            continue
        where = f"{printable_path(folder / NAME)}: /outputs: {printable(rel, 200)}"
        try:
            path = join_inside(folder, rel)
        except Escape:
            raise DataError(f"{where}: not a path inside the version folder") from None
        parts = PurePosixPath(rel).parts
        if len(parts) != 2 or parts[0] not in ("documents", "paragraphs"):
            raise DataError(f"{where}: a Parquet file outside documents/ and paragraphs/")
        if parts[0] != table:
            continue
        if not path.is_file():
            raise DataError(f"{where}: listed in the manifest but missing")
        found.append((rel, path))
    if not found:
        raise DataError(f"{printable_path(folder)}: its manifest lists no {table}/*.parquet")
    return [path for _, path in sorted(found)]
