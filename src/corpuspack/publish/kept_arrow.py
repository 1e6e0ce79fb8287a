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
    """A kept `arrow/` file placed in the version folder, checked as the build makes its rows:
    `compare(rows)` with each row group's rows, in order; `close()`: whether the file held them
    all, in the batches the writer cuts (`hf.HFWriter` with `groups`), and nothing else.
    The build's rows are written again as the writer writes them (`hf.batches_as_written`), in
    the batches it cuts, and those bytes must be the file's, byte for byte: equal bytes are equal
    values, and a file with bytes past its end, compressed buffers, other bytes under its nulls or
    any other encoding of the same values is written afresh rather than published. The file is
    read once, as it is compared, and hashed as it is read: its sha256 must be the one recorded."""

    def __init__(self, done: Written, schema: pa.Schema, batches: list[int]) -> None:
        self.done, self.same, self._sizes, self._schema = done, True, batches[::-1], schema
        self._file = _Matched(done.path, done.size)
        try:
            self._again = pa.ipc.new_stream(pa.PythonFile(self._file, mode="w"), schema)
        except (OSError, ValueError, pa.ArrowException):
            self._file.close()
            raise

    def compare(self, rows: pa.RecordBatch) -> None:
        try:
            sizes: list[int] = []
            while self.same and sum(sizes) < rows.num_rows:
                self.same = bool(self._sizes)
                if self.same:
                    sizes.append(self._sizes.pop())
            if self.same and sum(sizes) == rows.num_rows:
                for batch in batches_as_written(rows, sizes, self._schema):
                    self._again.write_batch(batch)
            self.same = self.same and sum(sizes) == rows.num_rows and not self._file.differs
        except (OSError, ValueError, pa.ArrowException):
            self.same = False

    def close(self) -> bool:
        """Whether every row compared was the file's and the file's bytes are those the build's
        rows are written as, its stream's end included, with its recorded sha256; the file is closed."""
        try:
            if self.same and not self._sizes:
                self._again.close()  # the stream's end, matched like the rest
                self.same = self._file.whole() and self._file.hexdigest() == self.done.sha256
            else:
                self.same = False
        except (OSError, ValueError, pa.ArrowException):
            self.same = False
        finally:
            self._file.close()
        return self.same


class _Matched:
    """A write-only file (for `pa.PythonFile`) whose every write is compared with the kept file's
    next bytes, read as they are compared (at most its recorded size and one byte more in all) and
    hashed as they are read. Once a write differs, the file is read no further."""

    closed = False

    def __init__(self, path: Path, size: int) -> None:
        self._file = open(path, "rb", buffering=0)  # noqa: SIM115 (closed by `close`)
        self._size, self._read = size, 0
        self._sha256, self.differs = hashlib.sha256(), False

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        if not self.differs:
            mine = self._take(len(view))
            self.differs = mine != view  # a bytearray compares with any buffer byte by byte (memcmp)
        return len(view)

    def _take(self, size: int) -> bytearray:
        """The file's next `size` bytes (fewer at its end, or past its recorded size and one byte)."""
        out = bytearray(max(0, min(size, self._size + 1 - self._read)))
        got = 0
        with memoryview(out) as into:
            while got < len(out) and (n := self._file.readinto(into[got:])):
                got += n
        del out[got:]
        self._read += got
        self._sha256.update(out)
        return out

    def whole(self) -> bool:
        """Whether every byte written was the file's, in order, and the file ends there, as long as
        recorded (a byte past what was written, even inside the recorded size, is not the writer's)."""
        return not self.differs and self._read == self._size and not self._take(1)

    def hexdigest(self) -> str:
        return self._sha256.hexdigest()

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._file.close()
