"""Incremental builds: with a kept work folder, a new, edited or removed seed re-reads only the chunk it
falls in, and the output is byte for byte that of a full build of the same seeds."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import run, sentence, write_article

from corpuspack import build, load_config
from corpuspack.pipeline import unchanged
from corpuspack.pipeline.chunk import TEXT_BATCH_ROWS
from corpuspack.pipeline.plan import MIN_SHARE, kept_chunks, plan_chunks, plan_kept
from corpuspack.sources import SeedFile
from corpuspack.tuning import Tuning

TUNING = Tuning(chunk_files=6)  # about six files a chunk: 60 seeds in about ten chunks


def _seeds(names: list[str], size: int = 5000) -> list[SeedFile]:
    return [SeedFile(f"/seeds/{n}", n, size, f"{size}:1") for n in names]


def _runs(chunks: list[list[SeedFile]]) -> list[tuple[str, ...]]:
    return [tuple(s.rel for s in c) for c in chunks]


@pytest.mark.parametrize("at", [0, 13, 150, 299])
def test_a_new_file_moves_no_boundary_but_those_of_its_own_chunk(at: int):
    names = [f"a{i:05d}.txt" for i in range(0, 3000, 10)]
    before = _runs(plan_chunks(_seeds(names), TUNING))
    new = f"a{int(names[at][1:6]) + 5:05d}.txt"  # sorts right after names[at]
    after = _runs(plan_chunks(_seeds(sorted([*names, new])), TUNING))
    assert len(before) > 20
    changed = [c for c in after if c not in before]
    assert any(new in c for c in changed) and len(changed) <= 2  # its chunk, split in two at most
    assert sum(len(c) for c in changed) <= max(len(c) for c in before) + 1 + 2 * 6  # its chunk and a neighbour
    gone = [c for c in before if c not in after]
    assert {n for c in gone for n in c} | {new} == {n for c in changed for n in c}


def test_chunks_stay_about_the_size_asked_whatever_the_file_sizes():
    tuning = Tuning(chunk_bytes=1 << 20, chunk_files=1000)
    small = _seeds([f"s{i:05d}.txt" for i in range(20000)], size=3000)  # 4 KiB each: about 256 a chunk
    sizes = [len(c) for c in plan_chunks(small, tuning)]
    assert 150 < sum(sizes) / len(sizes) < 400 and max(sizes) <= 3 * 256
    big = _seeds([f"b{i:03d}.jsonl" for i in range(50)], size=3 << 20)  # each over the target: one a chunk
    assert [len(c) for c in plan_chunks(big, tuning)] == [1] * 50
    tiny = _seeds([f"t{i:05d}.txt" for i in range(20000)], size=10)
    sizes = [len(c) for c in plan_chunks(tiny, tuning)]
    assert 500 < sum(sizes) / len(sizes) < 1500 and max(sizes) <= 3000


@pytest.fixture
def sixty(small: Path) -> Path:
    """Sixty articles, a shared paragraph in many of them (its first copy kept, the others dropped)."""
    shared = sentence(7, 50)
    for i in range(0, 120, 2):
        paragraphs = [sentence(1000 + i, 40), sentence(2000 + i, 30)] + ([shared] if i % 3 == 0 else [])
        write_article(small / "seeds", f"d{i:03d}", paragraphs)
    return small


def _chunk_files(work: Path) -> dict[str, frozenset[str]]:
    """The seed files of every chunk the work folder holds, by chunk marker name."""
    return {p.name: frozenset(json.loads(p.read_text())["seeds"]["path"]) for p in work.glob("chunk-*.done")}


def _rebuilt(project: Path, tmp_path: Path, work: Path, name: str) -> tuple[int, set[str]]:
    """Build again with the kept `work`: (chunks reused, seed files read again); output byte for byte
    that of a full build of the same seeds in a fresh work folder."""
    before = {p.name: p.read_bytes() for p in work.glob("chunk-*.done")}
    result = build(out=tmp_path / name, work=work, config=load_config(project), workers=1, tuning=TUNING)
    after = _chunk_files(work)
    full = run(project, tmp_path, f"{name}-full", tuning=TUNING)
    files = sorted(p.relative_to(full) for p in full.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / name) for p in (tmp_path / name).rglob("*") if p.is_file())
    for rel in files:
        assert (full / rel).read_bytes() == (tmp_path / name / rel).read_bytes(), rel
    redone = {key for key in after if before.get(key) != (work / key).read_bytes()}  # a marker written again
    assert result.reused_chunks == len(after) - len(redone)
    return result.reused_chunks, {f for key in redone for f in after[key]}


def test_a_new_file_rereads_only_its_chunk_and_builds_the_same_bytes(sixty: Path, tmp_path: Path):
    work = tmp_path / "work"
    build(out=tmp_path / "first", work=work, config=load_config(sixty), workers=1, tuning=TUNING)
    chunks = _chunk_files(work)
    assert len(chunks) >= 6
    # Sorts in the middle and comes first by id with the shared paragraph: the copies in older documents
    # are now the dropped ones, so the dedup decisions of chunks not read again change too.
    write_article(sixty / "seeds" / "d050x", "a000", [sentence(7, 50), sentence(9999, 40)])
    reused, reread = _rebuilt(sixty, tmp_path, work, "added")
    old = reread - {"seeds/d050x/a000.txt"}
    assert "seeds/d050x/a000.txt" in reread
    assert not old or old in chunks.values()  # besides the new file, one old chunk at most
    assert reused == len(chunks) - (1 if old else 0)


def test_an_edited_file_rereads_only_its_chunk(sixty: Path, tmp_path: Path):
    work = tmp_path / "work"
    build(out=tmp_path / "first", work=work, config=load_config(sixty), workers=1, tuning=TUNING)
    chunks = _chunk_files(work)
    path = sixty / "seeds" / "d070.txt"
    path.write_text(path.read_text().replace(sentence(2070, 30), sentence(2071, 30)))  # about the same size
    os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)
    reused, reread = _rebuilt(sixty, tmp_path, work, "edited")
    assert reread in chunks.values() and "seeds/d070.txt" in reread
    assert reused == len(chunks) - 1


def test_a_removed_file_rereads_its_chunk_and_a_neighbour_at_most(sixty: Path, tmp_path: Path):
    work = tmp_path / "work"
    build(out=tmp_path / "first", work=work, config=load_config(sixty), workers=1, tuning=TUNING)
    chunks = _chunk_files(work)
    (sixty / "seeds" / "d000.txt").unlink()  # the first copy of the shared paragraph: the next is kept now
    reused, reread = _rebuilt(sixty, tmp_path, work, "removed")
    assert reused >= len(chunks) - 2
    holding = [files for files in chunks.values() if files & (reread | {"seeds/d000.txt"})]
    assert len(holding) <= 2 and reread | {"seeds/d000.txt"} == frozenset().union(*holding)


def test_a_kept_chunk_is_checked_by_stat_and_a_seed_restored_with_its_old_mtime_still_caught(
    sixty: Path, tmp_path: Path
):
    time.sleep(unchanged.MARGIN_NS / 1e9 + 0.2)  # the seeds' last change well before the build reads them
    work = tmp_path / "work"
    build(out=tmp_path / "first", work=work, config=load_config(sixty), workers=1, tuning=TUNING)
    markers = [json.loads(p.read_text()) for p in work.glob("chunk-*.done")]
    assert all(set(m["stats"]) == set(m["contents"]) for m in markers)  # every file known by its stat
    again = build(out=tmp_path / "again", work=work, config=load_config(sixty), workers=1, tuning=TUNING)
    assert again.reused_chunks == len(markers)
    seed = sixty / "seeds" / "d040.txt"
    st, text = seed.stat(), seed.read_text()
    swapped = text.replace(sentence(1040, 40)[:20], sentence(1040, 40)[:20][::-1])
    assert len(swapped) == len(text) and swapped != text
    seed.write_text(swapped)
    os.utime(seed, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same mtime: only the ctime tells
    reused, reread = _rebuilt(sixty, tmp_path, work, "restored")
    assert reused == len(markers) - 1 and "seeds/d040.txt" in reread
    texts = pq.read_table(tmp_path / "restored" / "documents", columns=["text"]).column("text").to_pylist()
    assert any(sentence(1040, 40)[:20][::-1] in t for t in texts)


@pytest.mark.parametrize(
    "damage",
    [
        lambda body: body["ids"].update(id=[None] * len(body["ids"]["id"])),  # a traceback in the id check
        lambda body: body["seeds"].update(sha256=[None] * len(body["seeds"]["sha256"])),  # a null in the manifest
        lambda body: body.update(ids={name: "x" * len(v) for name, v in body["ids"].items() if name != "line"}),
        lambda body: body["seeds"].update(size=[True] * len(body["seeds"]["size"])),
        lambda body: body["ids"].update(line=[2**70] * len(body["ids"]["line"])),  # OverflowError: a traceback
        lambda body: body["seeds"].update(size=[10**400] * len(body["seeds"]["size"])),
        lambda body: body.update(findings=[[[[[]]]]] * 10),
        lambda body: body.update(stats="[" * 100_000 + "]" * 100_000),  # made nesting below
    ],
)
def test_a_marker_with_values_of_the_wrong_type_has_its_chunk_read_again(sixty: Path, tmp_path: Path, damage):
    work = tmp_path / "work"
    build(out=tmp_path / "first", work=work, config=load_config(sixty), workers=1, tuning=TUNING)
    marker = sorted(work.glob("chunk-*.done"))[0]
    body = json.loads(marker.read_text())
    files = frozenset(body["seeds"]["path"])
    damage(body)
    deep = '"' + "[" * 100_000 + "]" * 100_000 + '"'  # JSON nested 100,000 deep: a RecursionError
    marker.write_text(json.dumps(body).replace(deep, deep[1:-1]))
    _, reread = _rebuilt(sixty, tmp_path, work, "damaged")  # the output of a full build
    assert reread == files


@pytest.mark.parametrize("kind", ["docs", "paragraphs", "texts"])
@pytest.mark.parametrize("rows", [lambda n: n - 3, lambda n: n + 3, lambda n: 0])
def test_a_spill_file_of_other_rows_than_its_marker_says_has_its_chunk_read_again(
    sixty: Path, tmp_path: Path, kind: str, rows
):
    # A valid Arrow file with the size the marker records (a marker written for another file):
    # it was an IndexError, or output missing documents or paragraphs.
    work = tmp_path / "work"
    build(out=tmp_path / "first", work=work, config=load_config(sixty), workers=1, tuning=TUNING)
    marker = max(work.glob("chunk-*.done"), key=lambda p: json.loads(p.read_text())["paragraphs"])
    body = json.loads(marker.read_text())
    path = work / f"{kind}-{body['key']}.arrow"
    with pa.OSFile(str(path)) as source:  # read into memory, not mapped: the file is written over
        table = pa.ipc.open_file(source).read_all()
    n = rows(table.num_rows)
    table = pa.concat_tables([table, table])[:n]
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=TEXT_BATCH_ROWS)
    body["files"][path.name] = path.stat().st_size
    marker.write_text(json.dumps(body))
    _, reread = _rebuilt(sixty, tmp_path, work, "damaged")
    assert reread == frozenset(body["seeds"]["path"])


def test_files_added_among_the_others_are_read_alone_and_every_kept_chunk_is_taken(sixty: Path, tmp_path: Path):
    """New seeds named between the old ones (ids that are hashes) fall into many chunks' ranges: each
    kept chunk is planned as it was and the new seeds make chunks of their own; only a kept chunk
    under half a target is planned anew with them. The same bytes as a full build."""
    work = tmp_path / "work"
    build(out=tmp_path / "first", work=work, config=load_config(sixty), workers=1, tuning=TUNING)
    chunks = _chunk_files(work)
    names = ["d005", "d031", "d057", "d083", "d109"]  # between the even-numbered ones, far apart
    for k, name in enumerate(names):
        write_article(sixty / "seeds", name, [sentence(5000 + k, 40), sentence(6000 + k, 30)])
    inside = {files for files in chunks.values() for n in names if min(files) < f"seeds/{n}.txt" < max(files)}
    assert len(inside) >= 3  # planned from scratch, as many chunks would change
    reused, reread = _rebuilt(sixty, tmp_path, work, "spread")
    new = {f"seeds/{n}.txt" for n in names}
    small = [files for files in chunks.values() if len(files) / TUNING.chunk_files < MIN_SHARE]
    assert new <= reread and reread - new <= frozenset().union(*small)
    assert reused == len(chunks) - len(small)


@pytest.mark.parametrize(
    "kept",
    [
        [["seeds/nothere.txt"]],  # a path that is no seed
        [["seeds/d002.txt", "seeds/d000.txt", "seeds/d004.txt"]],  # out of order
        [["seeds/d000.txt", "seeds/d000.txt", "seeds/d002.txt"]],  # twice
        [
            ["seeds/d000.txt", "seeds/d002.txt", "seeds/d004.txt"],
            ["seeds/d004.txt", "seeds/d006.txt", "seeds/d008.txt"],
        ],
        [[]],
        [["seeds/d000.txt"] + [f"seeds/d{i:03d}.txt" for i in range(2, 120, 2)]],  # over CAP
    ],
)
def test_kept_chunk_lists_that_do_not_fit_the_seeds_are_passed_over(sixty: Path, kept: list[list[str]]):
    from corpuspack.sources import discover

    seeds, _ = discover([sixty / "seeds"], sixty)
    plan = plan_kept(seeds, TUNING, kept)
    planned = [s.rel for chunk in plan for s in chunk]
    assert sorted(planned) == [s.rel for s in seeds]  # every seed once
    taken = kept[0] if kept[0] == ["seeds/d000.txt", "seeds/d002.txt", "seeds/d004.txt"] else None
    if taken is None:
        assert _runs(plan) == _runs(plan_chunks(seeds, TUNING))
    else:  # the first list is sound: taken, and the second, which overlaps it, passed over
        assert tuple(taken) in _runs(plan)


def test_kept_lists_looked_up_in_batches_find_what_one_at_a_time_finds():
    """Lists are looked up among the seeds a batch at a time (one hash of the seeds' paths per
    batch, not per list): whatever the batch size, each list's positions are its own, in order."""
    import pyarrow as pa

    from corpuspack.pipeline.plan import _arrays, _looked_up

    rels = pa.array([f"seeds/{i:04d}.txt" for i in range(0, 400, 2)], pa.large_string())
    lists = [[f"seeds/{i:04d}.txt" for i in range(lo, lo + n, 2)] for lo, n in [(0, 6), (10, 8), (398, 4), (100, 2)]]
    lists.insert(2, [])  # empty: passed over
    lists.insert(1, [f"seeds/{i:04d}.txt" for i in range(40)])  # longer than `most`: passed over
    alone = [f.to_pylist() for names in lists for f in _looked_up(_arrays([names], 18), rels, 1)]
    for budget in (1, 40, 1 << 20):
        assert [f.to_pylist() for f in _looked_up(_arrays(lists, 18), rels, budget)] == alone
    assert alone == [[0, 1, 2], [5, 6, 7, 8], [199, None], [50]]


