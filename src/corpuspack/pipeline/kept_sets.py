"""Candidates' shingle sets kept in the work folder from one build to the next, by chunk key.

Making a candidate's shingle set again from its text (`candidates.write_sets`) is most of what
confirming near duplicates costs, and a build after a few seeds were added has nearly the same
candidates in its unchanged chunks. `shingles/shingles-KEY.arrow` holds the sets the last build
made for the chunk of content key KEY (`stages.read.content_key`: a file rewritten with its size
and mtime kept changes it), its rows numbered within the chunk; the next build makes only the
sets of rows no kept file holds, and each chunk's sets file is those and the kept ones together.

Kept files are hostile input: one is taken only when it is a plain file, an uncompressed Arrow
file (`kept_ipc`) of the sets schema, its rows distinct, ascending and inside the chunk, with no
null set; anything else is ignored and its sets made again. (A set's hashes cannot be checked
short of making it again: like the spill's band keys, they are trusted once their shape is.)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa

from . import kept_ipc
from .candidates import SETS, sets_path
from .spill import Spill

FOLDER = "shingles"


def kept_path(work: Path, key: str) -> Path:
    return work / FOLDER / f"shingles-{key}.arrow"


def load(spill: Spill, chunk: int) -> pa.Table | None:
    """Chunk `chunk`'s kept sets (rows within the chunk), or None when there are none sound."""
    path = kept_path(spill.folder, spill.contents[chunk])
    try:
        table = kept_ipc.read(path)
        if table is None or not table.schema.equals(SETS):
            return None
        if table.column("shingles").null_count or table.column("row").null_count:
            return None
        rows = table.column("row").to_numpy()
        size = spill.chunk_start(chunk + 1) if chunk + 1 < spill.chunks else len(spill)
        if len(rows) and (rows[0] < 0 or rows[-1] >= size - spill.chunk_start(chunk) or np.any(np.diff(rows) <= 0)):
            return None
        return table.combine_chunks()
    except (OSError, ValueError, pa.ArrowException):
        return None


def missing(spill: Spill, chunks: list[tuple[int, np.ndarray]]) -> list[tuple[int, np.ndarray]]:
    """Of `by_chunk`'s (chunk, rows), the rows no kept file holds (chunks with none left out)."""
    todo = []
    for chunk, rows in chunks:
        table = load(spill, chunk)
        if table is not None:
            rows = rows[~np.isin(rows, table.column("row").to_numpy() + spill.chunk_start(chunk))]
        if len(rows):
            todo.append((chunk, rows))
    return todo


def join(spill: Spill, folder: Path, chunks: list[tuple[int, np.ndarray]]) -> None:
    """Make each chunk's sets file in `folder` that gained sets (`missing`) hold its kept sets as
    well, and keep them all in the work folder for the next build; kept files of chunks no longer
    in the build are removed. A chunk that gained none has no file in `folder`: its sets are read
    from its kept file where it lies (`held`), not copied."""
    (spill.folder / FOLDER).mkdir(exist_ok=True)
    for chunk, _ in chunks:
        start, path = spill.chunk_start(chunk), sets_path(folder, chunk)
        if not path.exists():  # every row's set was kept (`missing` found the kept file sound)
            continue
        kept = load(spill, chunk)
        with pa.memory_map(str(path), "r") as source:
            made = pa.ipc.open_file(source).read_all()
        table = made if kept is None else pa.concat_tables([_renumbered(kept, start), made]).sort_by("row")
        if kept is not None:
            _write(table, path)
        _write(_renumbered(table, -start), kept_path(spill.folder, spill.contents[chunk]))
    forget(spill)


def held(spill: Spill, chunk: int) -> pa.Table | None:
    """Chunk `chunk`'s kept sets with the spill's row numbers (`candidates.CandidateSets`' `kept`)."""
    kept = load(spill, chunk)
    return None if kept is None else _renumbered(kept, spill.chunk_start(chunk))


def forget(spill: Spill) -> None:
    """Remove the kept sets of chunks no longer in the build (a build that made no sets too)."""
    if not (spill.folder / FOLDER).is_dir():
        return
    wanted = {kept_path(spill.folder, key).name for key in spill.contents}
    for entry in os.scandir(spill.folder / FOLDER):
        if entry.name not in wanted and entry.name.startswith("shingles-") and entry.is_file(follow_symlinks=False):
            os.unlink(entry.path)


def _renumbered(table: pa.Table, by: int) -> pa.Table:
    return table.set_column(0, SETS.field("row"), pa.array(table.column("row").to_numpy() + by, pa.int64()))


def _write(table: pa.Table, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, SETS) as writer:
        writer.write_table(table, max_chunksize=64 * 1024)
    tmp.replace(path)
