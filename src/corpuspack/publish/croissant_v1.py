"""`croissant.json` of output format 1 (the first releases): a FileSet and a RecordSet per table,
derived from the Arrow schemas. Frozen: released versions rebuild these bytes."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from ..tables import TABLES, description

CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}


def data_type(type_: pa.DataType) -> str:
    if pa.types.is_boolean(type_):
        return "sc:Boolean"
    if pa.types.is_integer(type_):
        return "sc:Integer"
    if pa.types.is_floating(type_):
        return "sc:Float"
    if pa.types.is_date(type_):
        return "sc:Date"
    return "sc:Text"


def metadata(manifest: dict[str, Any]) -> dict[str, Any]:
    version = manifest.get("version") or "0.0.0"
    licence = manifest["config"].get("license") or "unknown"
    record_sets = []
    distribution = []
    for table, schema in TABLES.items():
        distribution.append(
            {
                "@type": "cr:FileSet",
                "@id": f"{table}-parquet",
                "name": f"{table}-parquet",
                "description": f"Parquet shards of the {table} table.",
                "encodingFormat": "application/x-parquet",
                "includes": f"{table}/*.parquet",
            }
        )
        fields = []
        for f in schema:
            entry = {
                "@type": "cr:Field",
                "@id": f"{table}/{f.name}",
                "name": f.name,
                "description": description(f),
                "dataType": data_type(f.type.value_type if pa.types.is_list(f.type) else f.type),
                "source": {"fileSet": {"@id": f"{table}-parquet"}, "extract": {"column": f.name}},
            }
            if pa.types.is_list(f.type):
                entry["repeated"] = True
            fields.append(entry)
        record_sets.append({"@type": "cr:RecordSet", "@id": table, "name": table, "field": fields})
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "name": manifest["name"],
        "description": "A deduplicated text corpus built by corpuspack: documents and a ledger of every paragraph.",
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "citeAs": cite_as(manifest["name"], version),
        "version": version,
        "license": licence,
        "url": "https://huggingface.co/docs/datasets/loading#local-and-remote-files",
        "datePublished": manifest.get("release_date") or "1970-01-01",
        "distribution": distribution,
        "recordSet": record_sets,
    }


def cite_as(name: str, version: str) -> str:
    """Format 1's `citeAs`: a BibTeX @misc entry of the name and version alone."""
    return f"@misc{{{name}, title = {{{name}}}, version = {{{version}}}, note = {{built by corpuspack}}}}"
