"""What one shard task needs of the `Assembly`: the slices of the order and the ledger for its rows.

Sending the whole assembly (the order and the ledger: about 50 bytes a paragraph) to every task put
a pickled copy and an object-store copy of every column on the driver. A shard's part holds the
per-document columns over its own rows and, for the paragraphs it names as duplicated, the few
values it looks up elsewhere; its per-paragraph columns are read by the task itself from a file
the driver writes once into the work folder (`write_columns`), so the driver puts no column of
paragraphs into the object store. Rows are still made by `Assembly.batch`, so the bytes are the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..dedup.ledger import Ledger
from ..pipeline.assemble import Assembly
from ..pipeline.order import Order
from ..pipeline.ordered import SpillDocuments
from ..pipeline.spill import ParagraphFiles, Spill
from ..publish.writer import TablePlan


class Window:
    """An array's values at indexes lo..lo+len(values), and at a few sorted indexes `at` elsewhere
    (`elsewhere`): indexed with the global indexes as the whole array would be."""

    def __init__(
        self, values: np.ndarray, lo: int, at: np.ndarray | None = None, elsewhere: np.ndarray | None = None
    ) -> None:
        self.values, self.lo = values, lo
        self.at = np.zeros(0, dtype=np.int64) if at is None else at
        self.elsewhere = values[:0] if elsewhere is None else elsewhere

    @classmethod
    def of(cls, array: np.ndarray, lo: int, hi: int, at: np.ndarray | None = None) -> Window:
        """`array` over lo..hi, and at the indexes `at` outside it."""
        if at is None:
            return cls(array[lo:hi], lo)
        at = np.unique(at[(at < lo) | (at >= hi)])
        return cls(array[lo:hi], lo, at, array[at])

    @classmethod
    def stored(
        cls, columns: Columns, name: str, array: np.ndarray, lo: int, hi: int, at: np.ndarray | None = None
    ) -> StoredWindow:
        """As `of`, but lo..hi read from `columns` (a copy of `array`) where the window is used."""
        at = np.zeros(0, dtype=np.int64) if at is None else np.unique(at[(at < lo) | (at >= hi)])
        return StoredWindow(columns, name, lo, hi, at, array[at])

    def __len__(self) -> int:  # as the whole array's (`Assembly.batch` never asks for more)
        return self.lo + len(self.values)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            if key.step not in (None, 1) or key.start is None or key.start < self.lo:
                raise IndexError(f"{key} outside this window from {self.lo}")
            return self.values[key.start - self.lo : None if key.stop is None else key.stop - self.lo]
        if np.isscalar(key):
            return self[np.array([key])][0]
        key = np.asarray(key, dtype=np.int64)
        inside = (key >= self.lo) & (key < self.lo + len(self.values))
        out = np.empty(len(key), dtype=self.values.dtype)
        out[inside] = self.values[key[inside] - self.lo]
        outside = key[~inside]
        found = np.searchsorted(self.at, outside)
        missing = found >= len(self.at)
        if len(outside) and (missing.any() or np.any(self.at[found] != outside)):
            raise IndexError("an index outside this window and not among its other values")
        out[~inside] = self.elsewhere[found]
        return out

    def __eq__(self, other: object) -> Window:  # type: ignore[override]
        return Window(self.values == other, self.lo, self.at, self.elsewhere == other)


class StoredWindow(Window):
    """A `Window` whose values over lo..hi are read from a `Columns` file when first used (so they
    travel to a task as a file name and two numbers)."""

    def __init__(self, columns: Columns, name: str, lo: int, hi: int, at: np.ndarray, elsewhere: np.ndarray) -> None:
        self.columns, self.name, self.lo, self.hi, self.at, self.elsewhere = columns, name, lo, hi, at, elsewhere

    @property
    def values(self) -> np.ndarray:  # type: ignore[override]
        if "_values" not in self.__dict__:
            self.__dict__["_values"] = self.columns.read(self.name, self.lo, self.hi)
        return self.__dict__["_values"]

    def __len__(self) -> int:
        return self.hi

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_values"}


class Columns:
    """Per-paragraph columns of the order and the ledger, in global order, in one Arrow file of the
    work folder (written by the driver once, read by slices in the shard tasks)."""

    NAME = "ledger.arrow"

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def write(cls, work: Path, order: Order, ledger: Ledger) -> Columns:
        """The file, from the driver's arrays without copying them (Arrow wraps numpy buffers)."""
        table = pa.table(
            {
                "rows": order.rows,
                "doc_rank": order.doc_rank,
                "reason": ledger.reason,
                "duplicate_of": ledger.duplicate_of,
                "cluster": ledger.cluster,
            }
        )
        path = work / cls.NAME
        path.unlink(missing_ok=True)  # a name of corpuspack's own in its own folder (`workdir`)
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table, max_chunksize=1 << 20)
        return cls(path)

    def read(self, name: str, lo: int, hi: int) -> np.ndarray:
        with pa.memory_map(str(self.path), "r") as source:
            column = pa.ipc.open_file(source).read_all().column(name).slice(lo, hi - lo)
            return np.array(column.to_numpy(), copy=True)


