"""Reading the spilled chunks back: key columns for dedup, rows of texts for writing.

Each read maps a chunk's file, copies what it needs and unmaps it again, so pages of text and
shingles read once do not stay in this process's resident memory for the rest of the build.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..tables import DOCUMENT_SPILL
from .chunk import TEXT_BATCH_ROWS, spill_paths


def inverse(permutation: np.ndarray, dtype: type[np.integer] = np.int64) -> np.ndarray:
    """`out[permutation[i]] = i`, as `dtype` (wide enough for `len(permutation)`)."""
    out = np.empty(len(permutation), dtype=dtype)
    out[permutation] = np.arange(len(permutation), dtype=dtype)
    return out


@contextmanager
def _mapped(path: Path) -> Iterator[pa.Table]:
    with pa.memory_map(str(path), "r") as source:
        yield pa.ipc.open_file(source).read_all()


class ParagraphFiles:
    """The spilled paragraph files of a build, read by column or by rows (small enough to send to a worker).

    `text_files`, when given, hold the `text` column (one file per chunk, rows aligned with `files`):
    compressed, and read only by `take("text")` and `text_chunk`."""

    def __init__(self, files: list[Path], chunk_starts: np.ndarray, text_files: list[Path] | None = None) -> None:
        self._paragraph_files = files
        self._chunk_starts = chunk_starts
        self._text_files = text_files

    @property
    def chunks(self) -> int:
        return len(self._paragraph_files)

    @property
    def folder(self) -> Path:
        """The work folder the spill files are in."""
        return self._paragraph_files[0].parent

    def chunk_start(self, c: int) -> int:
        """The spill row of chunk `c`'s first paragraph."""
        return int(self._chunk_starts[c])

    def chunk_of(self, rows: np.ndarray) -> np.ndarray:
        """The chunk holding each spill row."""
        return np.searchsorted(self._chunk_starts, rows, side="right") - 1

    def chunk_columns(self, c: int, names: list[str]) -> dict[str, np.ndarray]:
        """Fixed-width columns of one chunk, copied out."""
        with self.chunk(c) as table:
            return {name: np.array(table.column(name).to_numpy(), copy=True) for name in names}

    @contextmanager
    def chunk(self, c: int) -> Iterator[pa.Table]:
        with _mapped(self._paragraph_files[c]) as table:
            yield table

    def _files_of(self, name: str) -> list[Path]:
        return self._text_files if name == "text" and self._text_files is not None else self._paragraph_files

    def _rows_in(self, c: int) -> int:
        """How many paragraphs chunk `c` holds."""
        if c + 1 < len(self._chunk_starts):
            return int(self._chunk_starts[c + 1] - self._chunk_starts[c])
        with self.chunk(c) as table:
            return table.num_rows

    def text_chunk(self, c: int) -> AbstractContextManager[pa.Table]:
        """Chunk `c`'s texts (a table with a `text` column), while used."""
        return _mapped(self._files_of("text")[c])

    def _per_chunk(self, read: Callable[[pa.Table], object]) -> list:
        out = []
        for c in range(len(self._paragraph_files)):
            with self.chunk(c) as table:
                out.append(read(table))
        return out

    def column(self, name: str) -> np.ndarray:
        """A fixed-width column of every paragraph, copied out of the spill."""
        if name in self._places:
            return self._read_places(name)
        parts = self._per_chunk(lambda t: np.array(t.column(name).to_numpy(), copy=True))
        return np.concatenate(parts) if parts else np.zeros(0)

    @functools.cached_property
    def _places(self) -> dict[str, tuple[np.dtype, list[list[tuple[int, int]]]]]:
        """Where each numeric column's values (`name`) and each large string or list column's
        offsets (`name.offsets`, rows + 1 per batch) lie in the chunk files: (dtype, per chunk the
        (byte offset, count) of each record batch's). Found once, by mapping every file; a column
        is then read with one `preadv` per batch (3x faster than mapping and parsing every file
        again for each of the 25 band columns). Columns with nulls or compressed buffers are left out."""
        places: dict[str, tuple[np.dtype, list[list[tuple[int, int]]]]] = {}
        broken: set[str] = set()
        for path in self._paragraph_files:
            with pa.memory_map(str(path), "r") as source:
                size = source.size()
                base = source.read_buffer(1).address if size else 0
                reader = pa.ipc.open_file(source)
                found = _placeable(reader.schema)
                for key, (_, dtype) in found.items():
                    places.setdefault(key, (dtype, []))[1].append([])
                for b in range(reader.num_record_batches):
                    batch = reader.get_batch(b)
                    for key, (name, dtype) in found.items() if batch.num_rows else ():
                        column = batch.column(name)
                        count = len(column) + (key != name)
                        data = column.buffers()[1]
                        start = data.address - base + column.offset * dtype.itemsize if data is not None else -1
                        if column.null_count or not 0 <= start <= start + count * dtype.itemsize <= size:
                            broken.add(key)
                        else:
                            places[key][1][-1].append((start, count))
        return {k: v for k, v in places.items() if k not in broken and len(v[1]) == len(self._paragraph_files)}

    def _read_places(self, name: str) -> np.ndarray:
        dtype, chunks = self._places[name]
        out = np.empty(sum(rows for runs in chunks for _, rows in runs), dtype=dtype)
        bytes_out = memoryview(out.view(np.uint8))
        at = 0
        for path, runs in zip(self._paragraph_files, chunks, strict=True):
            fd = os.open(path, os.O_RDONLY)
            try:
                for start, rows in runs:
                    end = at + rows * dtype.itemsize
                    while at < end:
                        got = os.preadv(fd, [bytes_out[at:end]], start)
                        if got <= 0:
                            raise OSError(f"{path}: spill file shorter than its own index")
                        at, start = at + got, start + got
            finally:
                os.close(fd)
        return out

    def lengths(self, name: str) -> np.ndarray:
        """Length of every paragraph's value in a string or list column: UTF-8 bytes of a text,
        items of a list (reads the offsets, not the values)."""
        if f"{name}.offsets" in self._places:
            offsets = self._read_places(f"{name}.offsets")
            counts = [count for runs in self._places[f"{name}.offsets"][1] for _, count in runs]
            return np.delete(np.diff(offsets), np.cumsum(counts, dtype=np.int64)[:-1] - 1)

        def read(table: pa.Table) -> np.ndarray:
            column = table.column(name)
            length = pc.list_value_length if pa.types.is_large_list(column.type) else pc.binary_length
            return np.array(length(column).to_numpy(), copy=True)

        parts = self._per_chunk(read)
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)

    def take(self, name: str, rows: np.ndarray) -> pa.Array:
        """Rows of one column, in the order given; each chunk is mapped once and the rows copied out.

        A run of consecutive rows (texts in a spill already in order, say) is sliced and copied
        once, with the others; rows that visit the chunks in order are not reordered at the end.
        """
        chunk = self.chunk_of(rows)
        in_order = bool(np.all(chunk[1:] >= chunk[:-1]))
        order = np.arange(len(rows)) if in_order else np.argsort(chunk, kind="stable")
        pieces: list[pa.Array] = []
        files = self._files_of(name)
        for part in np.split(order, np.flatnonzero(np.diff(chunk[order])) + 1) if len(rows) else []:
            c = int(chunk[part[0]])
            local = rows[part] - self._chunk_starts[c]
            few = _few_batches(files[c], local, self._rows_in(c)) if name == "text" and self._text_files else None
            if few is not None:
                pieces.append(few)
                continue
            with _mapped(files[c]) as table:
                column = table.column(name)
                if local[-1] - local[0] == len(local) - 1 and np.all(np.diff(local) == 1):
                    pieces += column.slice(int(local[0]), len(local)).chunks  # a slice outlives the mapping
                else:
                    pieces.append(column.take(pa.array(local, pa.int64())).combine_chunks())
        if not pieces:
            with _mapped(files[0]) as table:
                return pa.array([], table.schema.field(name).type)
        taken = pa.concat_arrays(pieces)  # a copy, even of one piece: nothing still points into a mapping
        return taken if in_order else taken.take(pa.array(inverse(order), pa.int64()))


