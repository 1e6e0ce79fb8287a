from __future__ import annotations

import gzip
import os
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import DATA, SEED

from corpuspack.sources import SeedFile, discover, read_seed
from corpuspack.sources.bounded import Refused, open_fd, read_whole

DEFAULTS = {"language": "en", "license": "unknown"}


def read(path: Path, max_bytes: int = 1 << 20, strict: bool = False):
    return read_seed(SeedFile(str(path), path.name), DEFAULTS, max_bytes, strict)


def test_repository_seed_reads_as_the_article_it_is():
    result = read(SEED)
    assert result.findings == []
    [doc] = result.documents
    assert doc.id == "000_54be32d82c67160f"
    assert doc.metadata["title"] == (
        "South Korea is faced with a dilemma of NATO co opting the United States and the Asia Pacific region"
    )
    assert doc.metadata["source"] == "Mondo Education"
    assert doc.metadata["date"] == "2024-01-29"
    assert len(doc.paragraphs) == 18
    assert doc.paragraphs[0].startswith("Recently, South Korea has attracted")
    assert doc.paragraphs[-1] == "Related Pages"
    assert doc.locations["date"].line == 3


def test_crlf_hard_wrapped_article_joins_lines():
    [doc] = read(DATA / "good" / "crlf_article.txt").documents
    assert doc.paragraphs == ("First paragraph is hard wrapped over two lines.", "Second paragraph.")
    assert doc.metadata["source"] == "Daily Planet"
    assert doc.metadata["date"] == "2024-02-01"


def test_bom_is_not_part_of_the_title():
    [doc] = read(DATA / "good" / "bom_article.txt").documents
    assert doc.metadata["title"] == "BOM Article"


def test_dateline_directly_under_title_is_accepted(tmp_path: Path):
    seed = tmp_path / "tight.txt"
    seed.write_text("Title\nWire Published on 2020-02-02\n\nBody.\n", encoding="utf-8")
    [doc] = read(seed).documents
    assert (doc.metadata["title"], doc.metadata["source"], doc.paragraphs) == ("Title", "Wire", ("Body.",))


def test_front_matter_fields_lines_and_body():
    [doc] = read(DATA / "good" / "front.md").documents
    assert doc.metadata["date"] == "2024-03-05"  # a string, not a datetime.date
    assert doc.metadata["authors"] == ["Ada Lovelace"]
    assert doc.paragraphs == ("Body one has two lines.", "Body two.")
    assert doc.locations["url"].line == 5


def test_front_matter_is_loaded_safely(tmp_path: Path):
    seed = tmp_path / "evil.md"
    seed.write_text("---\ntitle: !!python/object/apply:os.system ['echo hi']\n---\n\nBody.\n", encoding="utf-8")
    result = read(seed)
    assert result.documents == []
    assert "invalid YAML" in result.findings[0].message


@pytest.mark.parametrize(
    ("header", "line", "key"),
    [
        ("title: First\nsource: S\ndate: 2024-01-01\ntitle: Second", 5, "'title'"),
        ("title: T\nsource: S\ndate: 2024-01-01\n1: x\n'1': y", 5, "'1'"),  # one field once a string
        ("title: T\nsource: S\ndate: 2024-01-01\nauthors: [{x: 1, x: 2}]", 5, "'x'"),
    ],
)
def test_a_front_matter_key_written_twice_is_a_finding(tmp_path: Path, header: str, line: int, key: str):
    """YAML keeps the last of a key written twice: the first title was lost without a word (a JSON
    seed's key twice was already refused). A `<<:` merge overridden by a later key is no duplicate."""
    seed = tmp_path / "twice.md"
    seed.write_text(f"---\n{header}\n---\n\nBody.\n", encoding="utf-8")
    result = read(seed)
    assert result.documents == []
    [finding] = result.findings
    assert (finding.line, finding.code) == (line, "yaml")
    assert f"the key {key} appears twice" in finding.message
    seed.write_text("---\n<<: {title: Merged}\ntitle: T\nsource: S\ndate: 2024-01-01\n---\n\nBody.\n")
    [doc] = read(seed).documents
    assert doc.metadata["title"] == "T"


def test_sidecar_overrides_and_points_at_its_own_lines():
    [doc] = read(DATA / "good" / "with_sidecar.txt").documents
    assert doc.metadata["license"] == "CC-BY-4.0"
    assert doc.metadata["language"] == "en-GB"
    assert doc.locations["url"].path.endswith("with_sidecar.meta.json")
    assert doc.locations["url"].line == 2


def test_jsonl_records_and_defaults():
    result = read(DATA / "good" / "records.jsonl")
    assert [d.id for d in result.documents] == ["rec-1", "rec-2"]
    assert result.documents[0].paragraphs == ("Alpha.", "Beta.")
    assert result.documents[0].metadata["license"] == "unknown"
    assert result.documents[1].metadata["license"] == "MIT"
    assert result.documents[1].location.line == 3


def test_jsonl_bad_line_does_not_hide_good_lines():
    result = read(DATA / "bad" / "mixed.jsonl")
    assert [d.id for d in result.documents] == ["ok-1", "ok-3"]
    [finding] = result.findings
    assert (finding.line, finding.code) == (2, "json")


def test_compressed_jsonl_streams(tmp_path: Path):
    plain = (DATA / "good" / "records.jsonl").read_bytes()
    gz = tmp_path / "records.jsonl.gz"
    gz.write_bytes(gzip.compress(plain))
    zst = tmp_path / "records.jsonl.zst"
    with pa.output_stream(str(zst), compression="zstd") as out:
        out.write(plain)
    for path in (gz, zst):
        assert [d.id for d in read(path).documents] == ["rec-1", "rec-2"]


