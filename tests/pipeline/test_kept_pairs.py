"""Near-duplicate candidates' similarities kept in the work folder (`pipeline.kept_pairs`): a build
with a kept work folder scores only the candidate pairs the last build did not, and its bytes are a
full build's; a kept file that is not sound is ignored and every pair scored again."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from conftest import SMALL_PROJECT, sentence, write_article

from corpuspack import build, load_config
from corpuspack.engines.local import LocalDedup
from corpuspack.errors import UsageError
from corpuspack.pipeline.kept_pairs import NAME, SCHEMA
from corpuspack.pipeline.kept_sets import FOLDER
from corpuspack.tuning import Tuning

TUNING = Tuning(chunk_files=40)


def _near(text: str, k: int) -> str:
    """`text` with its k-th word changed: a near duplicate of it."""
    words = text.split()
    words[k % len(words)] = "altered"
    return " ".join(words)


def _article(seeds: Path, i: int) -> None:
    """Article i: three paragraphs of its own and, from the fifth on, a near copy of an earlier one's."""
    paragraphs = [sentence(20_000 + 3 * i + k, 60) for k in range(3)]
    if i >= 5:
        paragraphs.append(_near(sentence(20_000 + 3 * (i - 5), 60), i))
    write_article(seeds, f"d{i:04d}", paragraphs)


@pytest.fixture
def corpus(small: Path) -> Path:
    (small / "pyproject.toml").write_text(SMALL_PROJECT, encoding="utf-8")
    for i in range(200):
        _article(small / "seeds", i)
    return small