# A lone surrogate, escaped or as its UTF-8-like bytes, was a UnicodeEncodeError traceback in planning.
SURROGATES = [b'["seeds/\\ud800a.txt"]', b'["seeds/\xed\xa0\x80a.txt"]']


@pytest.mark.parametrize(
    "body", [b"{", b'{"a": 1}', b'["x", 1]', b"[" * 100_000 + b"]" * 100_000, b"\xff\xfe", *SURROGATES]
)
def test_a_damaged_list_of_a_kept_chunk_is_passed_over(tmp_path: Path, body: bytes):
    key = "0" * 32
    (tmp_path / f"chunk-{key}.done").write_text("{}")
    (tmp_path / f"chunk-{key}.seeds").write_bytes(body)
    sound = "1" * 32
    (tmp_path / f"chunk-{sound}.done").write_text("{}")
    (tmp_path / f"chunk-{sound}.seeds").write_text('["seeds/a.txt"]')
    os.mkfifo(tmp_path / f"chunk-{'2' * 32}.seeds")  # a FIFO: passed over, never waited on
    (tmp_path / f"chunk-{'2' * 32}.done").write_text("{}")
    (tmp_path / f"chunk-{'3' * 32}.seeds").symlink_to(tmp_path / f"chunk-{sound}.seeds")
    (tmp_path / f"chunk-{'3' * 32}.done").write_text("{}")
    (tmp_path / f"chunk-{'4' * 32}.seeds").write_text('["seeds/b.txt"]')  # no marker: not finished
    assert list(kept_chunks(tmp_path, 10)) == [["seeds/a.txt"]]
    assert list(kept_chunks(tmp_path, 0)) == []


def test_kept_chunk_lists_are_read_one_at_a_time(tmp_path: Path):
    """A work folder may hold as many lists as there are seeds, each up to MAX_SEEDS_FILE: all of them
    were held at once while planning (twelve lists of a million paths: 1 GB more). One at a time now."""
    import tempfile
    import tracemalloc

    body = json.dumps([f"seeds/{i:07d}_x.txt" for i in range(200_000)])
    seeds = _seeds([f"seeds/a{i:03d}.txt" for i in range(50)])

    def peak(lists: int) -> int:
        work = Path(tempfile.mkdtemp(dir=tmp_path))
        for k in range(lists):
            (work / f"chunk-{k:032x}.seeds").write_text(body)
            (work / f"chunk-{k:032x}.done").write_text("{}")
        tracemalloc.start()
        try:
            plan = plan_kept(seeds, TUNING, kept_chunks(work, len(seeds)))
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            assert _runs(plan) == _runs(plan_chunks(seeds, TUNING))

    peak(1)  # once before measuring: the first call's imports and caches
    one = peak(1)
    assert peak(10) < 1.5 * one