def test_json_list_gives_line_of_each_record():
    result = read(DATA / "good" / "single.json")
    assert [(d.id, d.location.line) for d in result.documents] == [("json-1", 2), ("json-2", 3)]


def test_bad_bytes_are_findings_with_lines(tmp_path: Path):
    bad = DATA / "bad"
    assert read(bad / "latin1.txt").findings[0].message.startswith("not valid UTF-8: byte 0xe9 at offset 3")
    assert read(bad / "binary.txt").findings[0].code == "binary"
    assert read(bad / "empty.txt").findings[0].message == "empty file"
    assert read(bad / "blank.txt").findings[0].message == "file holds only whitespace"
    big = tmp_path / "big.txt"
    big.write_text("Title\n\nWire Updated on 2020-01-01\n\n" + "word " * 100, encoding="utf-8")
    assert read(big, max_bytes=100).findings[0].code == "size"


def test_unknown_type_is_a_warning_unless_strict():
    assert read(DATA / "bad" / "notes.xyz").findings[0].severity == "warning"
    assert read(DATA / "bad" / "notes.xyz", strict=True).findings[0].severity == "error"


def test_text_seed_over_the_size_limit_or_unreadable_is_a_finding(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("Title\nOutlet Updated on 2024-01-01\n\n" + "word " * 100)
    [finding] = read(big, max_bytes=64).findings
    assert finding.code == "size" and f"file of {big.stat().st_size} bytes" in finding.message
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    [finding] = read(folder).findings
    assert finding.code == "io" and finding.path == "folder.txt"


@pytest.mark.parametrize(
    ("stat_size", "limit", "expected"),
    [
        (100, 100, 100),  # as stat-ed
        (10, 1000, 100),  # grew after its fstat: read on to its end
        (10, 50, 51),  # grew past the limit: one byte past it, so the reader can tell
        (100, 99, 100),  # stat-ed over the limit (the reader refuses it before reading)
        (200, 1000, 100),  # shrank
        (0, 0, 1),
    ],
)
def test_a_file_read_whole_is_read_to_its_end_or_just_past_the_limit(tmp_path, stat_size, limit, expected):
    path = tmp_path / "x.txt"
    path.write_bytes(bytes(range(100)))
    fd, st = open_fd(str(path), "x.txt")
    try:
        assert st.st_size == 100
        assert read_whole(fd, stat_size, limit) == bytes(range(100))[:expected]
    finally:
        os.close(fd)
    os.mkfifo(tmp_path / "fifo.txt")
    with pytest.raises(Refused, match="a FIFO"):
        open_fd(str(tmp_path / "fifo.txt"), "fifo.txt")


def test_document_id_is_the_name_without_its_last_suffix_and_finds_its_sidecar(tmp_path):
    seed = tmp_path / "2024.01.story.md"
    seed.write_text("Title\nOutlet Updated on 2024-01-01\n\nBody paragraph.\n")
    (tmp_path / "2024.01.story.meta.json").write_text('{"url": "https://example.org/a"}')
    [doc] = read(seed).documents
    assert doc.id == "2024.01.story"
    assert doc.metadata["url"] == "https://example.org/a"


def test_discovery_lists_seeds_once_with_their_sidecars_in_the_stamp(tmp_path):
    root, outside = tmp_path / "proj", tmp_path / "outside"
    seeds = root / "seeds"
    for rel in ["x.txt", "x.meta.json", "a/y.TXT", "a/b/z.md", "a/q.json", ".gitkeep", ".hidden/h.txt"]:
        (seeds / rel).parent.mkdir(parents=True, exist_ok=True)
        (seeds / rel).write_text("Title\nOutlet Updated on 2024-01-01\n\nBody.\n")
    outside.mkdir()
    (outside / "o.txt").write_text("o")
    os.symlink(seeds / "a" / "b", seeds / "b-alias")  # the same folder twice: listed once, by its first name
    os.symlink(outside, seeds / "out")
    found, findings = discover([seeds], root)
    assert [s.rel for s in found] == [
        "seeds/a/b/z.md",
        "seeds/a/q.json",
        "seeds/a/y.TXT",
        "seeds/x.meta.json",
        "seeds/x.txt",
    ]
    assert [f.path for f in findings] == ["seeds/out"] and "outside" in findings[0].message
    by_rel = {s.rel: s for s in found}
    text, side = (seeds / "x.txt").stat(), (seeds / "x.meta.json").stat()
    assert by_rel["seeds/x.txt"].stamp == f"{text.st_size}:{text.st_mtime_ns}+{side.st_size}:{side.st_mtime_ns}"
    assert by_rel["seeds/x.txt"].size == text.st_size
    assert "+" not in by_rel["seeds/a/y.TXT"].stamp


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a folder this user cannot list")
def test_a_folder_that_cannot_be_listed_is_a_finding(tmp_path):
    locked = tmp_path / "seeds" / "locked"
    locked.mkdir(parents=True)
    (tmp_path / "seeds" / "ok.txt").write_text("Title\nOutlet Updated on 2024-01-01\n\nBody.\n")
    locked.chmod(0)
    try:
        found, findings = discover([tmp_path / "seeds"], tmp_path)
    finally:
        locked.chmod(0o755)
    assert [s.rel for s in found] == ["seeds/ok.txt"]
    assert [(f.path, f.code) for f in findings] == [("seeds/locked", "io")]
