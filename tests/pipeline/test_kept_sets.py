"""Candidates' shingle sets kept in the work folder by chunk key: a later build makes only the sets no
kept file holds; a kept file that is not sound is ignored and its sets made again, same bytes out."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from conftest import run

from corpuspack import build, load_config
from corpuspack.pipeline import candidates, kept_pairs, kept_sets
from corpuspack.pipeline.spill import Spill
from corpuspack.stages.read import content_key
from corpuspack.tuning import Tuning

TUNING = Tuning(chunk_files=3, split_sets_from=1)


def _spill(work: Path) -> Spill:
    """The work folder's spill, its chunks with the content keys kept sets are named by."""
    markers = sorted((json.loads(p.read_text()) for p in work.glob("chunk-*.done")), key=lambda m: m["key"])
    contents = [content_key(m["key"], pa.table({k: m["seeds"][k] for k in ("path", "sha256")})) for m in markers]
    return Spill(work, [m["key"] for m in markers], contents)


def _kept_rows(spill: Spill) -> list[tuple[int, np.ndarray]]:
    """(chunk, spill rows) of every kept set."""
    out = []
    for c in range(spill.chunks):
        table = kept_sets.load(spill, c)
        if table is not None and table.num_rows:
            out.append((c, table.column("row").to_numpy() + spill.chunk_start(c)))
    return out


def _write(path: Path, table: pa.Table, compression: str | None = None) -> None:
    path.unlink()
    options = pa.ipc.IpcWriteOptions(compression=compression)
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema, options=options) as writer:
        writer.write_table(table)


def _rows(table: pa.Table, rows: list[int]) -> pa.Table:
    return table.set_column(0, "row", pa.array(rows, pa.int64()))


TAMPER = {
    "bytes": lambda path, table: path.write_bytes(b"\xff" * 100),
    "compressed": lambda path, table: _write(path, table, "zstd"),  # could declare gigabytes in a few kB
    "row past the chunk": lambda path, table: _write(path, _rows(table, [*range(table.num_rows - 1), 10**9])),
    "rows descending": lambda path, table: _write(
        path, _rows(pa.concat_tables([table, table.slice(0, 1)]), list(range(table.num_rows, -1, -1)))
    ),
    "rows repeated": lambda path, table: _write(path, pa.concat_tables([table, table])),
    "other schema": lambda path, table: _write(path, table.rename_columns(["r", "s"])),
    "null set": lambda path, table: _write(
        path, table.set_column(1, "shingles", pa.nulls(table.num_rows, table.schema.field(1).type))
    ),
}


@pytest.mark.parametrize("tamper", TAMPER)
def test_kept_sets_spare_making_them_again_and_unsound_ones_are_made_again(planted: Path, tmp_path: Path, tamper: str):
    work = tmp_path / "work"
    config = load_config(planted)
    build(out=tmp_path / "first", work=work, config=config, workers=2, tuning=TUNING)
    spill = _spill(work)
    kept = _kept_rows(spill)
    assert kept and kept_sets.missing(spill, kept) == []  # every candidate's set is kept
    for c, _ in kept:
        path = kept_sets.kept_path(work, spill.contents[c])
        with pa.memory_map(str(path)) as source:
            table = pa.ipc.open_file(source).read_all()
        TAMPER[tamper](path, table)
    assert [c for c, _ in kept_sets.missing(spill, kept)] == [c for c, _ in kept]  # none taken
    (work / kept_sets.FOLDER / kept_pairs.NAME).unlink()  # else every pair is held: no set is made
    again = build(out=tmp_path / "again", work=work, config=config, workers=2, tuning=TUNING).out
    full = run(planted, tmp_path, "full", tuning=TUNING)
    for path in full.rglob("*"):
        if path.is_file():
            assert path.read_bytes() == (again / path.relative_to(full)).read_bytes(), path
    assert kept_sets.missing(spill, kept) == []  # kept anew
    sets = tmp_path / "sets"
    sets.mkdir()
    for group in candidates.groups(kept):
        candidates.write_sets(spill, group, config.dedup, sets)
    for c, _ in kept:  # the kept sets are those made from the texts
        with (
            pa.memory_map(str(candidates.sets_path(sets, c))) as a,
            pa.memory_map(str(kept_sets.kept_path(work, spill.contents[c]))) as b,
        ):
            made, held = pa.ipc.open_file(a).read_all(), pa.ipc.open_file(b).read_all()
        assert made.column("shingles").equals(held.column("shingles"))


def test_a_chunk_that_gained_no_sets_keeps_its_file_untouched(planted: Path, tmp_path: Path):
    work = tmp_path / "work"
    config = load_config(planted)
    first = build(out=tmp_path / "first", work=work, config=config, workers=2, tuning=TUNING).out
    folder = work / kept_sets.FOLDER

    def sets() -> dict[str, tuple[int, int]]:
        return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.glob("shingles-*.arrow")}

    files = sets()
    assert files
    (folder / kept_pairs.NAME).unlink()  # every pair scored again, every candidate's set asked for
    again = build(out=tmp_path / "again", work=work, config=config, workers=2, tuning=TUNING).out
    assert sets() == files
    for path in first.rglob("*"):
        if path.is_file():
            assert path.read_bytes() == (again / path.relative_to(first)).read_bytes(), path


def test_the_sets_of_a_chunk_that_gained_none_are_read_where_they_are_kept(planted: Path, tmp_path: Path):
    """They were copied into the build's `sets/` (read, renumbered, sorted and written) at every
    build; `CandidateSets` reads them from the kept file, the rows those just made would have."""
    from functools import partial

    work = tmp_path / "work"
    config = load_config(planted)
    build(out=tmp_path / "first", work=work, config=config, workers=2, tuning=TUNING)
    spill = _spill(work)
    kept = _kept_rows(spill)
    assert kept and kept_sets.missing(spill, kept) == []
    folder = tmp_path / "sets"
    folder.mkdir()
    kept_sets.join(spill, folder, kept)  # none made: nothing to join
    assert list(folder.iterdir()) == []
    made = tmp_path / "made"
    made.mkdir()
    for group in candidates.groups(kept):
        candidates.write_sets(spill, group, config.dedup, made)
    rows = np.concatenate([r for _, r in kept])
    rng = np.random.default_rng(7)
    for asked in (rows, rng.permutation(rows)[: len(rows) // 2], rows[::3]):
        held = candidates.CandidateSets(spill, folder, partial(kept_sets.held, spill))(asked)
        fresh = candidates.CandidateSets(spill, made)(asked)
        assert np.array_equal(held[0], fresh[0]) and np.array_equal(held[1], fresh[1])
    kept_sets.kept_path(work, spill.contents[kept[0][0]]).write_bytes(b"\xff" * 100)  # gone meanwhile
    with pytest.raises(ValueError, match="no longer read"):
        candidates.CandidateSets(spill, folder, partial(kept_sets.held, spill))(kept[0][1])
