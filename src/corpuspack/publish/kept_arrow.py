"""A kept `arrow/` file (output format 4) checked as it is read: taken only when its bytes are
those the build's writer would write for the build's rows (`TakenArrow`)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pyarrow as pa

from .checksums import Written
from .hf import batches_as_written


class TakenArrow:
    """A kept `arrow/` file placed in the version folder, read as the build makes its rows:
    `compare(rows)` with each row group's rows, in order; `close()`: whether the file held
    them all, in the batches the writer cuts (`hf.HFWriter` with `groups`), and nothing else.
    Equal values are not enough: the build's rows are written again as the writer writes them, in
    the batches read, and those bytes must be the file's, byte for byte, so a file with bytes past
    its end, compressed buffers, other bytes under its nulls or any other encoding of the same
    values is written afresh rather than published. The file is hashed as it is read (one pass):
    its sha256 must be the one recorded."""

    def __init__(self, done: Written, schema: pa.Schema, batches: list[int]) -> None:
        self.done, self.same, self._sizes = done, True, batches[::-1]
        self._read = _Echo(done.path, done.size)  # read a batch at a time: not mapped, so not resident
        try:
            self._reader = pa.ipc.open_stream(pa.PythonFile(self._read, mode="r"))
            self.same = self._reader.schema.equals(schema, check_metadata=True)
            self._again = pa.ipc.new_stream(pa.PythonFile(self._read.matcher, mode="w"), self._reader.schema)
        except (OSError, ValueError, pa.ArrowException):
            self._read.close()
            raise

    def compare(self, rows: pa.RecordBatch) -> None:
        try:
            read = []
            while self.same and sum(b.num_rows for b in read) < rows.num_rows:
                batch = self._reader.read_next_batch()
                self.same = bool(self._sizes) and batch.num_rows == self._sizes.pop()
                read.append(batch)
            if self.same:
                table = pa.Table.from_batches(read)
                self.same = table.num_rows == rows.num_rows and all(
                    table.column(i).equals(pa.chunked_array([rows.column(i)])) for i in range(rows.num_columns)
                )
            if self.same:
                # The build's rows, not the batches read, written again: equal values can be other
                # bytes (values under nulls, a bitmap's unused bits), which would match a file
                # written with them.
                for batch in batches_as_written(rows, (b.num_rows for b in read), self._reader.schema):
                    self._again.write_batch(batch)
        except (OSError, ValueError, StopIteration, pa.ArrowException):
            self.same = False

    def close(self) -> bool:
        """Whether every row compared was the file's and the file's bytes are those the build's
        rows are written as, its stream's end included, with its recorded sha256; the file is closed."""
        try:
            if self.same and not self._sizes:
                self._read.rest()  # the stream's end, and anything after it, to be matched
                self._again.close()
                self.same = self._read.whole() and self._read.hexdigest() == self.done.sha256
            else:
                self.same = False
        except (OSError, ValueError, pa.ArrowException):
            self.same = False
        finally:
            self._read.close()
        return self.same


class _Echo:
    """A file read (for `pa.PythonFile`) that hashes the bytes read and holds them until `matcher`,
    a write-only file, is written the same bytes: it is given the bytes the build's rows are
    written as, and the file is whole when they are all its bytes (`whole`)."""

    closed = False

    def __init__(self, path: Path, size: int) -> None:
        self._file = open(path, "rb", buffering=0)  # noqa: SIM115 (closed by `close`)
        self._size, self._read = size, 0
        self._sha256, self._held, self.differs = hashlib.sha256(), bytearray(), False
        self.matcher = _Matcher(self)

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(max(0, min(self._size + 1 - self._read, self._size + 1 if size < 0 else size)))
        self._read += len(data)
        self._sha256.update(data)
        self._held += data
        return data

    def rest(self) -> None:
        """Read what is left of the file (at most its size and one byte more in all)."""
        while self.read(1 << 20):
            pass

    def match(self, data: Any) -> int:
        data = memoryview(data).cast("B")
        self.differs = self.differs or self._held[: len(data)] != data
        del self._held[: len(data)]
        return len(data)

    def whole(self) -> bool:
        """Whether every byte read was matched, in order, and the file is as long as recorded."""
        return not self.differs and not self._held and self._read == self._size

    def hexdigest(self) -> str:
        return self._sha256.hexdigest()

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        self._file.close()
        self._held.clear()


class _Matcher:
    """The write-only side of an `_Echo` (for `pa.PythonFile`)."""

    closed = False

    def __init__(self, echo: _Echo) -> None:
        self.write = echo.match

    def flush(self) -> None:
        pass
