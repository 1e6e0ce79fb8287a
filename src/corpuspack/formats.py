"""The output format: which bytes a version's files hold, recorded in its manifest.

Released versions never change, so every change to the bytes inside a version folder comes with a
new format number, and a rebuild takes the number its manifest records (none: 1, the first
releases'). New builds use `CURRENT`.

- **1**: the first releases.
- **2**: `croissant.json` with a FileObject per Parquet shard (sha256 and size), record-set keys,
  the reference from `paragraphs.doc_id` to `documents.id`, the documents' languages and the
  `homepage`, `creator` and `citation` settings; Parquet schemas with pandas metadata, so that
  integer columns with nulls read as pandas' nullable integers (`Int32`, `Int64`) rather than as
  float64; `arrow/` features spelt as `datasets` before 4.0 wrote them (`Sequence` for a list,
  which every version since reads), so the folders load with every `datasets` from 2.19.
- **3**: quality signals as columns of `documents` (`tables.SIGNALS`), their definitions in the
  manifest (`signals`) and the card; Croissant and the card describe the new columns.
- **4**: every kept paragraph has a `cluster_id` (one without copies is the representative of its
  own group), so old rows keep their bytes when later documents copy them; the `arrow/` files cut
  where the Parquet shards are (one per shard, record batches of at most 1000 rows that end at the
  shard's row groups), so appending documents leaves the earlier files' bytes as they were.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from .errors import DataError
from .tables import DOCUMENTS_WITH_SIGNALS, PARAGRAPHS_EVERY_CLUSTER, TABLES, with_pandas_metadata

FIRST = 1
CURRENT = 4
SIGNALS = 3  # the first format with quality signals
KEPT_CLUSTERS = 4  # the first with a cluster id on every kept paragraph and `arrow/` files cut with the shards
KEY = "output_format"


def of_manifest(body: dict[str, Any]) -> int:
    """The format a manifest records: absent is 1; one this corpuspack does not know is a DataError."""
    number = body.get(KEY, FIRST)
    if type(number) is not int or not FIRST <= number <= CURRENT:
        raise DataError(
            f"manifest of v{body.get('version')}: /{KEY}: {str(number)[:40]} is not a format this corpuspack "
            f"writes (1 to {CURRENT}); a newer corpuspack made it"
        )
    return number


def recorded(number: int) -> dict[str, int]:
    """What a manifest records for `number`: nothing for 1, as the first releases' manifests were written."""
    return {} if number == FIRST else {KEY: number}


def tables(number: int) -> dict[str, pa.Schema]:
    """The published tables' row schemas in format `number`."""
    if number >= KEPT_CLUSTERS:
        return {"documents": DOCUMENTS_WITH_SIGNALS, "paragraphs": PARAGRAPHS_EVERY_CLUSTER}
    if number >= SIGNALS:
        return {**TABLES, "documents": DOCUMENTS_WITH_SIGNALS}
    return TABLES


def has_signals(number: int) -> bool:
    return number >= SIGNALS


def clusters_every_kept(number: int) -> bool:
    """Whether a kept paragraph without copies has a `cluster_id` (its own key) in format `number`."""
    return number >= KEPT_CLUSTERS


def arrow_cut_with_shards(number: int) -> bool:
    """Whether the `arrow/` files are cut where the Parquet shards are (else into equal row counts)."""
    return number >= KEPT_CLUSTERS


def parquet_schema(table: str, number: int) -> pa.Schema:
    """The schema a table's Parquet shards are written with."""
    schema = tables(number)[table]
    return schema if number == FIRST else with_pandas_metadata(schema)


def hf_list_type(number: int) -> str:
    """How the `arrow/` features spell a list: `datasets` 4 and later write `List`, and read both."""
    return "List" if number == FIRST else "Sequence"
