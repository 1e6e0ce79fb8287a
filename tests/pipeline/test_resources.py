"""What a build moves on disk and holds in memory: texts spilled compressed, the bytes read and
written reported, a spill damaged after its chunk finished done again rather than read, Arrow's
allocator."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import run, run_cli, sentence, write_article

from corpuspack import build, load_config
from corpuspack.tuning import Tuning


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _writes_are_counted(folder: Path) -> bool:
    """Whether this file system's writes show in the kernel's block counts (not on tmpfs, say)."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_oublock
    probe = folder / "probe"
    with probe.open("wb") as f:
        f.write(os.urandom(1 << 20))
        f.flush()
        os.fsync(f.fileno())
    probe.unlink()
    return resource.getrusage(resource.RUSAGE_SELF).ru_oublock > before


def test_texts_are_spilled_compressed_beside_the_features(planted: Path, tmp_path: Path):
    for i in range(5):  # long, repetitive English: what zstd shrinks
        write_article(planted / "seeds" / "long", f"long{i}", [sentence(500 + i, 200) * 3 for _ in range(5)])
    work = tmp_path / "work"
    run(planted, tmp_path, work=work, tuning=Tuning(chunk_files=100))
    texts = sorted(work.glob("texts-*.arrow"))
    assert texts and len(texts) == len(list(work.glob("paragraphs-*.arrow")))
    for path in texts:
        with pa.memory_map(str(path)) as source:
            table = pa.ipc.open_file(source).read_all()
        raw = sum(len(t.encode()) for t in table.column("text").to_pylist())
        assert path.stat().st_size < raw / 2, path  # zstd on repetitive text
    for path in work.glob("paragraphs-*.arrow"):
        with pa.memory_map(str(path)) as source:
            assert "text" not in pa.ipc.open_file(source).schema.names


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="block counts are bytes on Linux only")
def test_a_build_reports_the_bytes_it_wrote(planted: Path, tmp_path: Path):
    if not _writes_are_counted(tmp_path):
        pytest.skip("this file system's writes are not counted (tmpfs)")
    out, work = tmp_path / "out", tmp_path / "work"
    result = build(out=out, work=work, config=load_config(planted), workers=1)
    published = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    spilled = sum(p.stat().st_size for p in work.rglob("*") if p.is_file())
    assert set(result.bytes_moved) == {"read", "written"}
    assert result.bytes_moved["read"] >= 0
    # Every file it made was written (a page at least each); nothing near ten times over.
    assert published + spilled <= result.bytes_moved["written"] <= 10 * (published + spilled) + (1 << 20)
    done = run_cli("build", "--out", str(tmp_path / "cli"), "-q", cwd=planted)
    assert done.returncode == 0, done.stderr
    assert "MB read from disk" in done.stderr and "MB written" in done.stderr


@pytest.mark.parametrize("damage", ["cut short", "same size, other bytes", "removed"])
def test_a_damaged_spill_file_redoes_its_chunk(planted: Path, tmp_path: Path, damage: str):
    tuning = Tuning(chunk_files=3)
    clean = run(planted, tmp_path, "clean", tuning=tuning)
    work = tmp_path / "work"
    build(out=tmp_path / "first", work=work, config=load_config(planted), workers=1, tuning=tuning)
    chunks = len(list(work.glob("chunk-*.done")))
    victim = sorted(work.glob("texts-*.arrow"))[1]
    size = victim.stat().st_size
    if damage == "cut short":
        os.truncate(victim, size // 2)
    elif damage == "removed":
        victim.unlink()
    else:
        victim.write_bytes(b"\0" * size)
    again = build(out=tmp_path / "again", work=work, config=load_config(planted), workers=1, tuning=tuning)
    assert again.reused_chunks == chunks - 1
    assert _files(tmp_path / "again") == _files(clean)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="chosen on Linux only")
def test_arrow_allocates_with_jemalloc_unless_the_environment_chose(tmp_path: Path):
    show = "import corpuspack, pyarrow; print(pyarrow.default_memory_pool().backend_name)"
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    has = subprocess.run([sys.executable, "-c", "import pyarrow; pyarrow.jemalloc_memory_pool()"], env=env)
    if has.returncode != 0:
        pytest.skip("this pyarrow has no jemalloc")
    for chosen, expected in ((None, "jemalloc"), ("system", "system")):
        run_env = env if chosen is None else {**env, "ARROW_DEFAULT_MEMORY_POOL": chosen}
        done = subprocess.run([sys.executable, "-c", show], env=run_env, capture_output=True, text=True, check=True)
        assert done.stdout.strip() == expected


def test_importing_corpuspack_leaves_the_environment_of_child_processes_alone():
    # A program that imports corpuspack, then runs another (a tool on another Arrow build, without
    # jemalloc, would warn at each start) must not hand it an allocator choice.
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    show = "import corpuspack, os; print(os.environ.get('ARROW_DEFAULT_MEMORY_POOL'))"
    done = subprocess.run([sys.executable, "-c", show], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "None" and done.stderr == ""