class RankIds:
    """Document ids of some ranks, taken by rank as from the array of all ids."""

    def __init__(self, ids: pa.Array, ranks: np.ndarray) -> None:
        self.ranks = np.unique(ranks)
        self.ids = ids.take(pa.array(self.ranks, pa.int64()))

    def take(self, ranks: pa.Array) -> pa.Array:
        return self.ids.take(pa.array(np.searchsorted(self.ranks, np.asarray(ranks)), pa.int64()))


def part(assembly: Assembly, spill: Spill, plan: TablePlan, index: int, columns: Columns) -> Assembly:
    """The part of `assembly` that makes the rows of shard `index` of `plan`'s table; its
    per-paragraph columns are read from `columns` by the task."""
    cuts = plan.groups[index]
    lo, hi = cuts[0], cuts[-1]
    order, ledger = assembly.order, assembly.ledger
    out = Assembly.__new__(Assembly)  # the same `batch`, on windows of the columns
    out.document_schema = assembly.document_schema
    if plan.table == "documents":
        ranks = assembly.published[lo:hi]
        first, last = (int(ranks[0]), int(ranks[-1]) + 1) if len(ranks) else (0, 0)
        start, stop = int(order.doc_start[first]), int(order.doc_start[last])
        out.published = Window.of(assembly.published, lo, hi)
        out.order = Order(
            Window.of(order.doc_rows, first, last), Window.stored(columns, "rows", order.rows, start, stop), None,
            Window.of(order.doc_start, first, last + 1),
        )  # fmt: skip
        reason = Window.stored(columns, "reason", ledger.reason, start, stop)
        out.ledger = Ledger(reason, None, None, ledger.near[:0], ledger.near_similarity[:0])  # type: ignore[arg-type]
        out.documents = SpillDocuments(spill, out.order.doc_rows)
        out.ids = None
    else:
        dup = ledger.duplicate_of[lo:hi]
        named = np.append(dup[dup >= 0], 0)  # rows naming none look up position 0 (`paragraph_batch`)
        doc_rank = Window.stored(columns, "doc_rank", order.doc_rank, lo, hi, named)
        own = order.doc_rank[lo:hi]
        first, last = (int(own[0]), int(own[-1]) + 1) if len(own) else (0, 0)
        doc_start = Window.of(order.doc_start, first, last, doc_rank.elsewhere)
        a, b = np.searchsorted(ledger.near, [lo, hi])
        out.order = Order(None, Window.stored(columns, "rows", order.rows, lo, hi), doc_rank, doc_start)
        out.ledger = Ledger(
            Window.stored(columns, "reason", ledger.reason, lo, hi),
            Window.stored(columns, "duplicate_of", ledger.duplicate_of, lo, hi),
            Window.stored(columns, "cluster", ledger.cluster, lo, hi),
            ledger.near[a:b], ledger.near_similarity[a:b],
        )  # fmt: skip
        out.ids = RankIds(assembly.ids, np.concatenate([own, doc_rank.elsewhere]))
        out.documents = None
    out.texts = _Texts(spill.paragraph_files(), out.order.rows)
    return out


class _Texts:
    """Texts of positions lo..hi, read from the spill (a shard's row group at a time)."""

    def __init__(self, files: ParagraphFiles, rows: Window) -> None:
        self.files, self.rows = files, rows

    def __call__(self, lo: int, hi: int) -> pa.Array:
        if hi == lo:
            return pa.array([], pa.large_string())
        return self.files.take("text", self.rows[lo:hi])
