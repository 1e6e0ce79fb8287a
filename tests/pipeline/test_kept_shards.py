"""Published shards kept in the work folder: with a kept work folder, a Parquet shard whose rows did not
change is taken from there (copied, not encoded again), one that changed is written, and the
output is byte for byte a full build's; kept files that are not what their record says, or whose rows
are not the build's, are written anew. `arrow/` files are written from the rows, never kept.
Kept files and a version's files never share an inode."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import SMALL_PROJECT, sentence, write_article

from corpuspack import build, formats, load_config
from corpuspack.errors import UsageError
from corpuspack.pipeline import ordered
from corpuspack.publish.kept import FOLDER
from corpuspack.tuning import Tuning

TUNING = Tuning(chunk_files=40)


@pytest.fixture
def grown(small: Path) -> Path:
    """600 articles of about 4 kB, shards of 1 MiB: three or more shards a table."""
    (small / "pyproject.toml").write_text(SMALL_PROJECT + "shard_bytes = 1048576\n", encoding="utf-8")
    for i in range(600):
        write_article(small / "seeds", f"d{i:04d}", [sentence(10_000 + 4 * i + k, 150) for k in range(4)])
    return small


def _build(project: Path, out: Path, work: Path | None = None) -> Path:
    build(out=out, work=work, config=load_config(project), workers=1, tuning=TUNING)
    return out


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _kept(work: Path) -> dict[str, tuple[int, int]]:
    """The work folder's kept shards, by name, with the identity of the file each name is now."""
    return {p.name: (p.stat().st_dev, p.stat().st_ino) for p in _kept_files(work)}


def _kept_files(work: Path) -> list[Path]:
    return sorted([*(work / FOLDER).glob("*.parquet"), *(work / FOLDER).glob("*.arrow")])


def _taken(work: Path, before: dict[str, tuple[int, int]]) -> set[str]:
    """The kept shards a build took: a shard the build writes is kept anew (a new file under its
    name), one it takes stays the file it was."""
    return {name for name, inode in _kept(work).items() if before.get(name) == inode}


def _unshared(*folders: Path) -> None:
    """No Parquet file under `folders` is a hard link: a version's files are its own."""
    for folder in folders:
        for path in folder.rglob("*.parquet"):
            assert path.stat().st_nlink == 1, path


def _same_as_full(project: Path, tmp_path: Path, out: Path, name: str) -> None:
    full = _files(_build(project, tmp_path / f"{name}-full"))
    assert _files(out).keys() == full.keys()
    for rel, body in full.items():
        assert _files(out)[rel] == body, rel


@pytest.mark.parametrize("change", ["added", "edited"])
def test_unchanged_shards_are_taken_from_the_work_folder_and_the_bytes_are_a_full_builds(
    grown: Path, tmp_path: Path, change: str
):
    work = tmp_path / "work"
    first = _build(grown, tmp_path / "first", work)
    shards = sorted(p.relative_to(first).as_posix() for p in [*first.rglob("*.parquet"), *first.rglob("*.arrow")])
    assert len([s for s in shards if s.startswith("documents/")]) >= 3
    if change == "added":  # new articles sorting last, as new ids do
        for i in range(600, 603):
            write_article(grown / "seeds", f"d{i:04d}", [sentence(10_000 + 4 * i + k, 150) for k in range(4)])
    else:  # a paragraph of an article in the middle changed
        path = grown / "seeds" / "d0300.txt"
        path.write_text(path.read_text().replace(sentence(11_200, 150), sentence(99_999, 150)))
        os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)
    before = _kept(work)
    again = _build(grown, tmp_path / "again", work)
    _same_as_full(grown, tmp_path, again, change)
    taken = _taken(work, before)
    for table in ("documents-", "paragraphs-"):
        assert any(t.startswith(table) for t in taken), table
    assert len(taken) < len([s for s in shards if s.endswith(".parquet")])  # the shards holding the change were written
    files = [*again.rglob("*.parquet")]
    kept = sorted(p.name for p in (work / FOLDER).iterdir())
    assert len(kept) == 2 * len(files)  # this build's files only, and their records
    before = _kept(work)
    third = _build(grown, tmp_path / "third", work)
    assert len(_taken(work, before)) == len(files)  # nothing changed: every file taken
    assert _files(third) == _files(again)
    _unshared(first, again, third, work / FOLDER)


