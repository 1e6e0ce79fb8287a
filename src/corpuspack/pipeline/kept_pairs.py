"""Near-duplicate candidates' similarities kept in the work folder from one build to the next.

Confirming a candidate pair is an exact Jaccard of two shingle sets made from their texts, and a
build after a few seeds were added has nearly the same candidate pairs among its unchanged
chunks. `shingles/pairs.arrow` (beside the kept sets, `kept_sets`) holds every pair the last build
scored, each paragraph named by its chunk's key and its row within the chunk, with the
similarity; the next build scores only the pairs it does not hold. A chunk's content key names
its files' sha256 and every setting its spill depends on (`stages.read.content_key`), so a pair
of two kept chunks' rows has the similarity it had.

The kept file is hostile input: it is taken only when it is a plain file of a bounded size, an
uncompressed Arrow file (`kept_ipc`) of `SCHEMA` without nulls, its rows inside their chunks and
its similarities in [0, 1]; anything else is ignored and every pair scored again. (A similarity
cannot be checked short of scoring it again: like the kept sets' hashes, it is trusted once its
shape is.)
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pyarrow as pa

from . import kept_ipc
from .kept_sets import FOLDER
from .spill import Spill

NAME = "pairs.arrow"
KEY = pa.dictionary(pa.int32(), pa.string())
SCHEMA = pa.schema(
    [("a_chunk", KEY), ("a_row", pa.int32()), ("b_chunk", KEY), ("b_row", pa.int32()), ("similarity", pa.float64())]
)
BYTES_PER_PAIR = 64  # a kept file larger than this per pair scored now, or per paragraph, is not ours


class KeptPairs:
    """The similarities of candidate pairs, by the pair's spill rows: those the work folder kept,
    then those scored in this build (`add`), kept for the next build by `save`."""

    def __init__(self, spill: Spill) -> None:
        self.spill = spill
        self._codes, self._sims = np.zeros(0, dtype=np.int64), np.zeros(0)  # sorted by code
        self._loaded = False

    def _code(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """One int64 per unordered pair of spill rows (a pair's Jaccard does not depend on its order)."""
        lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
        return lo * np.int64(len(self.spill)) + hi

    def lookup(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For the pairs of spill rows (`a[i]`, `b[i]`): whether each is held, and its similarity (0 if not)."""
        if not self._loaded:
            self._loaded = True
            self._merge(*self._load(max(len(a), len(self.spill))))
        codes = self._code(a, b)
        at = np.minimum(np.searchsorted(self._codes, codes), max(len(self._codes) - 1, 0))
        held = self._codes[at] == codes if len(self._codes) else np.zeros(len(codes), dtype=bool)
        return held, np.where(held, self._sims[at] if len(self._codes) else 0.0, 0.0)

    def add(self, a: np.ndarray, b: np.ndarray, similarity: np.ndarray) -> None:
        """Pairs scored in this build, held for a later `lookup`."""
        self._merge(self._code(a, b), similarity)

    def save(self, a: np.ndarray, b: np.ndarray, similarity: np.ndarray) -> None:
        """Keep the pairs of spill rows (`a`, `b`) with their similarity for the next build, in place of
        what was kept (pairs no longer candidates are dropped)."""
        folder, keys, starts = self.spill.folder / FOLDER, pa.array(self.spill.contents, pa.string()), self._starts()
        folder.mkdir(exist_ok=True)
        columns = []
        for rows in (a, b):
            chunk = self.spill.chunk_of(rows)
            local = pa.array(rows - starts[chunk], pa.int32())
            columns += [pa.DictionaryArray.from_arrays(pa.array(chunk, pa.int32()), keys), local]
        table = pa.Table.from_arrays([*columns, pa.array(similarity, pa.float64())], schema=SCHEMA)
        tmp = folder / (NAME + ".tmp")
        if _planted(tmp) or _planted(folder / NAME):
            return  # not corpuspack's to replace: nothing is kept (the next build scores every pair)
        tmp.unlink(missing_ok=True)
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, SCHEMA) as writer:
            writer.write_table(table, max_chunksize=max(1, len(table)))
        tmp.replace(folder / NAME)

    def _merge(self, codes: np.ndarray, sims: np.ndarray) -> None:
        codes = np.concatenate([self._codes, codes])
        sims = np.concatenate([self._sims, sims])
        order = np.argsort(codes, kind="stable")
        codes, sims = codes[order], sims[order]
        first = np.concatenate([[True], codes[1:] != codes[:-1]]) if len(codes) else np.zeros(0, dtype=bool)
        self._codes, self._sims = codes[first], sims[first]

    def _load(self, scale: int) -> tuple[np.ndarray, np.ndarray]:
        """The kept pairs whose chunks are both in this build, as codes and similarities; none when
        the file is not one this module wrote."""
        none = np.zeros(0, dtype=np.int64), np.zeros(0)
        path = self.spill.folder / FOLDER / NAME
        try:
            table = kept_ipc.read(path, BYTES_PER_PAIR * scale + (1 << 16))
            if table is None or not table.schema.equals(SCHEMA) or not table.num_rows:
                return none
            if any(c.null_count for c in table.columns):
                return none
            table = table.unify_dictionaries().combine_chunks()
            rows = [self._rows(table.column(f"{s}_chunk").chunk(0), table.column(f"{s}_row")) for s in "ab"]
            similarity = table.column("similarity").to_numpy()
        except (OSError, ValueError, pa.ArrowException):
            return none
        if len(similarity) and not (np.all(similarity >= 0) and np.all(similarity <= 1)):  # NaN fails both
            return none
        known = (rows[0] >= 0) & (rows[1] >= 0)
        a, b = rows[0][known], rows[1][known]
        codes = self._code(a, b)
        if np.any(a == b) or len(np.unique(codes)) != len(codes):  # never written so: not this module's
            return none
        return codes, similarity[known]

    def _rows(self, chunk: pa.DictionaryArray, row: pa.ChunkedArray) -> np.ndarray:
        """Spill rows of the kept (chunk key, row) pairs: -1 where the chunk is not in this build, or
        the row is not inside it; a row out of range makes the file unsound (ValueError)."""
        index = {key: c for c, key in enumerate(self.spill.contents)}
        mine = np.array([index.get(key, -1) for key in chunk.dictionary.to_pylist()], dtype=np.int64)
        if len(mine) == 0:
            return np.zeros(len(chunk), dtype=np.int64) - 1
        codes = chunk.indices.to_numpy()
        if len(codes) and (codes.min() < 0 or codes.max() >= len(mine)):
            raise ValueError("a chunk index out of its dictionary")
        here = mine[codes]
        local = row.to_numpy().astype(np.int64)
        starts = self._starts()
        inside = (here >= 0) & (local >= 0) & (local < (starts[here + 1] - starts[here]))
        if np.any((here >= 0) & ~inside):
            raise ValueError("a row outside its chunk")
        return np.where(inside, starts[np.maximum(here, 0)] + local, -1)

    def _starts(self) -> np.ndarray:
        """Each chunk's first spill row, and the spill's length."""
        return np.array([*(self.spill.chunk_start(c) for c in range(self.spill.chunks)), len(self.spill)], np.int64)


def _planted(path: Path) -> bool:
    """Whether `path` is a folder (a file is replaced, a symlink refused with the work folder)."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False
