"""An Arrow IPC file kept in the work folder, read back bounded (`read`).

A kept file is hostile input, and an IPC file's buffers may be compressed: a file of a few
kilobytes can then declare gigabytes, which Arrow allocates as it decodes them. corpuspack never
compresses what it keeps, so a file is taken only when no message of it is compressed, checked in
each message's metadata (a flatbuffer `Message`, `format/Message.fbs` in Arrow) before anything is
decoded; an uncompressed message's buffers are slices of the file, so decoding it costs no more
than the file's size. The table is validated whole before it is returned: Arrow does not check a
batch's buffers against the rows it declares, and a column read past them crashes the process. The
file is read as the stream it holds after its magic, every message in order (its footer, which
could point elsewhere, is not used).
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa

from ..regular import NotRegular, open_fd, read_capped

MAGIC = b"ARROW1"
_DICTIONARY_BATCH, _RECORD_BATCH = 2, 3  # `MessageHeader` union types


def read(path: Path, limit: int | None = None) -> pa.Table | None:
    """The table of the kept IPC file `path`: None unless it is a plain file (never a symlink, a
    FIFO or a device), of at most `limit` bytes, with no compressed message. Arrow's errors on a
    file that does not decode are raised (`pa.ArrowException`), as are `OSError`s."""
    try:
        fd, st = open_fd(str(path), follow=False)
    except NotRegular:
        return None
    if limit is not None and st.st_size > limit:
        os.close(fd)
        return None
    data, size = read_capped(fd, st, st.st_size)  # the size it had: a file growing meanwhile is not taken
    if size > st.st_size or not data.startswith(MAGIC):
        return None
    body = pa.py_buffer(data).slice(8)
    for message in pa.ipc.MessageReader.open_stream(pa.BufferReader(body)):
        if _compressed(message.metadata.to_pybytes()):
            return None
    table = pa.ipc.open_stream(body).read_all()
    table.validate(full=True)  # rows and offsets inside their buffers, dictionary indices inside theirs
    return table


def _compressed(meta: bytes) -> bool:
    """Whether the IPC message of flatbuffer metadata `meta` is a batch of compressed buffers: its
    `RecordBatch` (a dictionary batch's field 1) has field 3, `compression`."""
    root = _uint(meta, 0, 4)
    kind = _uint(meta, _field(meta, root, 1), 1)
    if kind not in (_DICTIONARY_BATCH, _RECORD_BATCH):
        return False
    header = _table(meta, _field(meta, root, 2))
    if kind == _DICTIONARY_BATCH:
        header = _table(meta, _field(meta, header, 1))
    return _field(meta, header, 3, required=False) != 0


def _uint(buf: bytes, at: int, size: int, signed: bool = False) -> int:
    if at < 0 or at + size > len(buf):
        raise ValueError("an IPC message's metadata points outside it")
    return int.from_bytes(buf[at : at + size], "little", signed=signed)


def _field(buf: bytes, table: int, index: int, required: bool = True) -> int:
    """Where field `index` of the flatbuffer table at `table` lies; 0 when it is absent (a
    ValueError when it is `required`)."""
    vtable = table - _uint(buf, table, 4, signed=True)
    slot = 4 + 2 * index
    offset = _uint(buf, vtable + slot, 2) if slot + 2 <= _uint(buf, vtable, 2) else 0
    if not offset and required:
        raise ValueError("an IPC message's metadata lacks a field")
    return table + offset if offset else 0


def _table(buf: bytes, at: int) -> int:
    """The table an offset field at `at` refers to."""
    return at + _uint(buf, at, 4)