def test_kept_shards_are_taken_by_two_writer_processes(grown: Path, tmp_path: Path):
    """Tables written by two processes (`engines.local.write_runs`; runs cut within a table:
    `tests/publish/test_split.py`): each takes the kept shards of its runs, the bytes are a full
    build's, and the work folder keeps this build's shards only."""
    tuning = Tuning(chunk_files=40, fork_writer_from=1)
    work = tmp_path / "work"
    config = load_config(grown)
    build(out=tmp_path / "first", work=work, config=config, workers=2, tuning=tuning)
    for i in range(600, 603):
        write_article(grown / "seeds", f"d{i:04d}", [sentence(10_000 + 4 * i + k, 150) for k in range(4)])
    before = _kept(work)
    again = tmp_path / "again"
    build(out=again, work=work, config=load_config(grown), workers=2, tuning=tuning)
    _same_as_full(grown, tmp_path, again, "runs")
    taken = _taken(work, before)
    assert any(t.startswith("documents-") for t in taken) and any(t.startswith("paragraphs-") for t in taken)
    assert len(_kept(work)) == len([*again.rglob("*.parquet")])
    _unshared(again, work / FOLDER)


def test_a_kept_shard_written_in_place_changes_no_version(grown: Path, tmp_path: Path):
    """Whoever can write the work folder cannot reach a published version's bytes through it, nor make a
    file of theirs a version's by planting it there."""
    work = tmp_path / "work"
    first = _build(grown, tmp_path / "first", work)
    published = _files(first)
    for path in _kept_files(work):
        with path.open("r+b") as f:  # in place: the same inode
            f.seek(path.stat().st_size // 2)
            f.write(b"\xff" * 16)
    assert _files(first) == published
    again = _build(grown, tmp_path / "again", work)
    assert _files(again) == published  # nothing taken from the damaged files, and the same rows
    outside = tmp_path / "outside.parquet"  # someone else's file, planted with the right bytes
    kept = next((work / FOLDER).glob("documents-*.parquet"))
    outside.write_bytes(kept.read_bytes())
    kept.unlink()
    os.link(outside, kept)
    third = _build(grown, tmp_path / "third", work)
    with outside.open("r+b") as f:
        f.write(b"\0" * 16)
    assert _files(third) == published
    _unshared(first, again, third)


def _flip_a_byte(path: Path, record: dict, kept: dict[Path, bytes]) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.unlink()  # a file of its own: the first version's shard stays as it was
    path.write_bytes(bytes(data))


def _other_rows(path: Path, record: dict, kept: dict[Path, bytes]) -> None:
    """Another kept shard's file, with a record that matches it: sound, but not this shard's rows."""
    table = path.name.rsplit("-", 1)[0]
    body = next(b for p, b in kept.items() if p.name.startswith(table + "-") and b != kept[path])
    path.unlink()
    path.write_bytes(body)
    record.update(size=len(body), sha256=hashlib.sha256(body).hexdigest())


@pytest.mark.parametrize(
    "tamper",
    [
        _flip_a_byte,
        _other_rows,
        lambda path, record, kept: record.update(size="12"),
        lambda path, record, kept: record.update(sha256=None),
        lambda path, record, kept: record.update(rows=record["rows"] + 1),
        lambda path, record, kept: path.with_suffix(".json").write_text("[" * 100_000),
        lambda path, record, kept: path.with_suffix(".json").write_bytes(b"\xff" * 10_000),
        lambda path, record, kept: path.unlink(),
    ],
)
def test_a_kept_shard_that_is_not_what_it_should_be_is_written_anew(grown: Path, tmp_path: Path, tamper):
    kind = "parquet"
    work = tmp_path / "work"
    _build(grown, tmp_path / "first", work)
    kept = {p: p.read_bytes() for p in sorted((work / FOLDER).glob(f"*.{kind}"))}
    for path in kept:
        record_path = path.with_suffix(".json")
        record = json.loads(record_path.read_text())
        tamper(path, record, kept)
        if record_path.exists() and record_path.read_bytes().startswith(b"{"):
            record_path.write_text(json.dumps(record))
    before = _kept(work)
    again = _build(grown, tmp_path / "again", work)
    _same_as_full(grown, tmp_path, again, "tampered")
    assert not [t for t in _taken(work, before) if t.endswith(kind)]  # every one written anew, and kept anew
    assert len(_kept(work)) == len([*again.rglob("*.parquet")])
    for path in _kept_files(work):
        record = json.loads(path.with_suffix(".json").read_text())
        assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("kind", ["parquet", "arrow"])
def test_a_kept_shard_planted_as_a_symlink_has_the_work_folder_refused(grown: Path, tmp_path: Path, kind: str):
    """A kept shard, or a name an earlier corpuspack kept an `arrow/` file under."""
    work = tmp_path / "work"
    _build(grown, tmp_path / "first", work)
    target = tmp_path / f"elsewhere.{kind}"
    target.write_bytes(b"not mine")
    path = sorted((work / FOLDER).glob("*.parquet"))[0]
    path.unlink()
    if kind == "arrow":
        path = path.with_name(f"arrow-{path.name}").with_suffix(".arrow")
    path.symlink_to(target)
    with pytest.raises(UsageError, match="symlink"):
        _build(grown, tmp_path / "again", work)
    assert target.read_bytes() == b"not mine"


@pytest.mark.parametrize("regroup", [False, True])
def test_a_taken_shards_texts_come_from_its_file_not_the_spill(
    grown: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, regroup: bool
):
    """Making a taken shard's rows reads no text from the spill: its text columns (the costly part)
    are the file's, every other column is made and compared, and the bytes are a full build's."""
    tuning = Tuning(chunk_files=40, regroup_texts=regroup)
    work = tmp_path / "work"
    build(out=tmp_path / "first", work=work, config=load_config(grown), workers=1, tuning=tuning)
    full = _files(_build(grown, tmp_path / "full"))

    def refuse(self, lo: int, hi: int):
        raise AssertionError(f"texts of rows {lo}..{hi} read from the spill")

    monkeypatch.setattr(ordered._ForwardTexts, "__call__", refuse)
    again = tmp_path / "again"
    build(out=again, work=work, config=load_config(grown), workers=1, tuning=tuning)
    assert _files(again) == full


def test_a_kept_documents_shard_with_a_null_text_is_written_anew(grown: Path, tmp_path: Path):
    """A documents shard of the same rows, row groups and schema, with a record that matches it, but
    one text null: a text taken as it is must not be null (a made one never is)."""
    work = tmp_path / "work"
    _build(grown, tmp_path / "first", work)
    for path in sorted((work / FOLDER).glob("documents-*.parquet")):
        shard = pq.ParquetFile(path)
        schema = shard.schema_arrow
        groups = [shard.read_row_group(g) for g in range(shard.metadata.num_row_groups)]
        shard.close()
        at = schema.get_field_index("text")
        first = groups[0].column(at).to_pylist()
        groups[0] = groups[0].set_column(at, schema.field(at), pa.array([None, *first[1:]], pa.string()))
        with pq.ParquetWriter(path, schema, compression="zstd") as writer:
            for table in groups:
                writer.write_table(table, row_group_size=table.num_rows)
        body = path.read_bytes()
        record = {"size": len(body), "sha256": hashlib.sha256(body).hexdigest(), "rows": shard.metadata.num_rows}
        path.with_suffix(".json").write_text(json.dumps(record))
    before = _kept(work)
    again = _build(grown, tmp_path / "again", work)
    _same_as_full(grown, tmp_path, again, "null")
    assert not any(t.startswith("documents-") for t in _taken(work, before))


def test_arrow_files_an_earlier_corpuspack_kept_are_never_published_and_are_removed(grown: Path, tmp_path: Path):
    """A work folder kept by a corpuspack that kept `arrow/` files too (`arrow-TABLE-PRINT.arrow`
    and its record): even files whose records match them are not taken, and they are removed."""
    work = tmp_path / "work"
    first = _files(_build(grown, tmp_path / "first", work))
    planted = []
    for path in sorted((work / FOLDER).glob("*.parquet")):
        arrow = path.with_name(f"arrow-{path.name}").with_suffix(".arrow")
        body = b"ARROW1" + bytes(1000)
        arrow.write_bytes(body)
        record = {"size": len(body), "sha256": hashlib.sha256(body).hexdigest(), "rows": 1}
        arrow.with_suffix(".json").write_text(json.dumps(record))
        planted += [arrow, arrow.with_suffix(".json")]
    again = _files(_build(grown, tmp_path / "again", work))
    assert again == first
    assert not [p for p in planted if p.exists()]
    assert not list((work / FOLDER).glob("arrow-*"))


@pytest.mark.parametrize(
    "how",
    [
        {"compression": "none"},
        {"compression": {"text": "snappy"}},  # one column chunk's codec other than the writer's
        {"compression": "zstd", "store_schema": False},  # no Arrow schema in the key-value metadata
        {"compression": "zstd", "metadata": {b"planted": b"yes"}},
    ],
    ids=["uncompressed", "one-column-snappy", "no-arrow-schema", "more-metadata"],
)
def test_a_kept_parquet_shard_of_the_same_values_written_otherwise_is_written_anew(grown: Path, tmp_path: Path, how):
    """A kept shard rewritten with the same rows, row groups and schema, its record rewritten to
    match, but compressed otherwise or with other key-value metadata in its footer: other bytes
    than the build writes, so it is written again rather than published."""
    work = tmp_path / "work"
    _build(grown, tmp_path / "first", work)
    for path in sorted((work / FOLDER).glob("*.parquet")):
        shard = pq.ParquetFile(path)
        schema = shard.schema_arrow
        groups = [shard.read_row_group(g) for g in range(shard.metadata.num_row_groups)]
        shard.close()
        options = dict(how)
        if "metadata" in options:
            schema = schema.with_metadata({**(schema.metadata or {}), **options.pop("metadata")})
        with pq.ParquetWriter(path, schema, **options) as writer:
            for table in groups:
                writer.write_table(table.replace_schema_metadata(schema.metadata), row_group_size=table.num_rows)
        body = path.read_bytes()
        record = {"size": len(body), "sha256": hashlib.sha256(body).hexdigest(), "rows": shard.metadata.num_rows}
        path.with_suffix(".json").write_text(json.dumps(record))
    before = _kept(work)
    again = _build(grown, tmp_path / "again", work)
    _same_as_full(grown, tmp_path, again, "rewritten")
    assert not [t for t in _taken(work, before) if t.endswith(".parquet")]


def test_a_column_described_otherwise_changes_the_fingerprint_of_every_shard_of_its_table(
    grown: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The same rows written with another field description are other bytes: the table's shards get
    other fingerprints (nothing kept is even copied), the other table's are taken as they are."""
    work = tmp_path / "work"
    _build(grown, tmp_path / "first", work)
    before = _kept(work)
    tables = formats.tables

    def described_otherwise(number: int) -> dict[str, pa.Schema]:
        schemas = dict(tables(number))
        at = schemas["documents"].get_field_index("title")
        field = schemas["documents"].field(at)
        schemas["documents"] = schemas["documents"].set(at, field.with_metadata({b"description": b"Another title."}))
        return schemas

    monkeypatch.setattr(formats, "tables", described_otherwise)
    again = _build(grown, tmp_path / "again", work)
    monkeypatch.undo()
    names = {name for name in _kept(work) if "documents-" in name}
    assert names and not names & set(before)  # every documents file kept under a new fingerprint
    assert {t for t in _taken(work, before)} == {n for n in before if "paragraphs-" in n}
    described = pq.read_schema(next((again / "documents").glob("*.parquet"))).field("title").metadata
    assert described == {b"description": b"Another title."}
