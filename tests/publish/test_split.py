"""A table written by several runs of shards (`publish.split`) holds the bytes one writer writes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from corpuspack.publish import hf_layout, parquet, split
from corpuspack.publish.kept import FOLDER, KeptShards
from corpuspack.publish.writer import plan_table, write_table
from corpuspack.tables import PARAGRAPHS

ROWS = 9_000


def rows(lo: int, hi: int) -> pa.RecordBatch:
    """Rows lo..hi of a made-up paragraphs table, texts of uneven lengths and nulls here and there."""
    at = np.arange(lo, hi)
    dropped = at % 3 == 0
    return pa.RecordBatch.from_pydict(
        {
            "doc_id": [f"doc{i // 7}" for i in at],
            "paragraph_index": pa.array(at % 7, pa.int32()),
            "text": [f"paragraph {i} " + "word " * (i * 7919 % 23) for i in at],
            "kept": pa.array(~dropped),
            "reason": pa.array(["exact" if d else None for d in dropped], pa.string()),
            "duplicate_of_doc": pa.array(
                [f"doc{i // 11}" if d else None for i, d in zip(at, dropped, strict=True)], pa.string()
            ),
            "duplicate_of_index": pa.array(at % 5, pa.int32(), mask=~dropped),
            "similarity": pa.array(np.where(at % 6 == 0, 0.9, 1.0), pa.float64(), mask=at % 2 == 1),
            "cluster_id": pa.array(at // 4, pa.int64(), mask=~dropped),
        },
        schema=PARAGRAPHS,
    )


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    ("workers", "shard_bytes", "group_rows"), [(2, 250_000, 777), (3, 200_000, 1000), (5, 170_000, 333)]
)
def test_runs_of_shards_write_what_one_writer_writes(tmp_path, monkeypatch, workers, shard_bytes, group_rows):
    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", group_rows)  # row groups that cross batches and shards
    sizes = np.array([len(rows(i, i + 1).column("text")[0].as_py()) + 64 for i in range(ROWS)])
    plan = plan_table("paragraphs", sizes, shard_bytes, 3)
    assert plan.shards >= workers
    one = tmp_path / "one"
    facts = {w.path.relative_to(one).as_posix(): w for w in write_table(plan, one, rows, lambda n: None)}

    many, pieces = tmp_path / "many", tmp_path / "pieces"
    parts = split.runs([plan], [split.shard_costs(plan, sizes)], workers)
    assert len(parts) == workers and [r.first for p in parts for r in p][1:] != [0] * (workers - 1)
    assert parts[0][0].lo == 0 and parts[-1][-1].hi == ROWS
    advanced = []
    done = [split.write_run(run, many, pieces, rows, advanced.append) for part in reversed(parts) for run in part]
    assert list(pieces.rglob("*.arrow"))  # Hugging Face shards that span two runs
    joined = split.join(plan, many, pieces, done, rows)
    assert sum(advanced) == ROWS and not list(pieces.rglob("*.arrow"))
    assert files(many) == files(one)
    assert {w.path.relative_to(many).as_posix(): w for w in joined} == {
        k: type(w)(many / k, w.size, w.sha256, w.rows) for k, w in facts.items()
    }


def test_runs_take_the_kept_shards_that_hold_their_rows_and_write_what_one_writer_writes(tmp_path):
    """Runs cut within a table, with a kept work folder (`writer.kept_or_written`): a shard kept
    under its fingerprint is taken (its kept file stays the same file), one whose fingerprint
    changed is written and kept anew; the files are one writer's."""
    sizes = np.array([len(rows(i, i + 1).column("text")[0].as_py()) + 64 for i in range(ROWS)])
    plan = plan_table("paragraphs", sizes, 250_000, 3)
    prints = [hashlib.sha256(f"shard {i}".encode()).hexdigest() for i in range(plan.shards)]
    work = tmp_path / "work"
    work.mkdir()
    one = tmp_path / "one"
    write_table(plan, one, made, lambda n: None, (KeptShards(work, "paragraphs"), prints))
    kept = {p.name: p.stat().st_ino for p in (work / FOLDER).glob("*.parquet")}
    assert len(kept) == plan.shards
    prints[-1] = hashlib.sha256(b"other rows").hexdigest()  # the last shard's rows changed
    many, pieces = tmp_path / "many", tmp_path / "pieces"
    shelf = (KeptShards(work, "paragraphs"), prints)
    costs = split.shard_costs(plan, sizes, shelf)  # a kept shard costs less: it is not encoded
    written = split.shard_costs(plan, sizes)
    assert np.array_equal(costs, np.concatenate([written[:-1] * split.TAKEN, written[-1:]]))
    parts = split.runs([plan], [costs], 3)
    assert len(parts) == 3 and not any(r.whole for p in parts for r in p)
    done = [split.write_run(run, many, pieces, made, lambda n: None, shelf) for part in parts for run in part]
    split.join(plan, many, pieces, done, made)
    shelf[0].forget_except(prints)
    assert files(many) == files(one)
    now = {p.name: p.stat().st_ino for p in (work / FOLDER).glob("*.parquet")}
    taken = {name for name, inode in now.items() if kept.get(name) == inode}
    assert taken == {f"paragraphs-{p}.parquet" for p in prints[:-1]}
    assert f"paragraphs-{prints[-1]}.parquet" in now and len(now) == plan.shards


def made(lo: int, hi: int, given: dict | None = None) -> pa.RecordBatch:
    """`rows`, as `Assembly.batch` is called: with the texts of a taken shard `given` (made again here)."""
    return rows(lo, hi)


def test_rows_too_large_for_a_batch_of_a_thousand_are_written_again_alike(tmp_path, monkeypatch):
    monkeypatch.setattr(hf_layout, "MAX_BATCH_BYTES", 20_000)  # so the table's rows "average over 100 kB"
    sizes = np.full(ROWS, 100)
    plan = plan_table("paragraphs", sizes, 300_000, 3)
    one, many, pieces = tmp_path / "one", tmp_path / "many", tmp_path / "pieces"
    write_table(plan, one, rows, lambda n: None)
    parts = split.runs([plan], [split.shard_costs(plan, sizes)], 2)
    done = [split.write_run(run, many, pieces, rows, lambda n: None) for part in parts for run in part]
    split.join(plan, many, pieces, done, rows)
    assert files(many) == files(one)
    with pa.OSFile(str(next((many / "arrow" / "paragraphs").glob("data-00000-*.arrow")))) as source:
        assert next(iter(pa.ipc.open_stream(source))).num_rows < 1000  # written again, smaller batches


def test_a_table_too_small_to_cut_stays_whole(tmp_path):
    sizes = np.full(1_500, 100)
    plan = plan_table("paragraphs", sizes, 20_000, 3)
    assert plan.shards > 2
    assert [[(r.first, r.end) for r in p] for p in split.runs([plan], [split.shard_costs(plan, sizes)], 2)] == [
        [(0, plan.shards)]
    ]
