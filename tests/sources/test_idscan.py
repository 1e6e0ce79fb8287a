"""Reading a seed file for its ids only gives the ids (and lines) the full reader gives."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest
from conftest import DATA

from corpuspack.sources import SeedFile, discover, read_seed
from corpuspack.sources.idscan import HEAD, scan_ids

LIMIT = 1 << 26


def ids_read(seed: SeedFile) -> list[tuple[str, int | None]]:
    return [(d.id, d.location.line) for d in read_seed(seed, {}, LIMIT).documents]


@pytest.mark.parametrize("folder", ["good", "bad"])
def test_the_scan_finds_the_ids_the_reader_finds(folder: str):
    seeds, _ = discover([DATA / folder], DATA)
    claimed = 0
    for seed in seeds:
        read, scanned = ids_read(seed), scan_ids(seed, LIMIT)
        if scanned != read:  # a text seed the reader cannot use (binary, empty, no dateline) still claims its name
            assert seed.kind == "text" and not read and scanned == [(Path(seed.file).stem, 1)], seed.rel
            claimed += 1
    assert claimed == (5 if folder == "bad" else 0)


def one(path: Path) -> SeedFile:
    [seed], _ = discover([path], path.parent)
    return seed


def test_front_matter_longer_than_the_first_read_is_read_to_its_end(tmp_path: Path):
    path = tmp_path / "long.md"
    filler = "".join(f"tag{i}: {'x' * 60}\n" for i in range(HEAD // 60 + 10))
    path.write_text(f"---\n{filler}id: late-id\n---\nBody text.\n", encoding="utf-8")
    assert path.stat().st_size > HEAD
    assert scan_ids(one(path), LIMIT) == ids_read(one(path)) == [("late-id", 1)]


def test_front_matter_never_closed_or_not_a_string_id_gives_no_id(tmp_path: Path):
    (tmp_path / "open.md").write_text("---\nid: x\ntitle: never closed\n", encoding="utf-8")
    (tmp_path / "number.md").write_text("---\nid: 12\n---\nBody.\n", encoding="utf-8")
    for name in ("open.md", "number.md"):
        assert scan_ids(one(tmp_path / name), LIMIT) == ids_read(one(tmp_path / name)) == []


def test_compressed_jsonl_and_bad_lines(tmp_path: Path):
    lines = [
        '{"id": "a", "text": "one"}',
        "not json",
        '{"id": 3, "text": "a number is no id"}',
        "",
        '{"id": "b", "text": "two"}',
        '["a list"]',
        '{"id": "c"}',
    ]
    path = tmp_path / "records.jsonl.gz"
    path.write_bytes(gzip.compress("\n".join(lines).encode()))
    assert scan_ids(one(path), LIMIT) == ids_read(one(path)) == [("a", 1), ("b", 5)]
    path.write_bytes(gzip.compress("\n".join(lines).encode())[:-20])  # cut short: the ids before the break
    assert scan_ids(one(path), LIMIT) == ids_read(one(path))


def test_what_is_not_a_regular_file_or_too_large_is_not_read(tmp_path: Path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)  # opened without blocking and refused: the scan cannot hang on it
    assert scan_ids(SeedFile(str(fifo), "pipe.txt"), LIMIT) == []
    big = tmp_path / "big.json"
    big.write_text('{"id": "big", "text": "' + "x" * 1000 + '"}', encoding="utf-8")
    assert scan_ids(one(big), 100) == []
    assert scan_ids(one(big), LIMIT) == [("big", 1)]