def _few_batches(path: Path, local: np.ndarray, rows: int) -> pa.Array | None:
    """The texts at `local` rows of a text file of `rows` rows, decompressing only the record
    batches that hold them (batches of `TEXT_BATCH_ROWS`; the confirmation of near duplicates reads
    a few rows of every chunk). None when most batches are wanted, or the file is not cut as
    expected: as many batches as `rows` makes, each wanted one of the size it should have (a file
    cut evenly otherwise fails one of the two)."""
    wanted = np.unique(local // TEXT_BATCH_ROWS)
    count = -(-rows // TEXT_BATCH_ROWS)
    with pa.memory_map(str(path), "r") as source:
        reader = pa.ipc.open_file(source)
        if 2 * len(wanted) > count or wanted[-1] >= count or reader.num_record_batches != count:
            return None
        batches = [reader.get_batch(int(b)) for b in wanted]
        sizes = [min(TEXT_BATCH_ROWS, rows - int(b) * TEXT_BATCH_ROWS) for b in wanted]
        if [batch.num_rows for batch in batches] != sizes:
            return None
        texts = pa.concat_arrays([batch.column(0) for batch in batches])  # a copy, out of the mapping
    at = np.searchsorted(wanted, local // TEXT_BATCH_ROWS) * TEXT_BATCH_ROWS + local % TEXT_BATCH_ROWS
    return texts.take(pa.array(at, pa.int64()))


class Spill(ParagraphFiles):
    """All chunks of one build: document ids in memory, the rest of the documents table when the
    writer asks for it, the paragraphs read on demand."""

    def __init__(self, folder: Path, keys: list[str], contents: list[str] | None = None) -> None:
        self.keys = list(keys)  # the chunks' keys, in order
        # Each chunk's key with its files' sha256 (`stages.read.content_key`): what fingerprints name.
        self.contents = list(contents) if contents is not None else self.keys
        paths = [spill_paths(folder, key) for key in keys]
        super().__init__([p for _, p, _ in paths], np.zeros(0, dtype=np.int64), [t for _, _, t in paths])
        self._doc_files = [d for d, _, _ in paths]
        only_id = pa.ipc.IpcReadOptions(included_fields=[DOCUMENT_SPILL.get_field_index("id")])
        ids = []
        for doc_path in self._doc_files:
            with pa.OSFile(str(doc_path)) as source:
                ids.append(pa.ipc.open_file(source, options=only_id).read_all().column("id"))
        self.ids = pa.chunked_array(ids, pa.string()).combine_chunks()  # by spill row
        self._doc_counts = np.array([len(chunk) for chunk in ids], dtype=np.int64)
        self._counts = np.array(self._per_chunk(lambda table: table.num_rows), dtype=np.int64)
        self._chunk_starts = np.concatenate([[0], np.cumsum(self._counts)[:-1]]).astype(np.int64)

    @functools.cached_property
    def documents(self) -> pa.Table:
        """The documents table (metadata), by spill row; read when first asked for."""
        tables = []
        for doc_path in self._doc_files:
            with pa.OSFile(str(doc_path)) as source:
                tables.append(pa.ipc.open_file(source).read_all())
        return pa.concat_tables(tables).combine_chunks()

    def document_column(self, name: str) -> pa.ChunkedArray:
        """One column of the documents table, by spill row."""
        parts = []
        only = pa.ipc.IpcReadOptions(included_fields=[DOCUMENT_SPILL.get_field_index(name)])
        for doc_path in self._doc_files:
            with pa.OSFile(str(doc_path)) as source:
                parts.append(pa.ipc.open_file(source, options=only).read_all().column(name))
        return pa.chunked_array([c for part in parts for c in part.chunks], parts[0].type if parts else pa.string())

    def document_chunks(self) -> Iterator[tuple[int, AbstractContextManager[pa.Table]]]:
        """(first document row, the chunk's documents table, mapped while used) for each chunk."""
        starts = np.concatenate([[0], np.cumsum(self._doc_counts)[:-1]]).astype(np.int64)
        return ((int(start), _mapped(path)) for start, path in zip(starts, self._doc_files, strict=True))

    def doc_of_paragraph(self) -> np.ndarray:
        """The spill row of each paragraph's document."""
        doc_offsets = np.concatenate([[0], np.cumsum(self._doc_counts)[:-1]]).astype(np.int64)
        return self.column("doc").astype(np.int64) + np.repeat(doc_offsets, self._counts)

    def __len__(self) -> int:
        return int(self._counts.sum())

    def paragraph_files(self) -> ParagraphFiles:
        """The paragraph files alone, without the documents table."""
        return ParagraphFiles(self._paragraph_files, self._chunk_starts, self._text_files)


def _placeable(schema: pa.Schema) -> dict[str, tuple[str, np.dtype]]:
    """Buffers `ParagraphFiles._places` can find: key -> (column, dtype of the buffer's items)."""
    found = {}
    for f in schema:
        if pa.types.is_integer(f.type) or pa.types.is_floating(f.type):
            found[f.name] = (f.name, np.dtype(f.type.to_pandas_dtype()))
        elif pa.types.is_large_string(f.type) or pa.types.is_large_binary(f.type) or pa.types.is_large_list(f.type):
            found[f"{f.name}.offsets"] = (f.name, np.dtype(np.int64))
    return found
