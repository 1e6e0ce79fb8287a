"""Our Hugging Face artifacts are the bytes `datasets.Dataset.save_to_disk` writes for the same rows."""

from __future__ import annotations

import datetime
import hashlib
import json
import random
from itertools import pairwise
from pathlib import Path

import datasets
import pyarrow as pa
import pytest

from corpuspack.publish.checksums import Written
from corpuspack.publish.hf import HFWriter
from corpuspack.publish.hf_layout import features
from corpuspack.tables import DOCUMENTS, PARAGRAPHS, TABLES


def documents(n: int, text_bytes: int, rng: random.Random) -> pa.Table:
    words = ["river", "Zürich", "council", "budget", "naïve", "vote", "2024", "—", "school"]

    def text() -> str:
        phrase = " ".join(rng.sample(words, len(words)))
        return (phrase + " ") * (text_bytes // (len(phrase) + 1) + 1)

    rows = {
        "id": [f"doc-{i:06d}" for i in range(n)],
        "title": [None if i % 7 == 0 else text()[:40] for i in range(n)],
        "source": [rng.choice(["Herald", "Post", None]) for _ in range(n)],
        "url": [None if i % 3 else f"https://example.org/{i}" for i in range(n)],
        "date": [None if i % 5 == 0 else datetime.date(2020, 1, 1) + datetime.timedelta(days=i) for i in range(n)],
        "language": ["en"] * n,
        "license": [rng.choice(["CC-BY-4.0", "other"]) for _ in range(n)],
        "text": [text() for _ in range(n)],
        "n_paragraphs": [rng.randrange(10) for _ in range(n)],
        "n_dropped": [rng.randrange(3) for _ in range(n)],
        "text_sha256": ["0" * 64] * n,
        "seed_path": [f"seeds/{i}.txt" for i in range(n)],
        "seed_sha256": ["f" * 64] * n,
        "authors": [None if i % 4 == 0 else [text()[:12] for _ in range(i % 3)] for i in range(n)],
        "tags": [[] if i % 2 else ["a", "b"] for i in range(n)],
    }
    return pa.table(rows, schema=DOCUMENTS)


def paragraphs(n: int, rng: random.Random) -> pa.Table:
    reasons = [None, None, None, "exact", "near_duplicate", "boilerplate"]
    reason = [rng.choice(reasons) for _ in range(n)]
    rows = {
        "doc_id": [f"doc-{i // 9:06d}" for i in range(n)],
        "paragraph_index": [i % 9 for i in range(n)],
        "text": [f"Paragraph {i} says something about the river." for i in range(n)],
        "kept": [r is None for r in reason],
        "reason": reason,
        "duplicate_of_doc": [None if r is None else "doc-000001" for r in reason],
        "duplicate_of_index": [None if r is None else 2 for r in reason],
        "similarity": [0.83 if r == "near_duplicate" else None for r in reason],
        "cluster_id": [None if r is None else 1234567890123 for r in reason],
    }
    return pa.table(rows, schema=PARAGRAPHS)


def batches(table: pa.Table, sizes: list[int]) -> list[pa.RecordBatch]:
    """`table` cut into batches of the given sizes (the last takes the rest), each built by `take`
    into buffers of its own, as the build's row groups are."""
    out, start = [], 0
    for size in [*sizes, table.num_rows]:
        if start >= table.num_rows:
            break
        rows = pa.array(range(start, min(start + size, table.num_rows)), pa.int64())
        out.append(table.take(rows).combine_chunks().to_batches()[0])
        start += size
    return out


def save_to_disk(rows: list[pa.RecordBatch], schema: pa.Schema, shards: int, fingerprint: str, out: Path) -> None:
    """What corpuspack did before writing the format itself: one Arrow stream, then `save_to_disk`."""
    stream = out.parent / f"{out.name}.stream.arrow"
    with pa.OSFile(str(stream), "wb") as sink, pa.ipc.new_stream(sink, schema) as writer:
        for batch in rows or [pa.RecordBatch.from_pylist([], schema)]:
            writer.write_batch(batch)
    dataset = datasets.Dataset.from_file(str(stream), in_memory=False)
    dataset._fingerprint = fingerprint
    datasets.disable_progress_bars()
    dataset.save_to_disk(str(out), num_shards=shards)


def ours(rows: list[pa.RecordBatch], schema: pa.Schema, shards: int, fingerprint: str, out: Path) -> None:
    writer = HFWriter(out, schema, sum(b.num_rows for b in rows), shards)
    for batch in rows:
        writer(batch)
    writer.close(fingerprint, lambda: iter(rows))
    assert_facts_true(writer.written, out)


def assert_facts_true(facts: list[Written], folder: Path) -> None:
    """The writer's facts (taken as it closed each file) are those of the files now on disk, every one."""
    assert sorted(w.path for w in facts) == sorted(folder.iterdir())
    for w in facts:
        data = w.path.read_bytes()
        assert (w.size, w.sha256) == (len(data), hashlib.sha256(data).hexdigest()), w.path
        if w.path.suffix == ".arrow":
            assert w.rows == sum(b.num_rows for b in pa.ipc.open_stream(data)), w.path


def assert_same_files(a: Path, b: Path) -> None:
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.mark.parametrize("table", list(TABLES))
def test_features_are_those_datasets_derives(table: str) -> None:
    assert features(TABLES[table]) == datasets.Features.from_arrow_schema(TABLES[table]).to_dict()


@pytest.mark.parametrize(
    ("make", "cuts", "shards"),
    [
        (lambda rng: paragraphs(3517, rng), [700, 1300, 1, 999, 1], 3),
        (lambda rng: paragraphs(2000, rng), [1000, 1000], 1),
        (lambda rng: paragraphs(6000, rng), [300, 2500, 2200], 1),
        (lambda rng: documents(1200, 600, rng), [17, 400, 383], 2),
        (lambda rng: documents(5, 100, rng), [], 5),
        (lambda rng: paragraphs(0, rng), [], 1),
    ],
    ids=[
        "paragraphs-3-shards",
        "paragraphs-aligned",
        "batches-over-1000-rows",
        "documents-2-shards",
        "a-row-per-shard",
        "empty",
    ],
)
def test_same_bytes_as_save_to_disk(tmp_path: Path, make, cuts: list[int], shards: int) -> None:
    table = make(random.Random(1))
    rows = batches(table, cuts)
    save_to_disk(rows, table.schema, shards, "0123456789abcdef", tmp_path / "datasets")
    ours(rows, table.schema, shards, "0123456789abcdef", tmp_path / "ours")
    assert_same_files(tmp_path / "datasets", tmp_path / "ours")
    loaded = datasets.load_from_disk(str(tmp_path / "ours"))
    assert loaded.num_rows == table.num_rows
    if table.num_rows:
        assert loaded[table.num_rows - 1]["text"] == table["text"][-1].as_py()


def test_large_rows_get_smaller_batches_as_in_save_to_disk(tmp_path: Path) -> None:
    """Rows averaging 400 kB: `save_to_disk` writes batches of about 250 rows, not 1000."""
    table = documents(300, 400_000, random.Random(2))
    rows = batches(table, [120, 60])
    save_to_disk(rows, table.schema, 1, "fedcba9876543210", tmp_path / "datasets")
    ours(rows, table.schema, 1, "fedcba9876543210", tmp_path / "ours")
    reader = pa.ipc.open_stream(str(tmp_path / "ours" / "data-00000-of-00001.arrow"))
    assert len(list(reader)) > 1
    assert_same_files(tmp_path / "datasets", tmp_path / "ours")
    assert not (tmp_path / "ours.rewrite").exists()


@pytest.mark.parametrize("table", list(TABLES))
def test_the_sequence_spelling_is_read_by_datasets_as_the_same_features(table: str) -> None:
    """Output format 2 spells a list `Sequence`, as datasets before 4.0 wrote it (they know no `List`)."""
    spelt = features(TABLES[table], "Sequence")
    assert ("Sequence" in str(spelt)) == (table == "documents") and "List" not in str(spelt)
    assert datasets.Features.from_dict(spelt) == datasets.Features.from_arrow_schema(TABLES[table])


def test_the_sequence_spelling_loads_with_the_rows_and_features_of_save_to_disk(tmp_path: Path) -> None:
    table = documents(40, 300, random.Random(3))
    rows = batches(table, [7, 20])
    save_to_disk(rows, table.schema, 2, "0123456789abcdef", tmp_path / "datasets")
    writer = HFWriter(tmp_path / "ours", table.schema, table.num_rows, 2, list_type="Sequence")
    for batch in rows:
        writer(batch)
    writer.close("0123456789abcdef", lambda: iter(rows))
    assert_facts_true(writer.written, tmp_path / "ours")
    theirs, ours = (datasets.load_from_disk(str(tmp_path / name)) for name in ("datasets", "ours"))
    assert ours.features == theirs.features
    assert ours.to_list() == theirs.to_list() == table.to_pylist()
    assert '"_type": "Sequence"' in (tmp_path / "ours" / "dataset_info.json").read_text()


def cut_with(table: pa.Table, groups: list[list[int]], rows: list[pa.RecordBatch], out: Path) -> HFWriter:
    """Our files of `table` cut with the shards (output format 4), fed `rows`: the closed writer."""
    writer = HFWriter(out, table.schema, table.num_rows, len(groups), list_type="Sequence", groups=groups)
    for batch in rows:
        writer(batch)
    writer.close("0123456789abcdef", lambda: iter(rows))
    assert_facts_true(writer.written, out)
    return writer


def row_groups(table: pa.Table, groups: list[list[int]]) -> list[pa.RecordBatch]:
    """The rows of each row group, a batch each, in buffers of their own."""
    cuts = [c for g in groups for c in g[1:]]
    return batches(table, [hi - lo for lo, hi in zip([0, *cuts], cuts, strict=False)])


GROUPS = [[0, 700, 1300], [1300, 1301, 2300, 2301], [2301, 3517]]  # three shards' row groups


def test_files_cut_with_the_shards_load_as_save_to_disk_does(tmp_path: Path) -> None:
    """Output format 4: a file per Parquet shard, its batches of at most 1000 rows ending at the
    shard's row groups; the same rows, features and state as `save_to_disk`'s, whatever the batches fed."""
    table = paragraphs(3517, random.Random(4))
    save_to_disk(batches(table, [3517]), table.schema, 3, "0123456789abcdef", tmp_path / "datasets")
    (tmp_path / "datasets" / "dataset_info.json").write_text(
        (tmp_path / "datasets" / "dataset_info.json").read_text().replace('"List"', '"Sequence"')
    )
    cut_with(table, GROUPS, batches(table, [500, 1, 2999]), tmp_path / "ours")
    theirs, ours = (datasets.load_from_disk(str(tmp_path / name)) for name in ("datasets", "ours"))
    assert ours.features == theirs.features and ours.to_list() == theirs.to_list() == table.to_pylist()
    for name in ("dataset_info.json",):
        assert (tmp_path / "ours" / name).read_bytes() == (tmp_path / "datasets" / name).read_bytes()
    state = {name: json.loads((tmp_path / name / "state.json").read_text()) for name in ("datasets", "ours")}
    assert state["ours"].keys() == state["datasets"].keys() and state["ours"] == state["datasets"]
    stops = {c for g in GROUPS for c in g}
    for index, shard in enumerate(GROUPS):
        reader = pa.ipc.open_stream(str(tmp_path / "ours" / f"data-{index:05d}-of-00003.arrow"))
        at, read = shard[0], []
        for batch in reader:
            assert 0 < batch.num_rows <= 1000
            assert not any(at < stop < at + batch.num_rows for stop in stops)  # no batch crosses a row group's end
            at += batch.num_rows
            read.append(batch)
        # From each row group's start, batches of 1000 rows and what is left of the group.
        expected = [min(1000, hi - at) for lo, hi in pairwise(shard) for at in range(lo, hi, 1000)]
        assert [b.num_rows for b in read] == expected
        assert pa.Table.from_batches(read).equals(table.slice(shard[0], shard[-1] - shard[0]).cast(read[0].schema))


def test_files_cut_with_the_shards_keep_their_bytes_when_rows_are_appended(tmp_path: Path) -> None:
    """A file's bytes depend on its shard's rows alone: more rows, in shards of their own, leave the
    earlier files as they were (fed row group by row group, as the build feeds them)."""
    table = paragraphs(4000, random.Random(5))
    before = cut_with(table.slice(0, 3517), GROUPS, row_groups(table.slice(0, 3517), GROUPS), tmp_path / "before")
    grown = [*GROUPS, [3517, 3600, 4000]]
    after = cut_with(table, grown, row_groups(table, grown), tmp_path / "after")
    arrow = [[w for w in writer.written if w.path.suffix == ".arrow"] for writer in (before, after)]
    assert len(arrow[0]) == 3 and len(arrow[1]) == 4
    assert [w.sha256 for w in arrow[0]] == [w.sha256 for w in arrow[1][:3]]
    assert arrow[0][0].path.name == "data-00000-of-00003.arrow"


@pytest.mark.parametrize("groups", [None, GROUPS])
def test_rows_past_those_planned_are_refused_with_a_message(tmp_path: Path, groups) -> None:
    """Given more rows than it was planned for, the writer says so (a ValueError, not an IndexError
    from its cuts), whether its files are cut with the shards or not."""
    table = paragraphs(3517, random.Random(6))
    writer = HFWriter(
        tmp_path / "ours", table.schema, 3000, 3, groups=None if groups is None else [*GROUPS[:2], [2301, 3000]]
    )
    writer(table.slice(0, 2999).to_batches()[0])
    with pytest.raises(ValueError, match=r"rows 2999 to 3001 given, 3000 planned"):
        writer(table.slice(2999, 2).to_batches()[0])
