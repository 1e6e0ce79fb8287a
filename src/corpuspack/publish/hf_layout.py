"""The `save_to_disk` folder's layout as `datasets` defines it: features, file names, how rows are
cut into files and batches, the fingerprint's digest (`hf.HFWriter` writes the files)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa

from .checksums import feed

MAX_BATCH_ROWS = 1000  # datasets.config.DEFAULT_MAX_BATCH_SIZE
MAX_BATCH_BYTES = 100_000_000  # datasets.config.MAX_ROW_GROUP_SIZE, "100MB"

_DTYPES = {
    pa.string(): "string",
    pa.large_string(): "large_string",
    pa.bool_(): "bool",
    pa.int8(): "int8",
    pa.int16(): "int16",
    pa.int32(): "int32",
    pa.int64(): "int64",
    pa.uint32(): "uint32",
    pa.uint64(): "uint64",
    pa.float32(): "float32",
    pa.float64(): "float64",
    pa.date32(): "date32",
}


def feature(type_: pa.DataType, list_type: str = "List") -> dict:
    """`asdict` of the `datasets` feature for an Arrow type; a list is a `list_type` (`datasets` 4
    and later write `List`; before, `Sequence`, which they still read)."""
    if pa.types.is_list(type_):
        return {"feature": feature(type_.value_type, list_type), "_type": list_type}
    if type_ not in _DTYPES:
        raise TypeError(f"no Hugging Face feature for Arrow type {type_}")
    return {"dtype": _DTYPES[type_], "_type": "Value"}


def features(schema: pa.Schema, list_type: str = "List") -> dict:
    return {f.name: feature(f.type, list_type) for f in schema}


def hf_schema(schema: pa.Schema, list_type: str = "List") -> pa.Schema:
    """The schema `datasets` writes: nullable fields, no field metadata, the features as metadata."""
    info = json.dumps({"info": {"features": features(schema, list_type)}})
    return pa.schema([pa.field(f.name, f.type) for f in schema], metadata={"huggingface": info})


def shard_bounds(rows: int, shards: int) -> list[int]:
    """First row of each shard, and `rows`: `Dataset.shard(shards, i, contiguous=True)`."""
    div, mod = divmod(rows, shards)
    return [div * i + min(i, mod) for i in range(shards)] + [rows]


def batch_rows(rows: int, nbytes: int) -> int:
    """`save_to_disk`'s writer batch size for a table of `rows` rows and `nbytes` Arrow bytes."""
    return min(MAX_BATCH_ROWS, max(1, rows * MAX_BATCH_BYTES // nbytes)) if nbytes > 0 else MAX_BATCH_ROWS


def shard_name(index: int, count: int) -> str:
    return f"data-{index:05d}-of-{count:05d}.arrow"


def content_sha256(files: list[Path]) -> str:
    """sha256 of the files' bytes one after the other: what the fingerprint is cut from."""
    digest = hashlib.sha256()
    for path in files:
        feed(path, digest)
    return digest.hexdigest()
