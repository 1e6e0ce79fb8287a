"""Seeds and outputs on fsspec URLs: `memory://` in this process, `file://` from the command line."""

from __future__ import annotations

from pathlib import Path

import fsspec
import pyarrow.parquet as pq
import pytest
from conftest import run_cli, sentence, write_article

from corpuspack import build, load_config, validate
from corpuspack.errors import DataError, UsageError


@pytest.fixture
def memory():
    fs = fsspec.filesystem("memory")
    fs.rm("/bucket", recursive=True) if fs.exists("/bucket") else None
    yield fs
    if fs.exists("/bucket"):
        fs.rm("/bucket", recursive=True)


def _upload(fs, folder, url_root: str) -> None:
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        fs.pipe(f"{url_root}/{path.relative_to(folder).as_posix()}", path.read_bytes())


def _seeds(small):
    shared = sentence(1, 30)
    write_article(small / "seeds", "a1", [shared, sentence(2, 30)])
    write_article(small / "seeds", "a2", [sentence(3, 30), shared])
    (small / "seeds" / "more").mkdir()
    write_article(small / "seeds" / "more", "a3", [sentence(4, 30)])
    return small


def test_build_reads_and_writes_urls_with_the_local_bytes(small, tmp_path, memory):
    _seeds(small)
    _upload(memory, small / "seeds", "/bucket/seeds")
    config = load_config(small)
    local = build(out=tmp_path / "local", config=config, workers=1)
    remote = build(seeds="memory://bucket/seeds", out="memory://bucket/v1", config=config, workers=2)
    assert remote.out == "memory://bucket/v1"
    assert remote.manifest["config"]["seeds"] == "memory://bucket/seeds"
    files = sorted(p.relative_to(local.out).as_posix() for p in local.out.rglob("*") if p.is_file())
    uploaded = sorted(p.removeprefix("/bucket/v1/") for p in memory.find("/bucket/v1"))
    assert uploaded == files
    for rel in files:
        if rel not in ("manifest.json", "croissant.json"):  # they name where the seeds came from
            assert memory.cat(f"/bucket/v1/{rel}") == (local.out / rel).read_bytes(), rel
    assert not memory.exists("/bucket/.v1.partial")
    with memory.open("/bucket/v1/documents/train-00000-of-00001.parquet", "rb") as f:
        table = pq.read_table(f)
    assert table.column("seed_path").to_pylist() == ["seeds/a1.txt", "seeds/a2.txt", "seeds/more/a3.txt"]


def test_build_refuses_a_url_that_holds_files(small, tmp_path, memory):
    _seeds(small)
    memory.pipe("/bucket/v1/old.txt", b"x")
    with pytest.raises(UsageError, match="not empty"):
        build(out="memory://bucket/v1", config=load_config(small), workers=1)
    assert memory.cat("/bucket/v1/old.txt") == b"x"


def test_a_missing_seeds_url_is_a_usage_error(small, tmp_path, memory):
    with pytest.raises(UsageError, match="memory://bucket/nothing: no such file"):
        build(seeds="memory://bucket/nothing", out=tmp_path / "x", config=load_config(small), workers=1)
    assert not (tmp_path / "x").exists()


def test_validate_names_url_seeds_by_their_url(small, memory):
    _seeds(small)
    (small / "seeds" / "bad.md").write_text("---\ntitle: [unclosed\n---\nBody.\n")
    _upload(memory, small / "seeds", "/bucket/seeds")
    report = validate(["memory://bucket/seeds"], config=load_config(small))
    assert report.exit_code == 1
    assert [f.path for f in report.findings] == ["memory://bucket/seeds/bad.md"]
    assert "memory://bucket/seeds/more/a3.txt" in report.files


def test_cli_takes_file_urls(small, tmp_path):
    _seeds(small)
    out = tmp_path / "out"
    done = run_cli("build", "--seeds", f"file://{small / 'seeds'}", "--out", f"file://{out}", "-q", cwd=small)
    assert done.returncode == 0, done.stderr
    assert (out / "manifest.json").is_file() and (out / "paragraphs").is_dir()
    done = run_cli("validate", f"file://{small / 'seeds'}", cwd=small)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_store_key_climbing_out_of_the_mirror_is_refused(small, tmp_path, memory):
    _upload(memory, _seeds(small) / "seeds", "memory://bucket/seeds")
    memory.pipe("/bucket/seeds/sub/../../../../../../../../tmp/corpuspack-escape.txt", b"planted\n")
    target = Path("/tmp/corpuspack-escape.txt")
    target.unlink(missing_ok=True)
    with pytest.raises(DataError, match="leads outside the folder being mirrored"):
        build(seeds="memory://bucket/seeds", out=tmp_path / "out", config=load_config(small), workers=1)
    assert not target.exists() and not (tmp_path / "out").exists()
