"""Kept Arrow IPC files read back bounded (`pipeline.kept_ipc`): hostile input never decoded into
arrays that reach past their buffers."""

from __future__ import annotations

import struct
from pathlib import Path

import pyarrow as pa
import pytest

from corpuspack.pipeline import kept_ipc
from corpuspack.pipeline.kept_ipc import _field, _table, _uint


def inflated(table: pa.Table, rows: int) -> bytes:
    """`table` as an IPC file whose record batches declare `rows` rows (and every field node as
    many), their buffers left as they are: arrays reaching far past their buffers."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    data, at = bytearray(sink.getvalue().to_pybytes()), 8  # the stream after the magic and its padding
    while (size := struct.unpack_from("<i", data, at + 4)[0]) > 0:  # a message: 0xFFFFFFFF, its metadata size
        meta, start = bytes(data[at + 8 : at + 8 + size]), at + 8
        root = _uint(meta, 0, 4)
        kind, length = _uint(meta, _field(meta, root, 1), 1), _field(meta, root, 3, required=False)
        body = _uint(meta, length, 8) if length else 0  # a schema has no body
        if kind == 3:  # a record batch
            header = _table(meta, _field(meta, root, 2))
            struct.pack_into("<q", data, start + _field(meta, header, 0), rows)
            nodes = _table(meta, _field(meta, header, 1))
            for node in range(_uint(meta, nodes, 4)):
                struct.pack_into("<q", data, start + nodes + 4 + 16 * node, rows)
        at += 8 + size + body
    return bytes(data)


@pytest.mark.parametrize(
    "table",
    [
        pa.table({"row": pa.array([1, 2], pa.int64())}),
        pa.table({"key": pa.array(["a", "b"]).dictionary_encode(), "similarity": pa.array([0.5, 1.0])}),
    ],
)
def test_a_batch_declaring_more_rows_than_its_buffers_hold_is_refused(tmp_path: Path, table: pa.Table):
    """Arrow checks a batch's buffers against its rows only when asked: unchecked, reading the
    columns read past them (a segmentation fault, or another file's bytes)."""
    path = tmp_path / "kept.arrow"
    path.write_bytes(inflated(table, 50_000_000))
    with pytest.raises(pa.ArrowInvalid):
        kept_ipc.read(path)


def test_a_sound_file_reads_back(tmp_path: Path):
    table = pa.table({"row": pa.array([1, 2], pa.int64()), "x": pa.array([[1], [2, 3]], pa.list_(pa.uint32()))})
    path = tmp_path / "kept.arrow"
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    assert kept_ipc.read(path).equals(table)
