"""`corpus/README.md`: the Hugging Face dataset card, derived from the Arrow schemas and the manifests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from .. import formats, signals

SIZE_CATEGORIES = [
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
]


def config_name(version: str, table: str) -> str:
    return f"v{version}-{table}"


def size_category(n: int) -> str:
    return next((label for limit, label in SIZE_CATEGORIES if n < limit), "n>1T")


def hub_license(spdx: str) -> str:
    """A licence as the Hub spells it: the SPDX id in lower case (`CC-BY-4.0` -> `cc-by-4.0`)."""
    return spdx.lower()


def data_facts(corpus: Path, version: str) -> dict[str, dict[str, int]]:
    """Documents per language and per licence of a published version, from its documents table
    (two small columns), so the card says what the data holds, not what the defaults were."""
    table = pq.read_table(corpus / f"v{version}" / "documents", columns=["language", "license"])
    out: dict[str, dict[str, int]] = {}
    for column in ("language", "license"):
        counts = pc.value_counts(table.column(column).fill_null("unknown").combine_chunks()).to_pylist()
        out[column] = {c["values"]: c["counts"] for c in sorted(counts, key=lambda c: (-c["counts"], c["values"]))}
    return out


def front_matter(manifests: list[dict[str, Any]], facts: dict[str, dict] | None = None) -> dict[str, Any]:
    """The card's YAML metadata; `manifests` are oldest first, so the last is the default; `facts`:
    `data_facts` by version (languages and licences; else the configured defaults)."""
    import datasets

    latest = manifests[-1]
    configs, infos = [], []
    for m in manifests:
        for table, schema in formats.tables(formats.of_manifest(m)).items():
            name = config_name(m["version"], table)
            entry: dict[str, Any] = {"config_name": name}
            if m is latest and table == "documents":
                entry["default"] = True
            entry["data_files"] = [{"split": "train", "path": f"v{m['version']}/{table}/*.parquet"}]
            configs.append(entry)
            outputs = [o for o in m["outputs"] if o["path"].startswith(f"{table}/")]
            arrow = [
                o for o in m["outputs"] if o["path"].startswith(f"arrow/{table}/") and o["path"].endswith(".arrow")
            ]
            infos.append(
                {
                    "config_name": name,
                    "features": datasets.Features.from_arrow_schema(schema)._to_yaml_list(),
                    "splits": [
                        {
                            "name": "train",
                            "num_bytes": sum(o["size"] for o in arrow),
                            "num_examples": sum(o.get("rows", 0) for o in outputs),
                        }
                    ],
                    "download_size": sum(o["size"] for o in outputs),
                    "dataset_size": sum(o["size"] for o in arrow),
                }
            )
    facts = facts or {}
    languages = sorted(
        {lang for m in manifests for lang in facts.get(m["version"], {}).get("language", {})}
        or {m["config"].get("language") or "en" for m in manifests}
    )
    licences = sorted(facts.get(latest["version"], {}).get("license", {})) or [
        latest["config"].get("license") or "unknown"
    ]
    return {
        "license": [hub_license(x) for x in licences] if len(licences) > 1 else hub_license(licences[0]),
        "language": languages,
        "pretty_name": latest["name"],
        "size_categories": [size_category(latest["counts"]["documents"])],
        "task_categories": ["text-generation"],
        "configs": configs,
        "dataset_info": infos,
    }


def render(manifests: list[dict[str, Any]], corpus: Path | None = None) -> str:
    """The card of the versions in `corpus` (their documents tables give languages and licences)."""
    latest = manifests[-1]
    facts = {m["version"]: data_facts(corpus, m["version"]) for m in manifests} if corpus is not None else {}
    meta = yaml.safe_dump(front_matter(manifests, facts), sort_keys=False, allow_unicode=True, width=1000)
    held = facts.get(latest["version"], {})
    languages = "\n".join(f"| {k} | {n} |" for k, n in held.get("language", {}).items())
    licences = "\n".join(f"| {k} | {n} |" for k, n in held.get("license", {}).items())
    v = latest["version"]
    counts = latest["counts"]
    dropped = counts["dropped_by_reason"]
    rows = "\n".join(
        f"| {m['version']} | {m['release_date']} | {m['counts']['documents']} | {m['counts']['paragraphs_kept']} "
        f"| {m['counts']['paragraphs'] - m['counts']['paragraphs_kept']} |"
        for m in reversed(manifests)
    )
    reasons = "\n".join(f"| {reason} | {n} |" for reason, n in dropped.items())
    signals_part = "\n" + signals.card_section(latest) if latest.get("signals") else ""  # format 3
    return f"""---
{meta}---

# {latest["name"]}

A deduplicated text corpus built by [corpuspack](https://pypi.org/project/corpuspack/) from the seed documents
of this repository. Every version is immutable and rebuilt byte for byte from its seeds
(`corpuspack verify --rebuild`). Two tables per version:

- `documents`: one row per published document (metadata and the kept paragraphs as `text`);
- `paragraphs`: one row per paragraph of every valid seed, with whether it was kept and, if not, why
  (`exact`, `exact_within_document`, `near_duplicate`, `boilerplate`, `duplicate_document`) and which
  paragraph it duplicates.

## Load it

```python
from datasets import load_dataset

docs = load_dataset("corpus")                                   # latest documents (v{v})
paragraphs = load_dataset("corpus", "{config_name(v, "paragraphs")}")  # any version and table by name

import pandas as pd
df = pd.read_parquet("corpus/v{v}/documents")

import duckdb
duckdb.sql("SELECT reason, count(*) FROM 'corpus/v{v}/paragraphs/*.parquet' GROUP BY reason")

import polars as pl
pl.read_parquet("corpus/v{v}/documents/*.parquet")

from datasets import load_from_disk
load_from_disk("corpus/v{v}/arrow/documents")
```

## Versions

| version | date | documents | paragraphs kept | paragraphs dropped |
|---|---|---|---|---|
{rows}

## What v{v} holds

| language | documents |
|---|---|
{languages}

| licence (SPDX) | documents |
|---|---|
{licences}

Each document keeps its own `language` and `license` columns; mixed licences apply per document.

## Deduplication in v{v}

{counts["paragraphs"]} paragraphs read, {counts["paragraphs_kept"]} kept; documents left with no paragraph:
{counts["documents_emptied"]}.

| reason | paragraphs dropped |
|---|---|
{reasons}

Normalisation `{latest["normalisation"]["key"]}`; near duplicates are word 5-gram Jaccard >=
{latest["config"]["dedup"]["threshold"]} (MinHash {latest["config"]["dedup"]["num_perm"]} permutations,
{latest["config"]["dedup"]["bands"]} bands of {latest["config"]["dedup"]["rows"]}, confirmed on exact shingle sets).
The manifest of each version (`v{v}/manifest.json`) lists every input and output with checksums.
{signals_part}"""


def write(corpus: Path, manifests: list[dict[str, Any]]) -> str:
    from .layout import write_atomic

    text = render(manifests, corpus)
    write_atomic(corpus / "README.md", text)
    return text
