"""Arrow schemas as a dataset card's `dataset_info.features` (the YAML `datasets` reads) and as the
card's field tables, written here rather than through `datasets`' private helpers."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from ..errors import DataError

_PLAIN = (pa.string(), pa.large_string(), pa.binary(), pa.large_binary())


def features(schema: pa.Schema) -> list[dict[str, Any]]:
    """`[{"name": "id", "dtype": "string"}, {"name": "tags", "list": "string"}, ...]`."""
    out = []
    for f in schema:
        feature = _feature(f.type)
        out.append({"name": f.name, **({"dtype": feature} if isinstance(feature, str) else feature)})
    return out


def _feature(type_: pa.DataType) -> str | dict[str, Any]:
    if pa.types.is_list(type_) or pa.types.is_large_list(type_):
        return {"list": _feature(type_.value_type)}
    if pa.types.is_struct(type_):
        return {"struct": features(pa.schema(list(type_)))}
    return dtype(type_)


def dtype(type_: pa.DataType) -> str:
    """The `datasets` dtype of an Arrow type (`float64` where Arrow says `double`, `date32`)."""
    if pa.types.is_floating(type_):
        return f"float{type_.bit_width}"
    if pa.types.is_date32(type_):
        return "date32"
    if pa.types.is_date64(type_):
        return "date64"
    if pa.types.is_boolean(type_):
        return "bool"
    if pa.types.is_integer(type_) or pa.types.is_timestamp(type_) or type_ in _PLAIN:
        return str(type_)
    raise DataError(f"no dataset card feature for the Arrow type {type_}")


def type_name(type_: pa.DataType) -> str:
    """A type as the card's field tables say it: `string`, `list of string`."""
    if pa.types.is_list(type_) or pa.types.is_large_list(type_):
        return f"list of {type_name(type_.value_type)}"
    return "struct" if pa.types.is_struct(type_) else dtype(type_)
