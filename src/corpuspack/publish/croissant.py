"""`croissant.json`: Croissant 1.0 metadata of a version, written in its output format (`formats`).

Format 2: a FileSet per table, which its RecordSet reads, and a FileObject per Parquet shard
contained in it, with the shard's sha256 and size (mlcroissant 1.1 reads several files only
through a FileSet's glob: a FileSet contained in FileObjects it does not read); record keys
(`documents.id`, and (`doc_id`, `paragraph_index`) for `paragraphs`); `paragraphs.doc_id`
referencing `documents.id`; the languages and licences the documents carry; and `url`, `creator`
and `citeAs` from the `homepage`, `creator` and `citation` settings. Format 1 is `croissant_v1`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .. import formats
from ..tables import TABLES, description
from . import croissant_v1
from .checksums import Written, written

NAME = "croissant.json"
PARQUET = "application/x-parquet"
KEYS = {"documents": ("id",), "paragraphs": ("doc_id", "paragraph_index")}
# The paragraphs of a document dedup left empty stay in the ledger; the document is not published.
REFERENCES = {("paragraphs", "doc_id"): ("documents", "id", "Documents left with no paragraph are not in documents.")}
URL_FIELDS = {("documents", "url")}  # published as sc:URL, not text


def write(out: Path, body: dict[str, Any], known: Iterable[Written] = ()) -> None:
    """`croissant.json` of the version folder `out`, whose manifest body is `body`. The Parquet
    shards' facts come from `known` (their writers'), else from `body["outputs"]`, else the files."""
    if formats.of_manifest(body) == formats.FIRST:
        doc = croissant_v1.metadata(body)
    else:
        shards = {table: _shards(out, table, known, body.get("outputs") or []) for table in TABLES}
        doc = metadata(body, shards, _distinct(shards["documents"], ("language", "license")))
    (out / NAME).write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def metadata(body: dict[str, Any], shards: dict[str, list[Written]], found: dict[str, list[str]]) -> dict[str, Any]:
    """The Croissant document: `shards` per table (paths relative to the version folder), `found`
    the distinct languages and licences of the documents."""
    config = body["config"]
    version = body.get("version") or "0.0.0"
    distribution: list[dict[str, Any]] = []
    record_sets = []
    for table, schema in formats.tables(formats.of_manifest(body)).items():
        distribution.append(
            {
                "@type": "cr:FileSet",
                "@id": f"{table}-parquet",
                "name": f"{table}-parquet",
                "description": f"The Parquet shards of the {table} table.",
                "encodingFormat": PARQUET,
                "includes": f"{table}/*.parquet",
            }
        )
        distribution += [_file_object(table, shard) for shard in shards[table]]
        record_sets.append(_record_set(table, schema))
    doc: dict[str, Any] = {
        "@context": croissant_v1.CONTEXT,
        "@type": "sc:Dataset",
        "name": body["name"],
        "description": "A deduplicated text corpus built by corpuspack: documents and a ledger of every paragraph.",
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "citeAs": cite_as(body),
        "version": version,
        "license": found["license"] or [config.get("license") or "unknown"],
        "inLanguage": found["language"],
        "datePublished": body.get("release_date") or "1970-01-01",
        "distribution": distribution,
        "recordSet": record_sets,
    }
    if config.get("homepage"):
        doc["url"] = config["homepage"]
    if config.get("creator"):
        doc["creator"] = {"@type": "sc:Organization", "name": config["creator"]}
    return doc


def _file_object(table: str, shard: Written) -> dict[str, Any]:
    rel = f"{table}/{shard.path.name}"
    return {
        "@type": "cr:FileObject",
        "@id": rel,
        "name": rel,
        "contentUrl": rel,
        "containedIn": {"@id": f"{table}-parquet"},
        "contentSize": f"{shard.size} B",
        "encodingFormat": PARQUET,
        "sha256": shard.sha256,
    }


def _record_set(table: str, schema: pa.Schema) -> dict[str, Any]:
    fields = []
    for f in schema:
        item_type = f.type.value_type if pa.types.is_list(f.type) else f.type
        entry: dict[str, Any] = {
            "@type": "cr:Field",
            "@id": f"{table}/{f.name}",
            "name": f.name,
            "description": description(f),
            "dataType": "sc:URL" if (table, f.name) in URL_FIELDS else croissant_v1.data_type(item_type),
            "source": {"fileSet": {"@id": f"{table}-parquet"}, "extract": {"column": f.name}},
        }
        if pa.types.is_list(f.type):
            entry["repeated"] = True
        if (table, f.name) in REFERENCES:
            other, column, note = REFERENCES[table, f.name]
            entry["references"] = {"field": {"@id": f"{other}/{column}"}}
            entry["description"] += " " + note
        fields.append(entry)
    keys = [{"@id": f"{table}/{name}"} for name in KEYS[table]]
    return {
        "@type": "cr:RecordSet",
        "@id": table,
        "name": table,
        "key": keys[0] if len(keys) == 1 else keys,
        "field": fields,
    }


def cite_as(body: dict[str, Any]) -> str:
    """How to cite the version whose manifest body is `body` (Croissant's `citeAs`, the card's
    Citation): the `citation` setting, else a BibTeX @misc entry made from the manifest."""
    version = body.get("version") or "0.0.0"
    if formats.of_manifest(body) == formats.FIRST:
        return croissant_v1.cite_as(body["name"], version)
    return body["config"].get("citation") or _citation(body["name"], version, body["config"])


def _citation(name: str, version: str, config: dict[str, Any]) -> str:
    """A BibTeX @misc entry for a version, when the configuration gives no citation."""
    parts = [f"title = {{{name}}}", f"version = {{{version}}}"]
    if config.get("creator"):
        parts.insert(0, f"author = {{{config['creator']}}}")
    if config.get("homepage"):
        parts.append(f"url = {{{config['homepage']}}}")
    parts.append("note = {built by corpuspack}")
    return f"@misc{{{name}-{version}, {', '.join(parts)}}}"


def _shards(out: Path, table: str, known: Iterable[Written], outputs: list[dict[str, Any]]) -> list[Written]:
    """Facts of a table's Parquet shards in name order, taken where they are already known."""
    facts = {w.path.resolve(): w for w in known}
    listed = {o["path"]: o for o in outputs}
    shards = []
    for path in sorted((out / table).glob("*.parquet")):
        entry = listed.get(f"{table}/{path.name}")
        if path.resolve() in facts:
            shards.append(facts[path.resolve()])
        elif entry is not None:
            shards.append(Written(path, entry["size"], entry["sha256"], entry.get("rows")))
        else:
            shards.append(written(path))
    return shards


def _distinct(shards: list[Written], columns: tuple[str, ...]) -> dict[str, list[str]]:
    """The distinct non-null values of each column over the shards, sorted (a column at a time,
    dictionary-decoded by Parquet's reader: a few values over many rows)."""
    found: dict[str, set[str]] = {c: set() for c in columns}
    for shard in shards:
        table = pq.read_table(shard.path, columns=list(columns))
        for column in columns:
            found[column].update(v for v in pc.unique(table.column(column)).to_pylist() if v is not None)
    return {column: sorted(values) for column, values in found.items()}