@pytest.fixture
def scored(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many pairs each build scored (`LocalDedup._scored` called through, its pairs counted)."""
    counts: list[int] = []
    real = LocalDedup._scored

    def counting(self: LocalDedup, pairs: np.ndarray) -> np.ndarray:
        counts.append(len(pairs))
        return real(self, pairs)

    monkeypatch.setattr(LocalDedup, "_scored", counting)
    return counts


def _build(project: Path, out: Path, work: Path | None = None) -> dict[str, bytes]:
    build(out=out, work=work, config=load_config(project), workers=1, tuning=TUNING)
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _kept(work: Path) -> pa.Table:
    with pa.OSFile(str(work / FOLDER / NAME)) as source:  # read, not mapped: a test writes it again
        return pa.ipc.open_file(source).read_all()


def test_a_build_scores_only_the_pairs_its_kept_folder_does_not_hold(corpus: Path, tmp_path: Path, scored: list[int]):
    work = tmp_path / "work"
    _build(corpus, tmp_path / "first", work)
    first = sum(scored)
    assert first >= 150 and _kept(work).num_rows >= first  # every candidate scored, and kept
    for i in range(200, 210):  # new articles, near copies of earlier ones among them
        _article(corpus / "seeds", i)
    scored.clear()
    again = _build(corpus, tmp_path / "again", work)
    assert 0 < sum(scored) < first / 4  # the new articles' pairs (and their chunk's) only
    scored.clear()
    assert again == _build(corpus, tmp_path / "full")
    assert sum(scored) > first  # the full build scored every pair
    scored.clear()
    assert _build(corpus, tmp_path / "third", work) == again
    assert sum(scored) == 0  # nothing changed: every pair held


def test_a_corpus_without_candidate_pairs_keeps_none_and_builds_again(small: Path, tmp_path: Path):
    (small / "pyproject.toml").write_text(SMALL_PROJECT, encoding="utf-8")
    for i in range(3):
        write_article(small / "seeds", f"d{i}", [sentence(30_000 + i, 60)])
    work = tmp_path / "work"
    first = _build(small, tmp_path / "first", work)
    assert _kept(work).num_rows == 0
    assert _build(small, tmp_path / "again", work) == first


def test_a_seed_rewritten_with_its_size_and_mtime_has_its_pairs_scored_again(
    corpus: Path, tmp_path: Path, scored: list[int]
):
    """Kept pairs and shingle sets are named by their chunks' contents, not by their files' sizes and
    mtimes: a seed rewritten with both kept has its chunk's pairs scored again, from its new text."""
    work = tmp_path / "work"
    _build(corpus, tmp_path / "first", work)
    path = corpus / "seeds" / "d0012.txt"
    before, stat = path.read_text(), path.stat()
    near = _near(sentence(20_000 + 3 * 7, 60), 12)  # d0012's near copy of d0007's paragraph
    assert near in before
    words = near.split()
    at = next(i for i in range(30, 60) if words[i] != words[i][::-1])
    words[at] = words[at][::-1]  # one word more changed, as long: still a near copy, less similar
    path.write_text(before.replace(near, " ".join(words)))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    scored.clear()
    again = _build(corpus, tmp_path / "again", work)
    assert sum(scored) > 0
    assert again == _build(corpus, tmp_path / "full")


def _similarity(value: float):
    def change(table: pa.Table) -> pa.Table:
        at = SCHEMA.get_field_index("similarity")
        return table.set_column(at, SCHEMA.field(at), pa.array(np.full(table.num_rows, value)))

    return change


def _row(value: int):
    def change(table: pa.Table) -> pa.Table:
        at = SCHEMA.get_field_index("a_row")
        return table.set_column(at, SCHEMA.field(at), pa.array(np.full(table.num_rows, value, dtype=np.int32)))

    return change


@pytest.mark.parametrize(
    "tamper",
    [
        _similarity(1.5),
        _similarity(float("nan")),
        _row(10**6),
        _row(-1),
        lambda table: table.drop_columns(["similarity"]),
        lambda table: table.set_column(2, table.schema.field(2), table.column(0)).set_column(
            3, table.schema.field(3), table.column(1)
        ),
        lambda table: pa.concat_tables([table, table]),
        lambda table: table.set_column(1, pa.field("a_row", pa.int32()), pa.nulls(table.num_rows, pa.int32())),
        b"ARROW1" + b"\xff" * 5000,
    ],
    ids=[
        "above-one",
        "nan",
        "row-past-chunk",
        "negative-row",
        "no-similarity",
        "a-row-with-itself",
        "pairs-repeated",
        "null-rows",
        "garbage",
    ],
)
def test_a_kept_pairs_file_that_is_not_sound_is_ignored(corpus: Path, tmp_path: Path, scored: list[int], tamper):
    work = tmp_path / "work"
    full = _build(corpus, tmp_path / "first", work)
    first = sum(scored)
    path = work / FOLDER / NAME
    if isinstance(tamper, bytes):
        path.write_bytes(tamper)
    else:
        table = tamper(_kept(work))
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
    scored.clear()
    assert _build(corpus, tmp_path / "again", work) == full
    assert sum(scored) == first  # every pair scored again
    assert _kept(work).schema.equals(SCHEMA) and _kept(work).num_rows >= first  # and kept sound


def test_a_kept_pairs_file_planted_as_a_symlink_has_the_work_folder_refused(corpus: Path, tmp_path: Path):
    work = tmp_path / "work"
    _build(corpus, tmp_path / "first", work)
    target = tmp_path / "elsewhere.arrow"
    target.write_bytes(b"not mine")
    path = work / FOLDER / NAME
    path.unlink()
    path.symlink_to(target)
    with pytest.raises(UsageError, match="symlink"):
        _build(corpus, tmp_path / "again", work)
    assert target.read_bytes() == b"not mine"


@pytest.mark.parametrize("codec", ["zstd", "lz4"])
def test_a_kept_pairs_file_of_compressed_buffers_is_ignored(corpus: Path, tmp_path: Path, scored: list[int], codec):
    """corpuspack keeps its pairs uncompressed: a compressed file's buffers could declare gigabytes
    in a few kilobytes (Arrow allocates them as it decodes), so one is never decoded."""
    work = tmp_path / "work"
    full = _build(corpus, tmp_path / "first", work)
    first = sum(scored)
    table, path = _kept(work), work / FOLDER / NAME
    options = pa.ipc.IpcWriteOptions(compression=codec)
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    scored.clear()
    assert _build(corpus, tmp_path / "again", work) == full
    assert sum(scored) == first  # every pair scored again


@pytest.mark.parametrize("name", [NAME, NAME + ".tmp"])
def test_a_folder_planted_at_the_kept_pairs_file_is_left_and_the_build_is_a_full_one(
    corpus: Path, tmp_path: Path, name: str
):
    work = tmp_path / "work"
    full = _build(corpus, tmp_path / "first", work)
    (work / FOLDER / NAME).unlink()
    (work / FOLDER / name).mkdir()
    (work / FOLDER / name / "theirs").write_text("not corpuspack's")
    assert _build(corpus, tmp_path / "again", work) == full
    assert (work / FOLDER / name / "theirs").read_text() == "not corpuspack's"


def test_the_kept_sets_of_a_chunk_gone_are_removed_when_no_pair_is_new(corpus: Path, tmp_path: Path, scored: list[int]):
    """Seeds whose whole chunk is removed: every other pair is held, no set is made, and the gone
    chunk's kept sets are removed all the same (the work folder does not grow build after build)."""
    work = tmp_path / "work"
    _build(corpus, tmp_path / "first", work)
    sets = sorted((work / FOLDER).glob("shingles-*.arrow"))
    markers = [json.loads(p.read_text()) for p in sorted(work.glob("chunk-*.done"))]
    last = max(markers, key=lambda m: m["index"])
    for path in last["seeds"]["path"]:
        (corpus / path).unlink()
    scored.clear()
    again = _build(corpus, tmp_path / "again", work)
    assert sum(scored) == 0  # every pair held: no set made
    assert len(sorted((work / FOLDER).glob("shingles-*.arrow"))) == len(sets) - 1
    assert again == _build(corpus, tmp_path / "full")
