"""Seed files asked for ahead of the workers, and let go of once read, on real files."""

from __future__ import annotations

import ctypes
import mmap
import os
import sys
import threading
import time
from pathlib import Path

import pytest

from corpuspack.sources import SeedFile, read_seed, readahead
from corpuspack.sources.readahead import SPILL_PER_SEED_BYTE, Readahead, advise, too_large_to_keep

pytestmark = pytest.mark.skipif(not readahead.CAN_ADVISE, reason="no posix_fadvise on this platform")


def resident(path: Path) -> int:
    """How many of the file's pages are in the page cache (`mincore` of a mapping: it reads nothing)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
    size = path.stat().st_size
    pages = (ctypes.c_ubyte * -(-size // mmap.PAGESIZE))()
    fd = os.open(path, os.O_RDONLY)
    try:
        address = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        assert libc.mincore(address, size, pages) == 0, os.strerror(ctypes.get_errno())
        libc.munmap(address, size)
    finally:
        os.close(fd)
    return sum(page & 1 for page in pages)


def seed(path: Path) -> SeedFile:
    return SeedFile(str(path), path.name, path.stat().st_size if path.exists() else -1)


@pytest.mark.skipif(sys.platform != "linux", reason="looks into the page cache with Linux's mincore")
def test_advise_reads_pages_in_and_lets_them_go(tmp_path: Path):
    path = tmp_path / "a.txt"
    with open(path, "wb") as f:
        f.write(os.urandom(readahead.HEAD_BYTES + 1024 * 1024))
        f.flush()
        os.fsync(f.fileno())  # written out: clean pages can be let go
    head, pages = readahead.HEAD_BYTES // mmap.PAGESIZE, -(-path.stat().st_size // mmap.PAGESIZE)
    advise([seed(path)], os.POSIX_FADV_DONTNEED)
    if resident(path):
        pytest.skip("this file system keeps its pages (tmpfs)")
    advise([seed(path)], os.POSIX_FADV_WILLNEED)
    deadline = time.monotonic() + 10
    while resident(path) < head and time.monotonic() < deadline:
        time.sleep(0.01)
    assert head <= resident(path) < pages  # the head only: the kernel reads ahead of a reader on its own
    advise([seed(path)], os.POSIX_FADV_DONTNEED)
    assert resident(path) == 0


def test_advise_passes_over_what_it_cannot_open(tmp_path: Path):
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "fifo")  # opened without blocking, though no one writes to it
    (tmp_path / "ok.txt").write_text("text")
    seeds = [seed(tmp_path / n) for n in ("missing.txt", "folder", "fifo", "ok.txt")]
    for advice in (os.POSIX_FADV_WILLNEED, os.POSIX_FADV_DONTNEED):
        advise(seeds, advice)
    assert (tmp_path / "ok.txt").read_text() == "text"


def test_too_large_to_keep_compares_with_the_machine_memory():
    memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert not too_large_to_keep(70 * 1024 * 1024)
    assert not too_large_to_keep(memory // 8)
    # Seeds and their spill (SPILL_PER_SEED_BYTE per seed byte) over half the memory: too large.
    assert not too_large_to_keep(memory // (2 * (1 + SPILL_PER_SEED_BYTE)))
    assert too_large_to_keep(memory // (2 * (1 + SPILL_PER_SEED_BYTE)) + 1)


def test_readahead_stays_a_few_chunks_ahead(tmp_path: Path, monkeypatch):
    calls: list[str] = []
    moved = threading.Condition()

    def record(seeds, advice, stop=None):
        assert advice == os.POSIX_FADV_WILLNEED
        with moved:
            calls.append(seeds[0].rel)
            moved.notify_all()

    def settle(count: int) -> list[str]:
        with moved:
            assert moved.wait_for(lambda: len(calls) >= count, timeout=10)
        time.sleep(0.05)  # nothing more comes until the window moves
        return list(calls)

    monkeypatch.setattr(readahead, "advise", record)
    chunks = [[SeedFile(str(tmp_path / f"c{i}"), f"c{i}")] for i in range(6)]
    with Readahead(chunks, ahead=2) as ahead:
        assert settle(2) == ["c0", "c1"]
        ahead.finished(3)
        assert settle(5) == ["c0", "c1", "c2", "c3", "c4"]
        ahead.finished(6)
        assert settle(6) == [f"c{i}" for i in range(6)]


def test_readahead_stops_at_once(tmp_path: Path, monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(readahead, "advise", lambda seeds, advice, stop=None: calls.append(seeds[0].rel))
    chunks = [[SeedFile(str(tmp_path / f"c{i}"), f"c{i}")] for i in range(100)]
    with pytest.raises(KeyboardInterrupt), Readahead(chunks, ahead=1) as ahead:
        ahead.finished(1)
        raise KeyboardInterrupt
    assert len(calls) <= 2  # c0 and perhaps c1: not the other 98 chunks


@pytest.mark.skipif(sys.platform != "linux", reason="looks into the page cache with Linux's mincore")
@pytest.mark.parametrize("forget", [False, True])
def test_a_seed_read_with_forget_leaves_the_page_cache(tmp_path: Path, forget: bool):
    path = tmp_path / "a.txt"
    with open(path, "wb") as f:
        f.write(b"Title\n\nSource Updated on 2024-01-02\n\n" + b"Some words here. " * 20000 + b"\n")
        f.flush()
        os.fsync(f.fileno())
    advise([seed(path)], os.POSIX_FADV_DONTNEED)  # start from the disk
    if resident(path):
        pytest.skip("this file system keeps its pages (tmpfs)")
    result = read_seed(seed(path), {"language": "en", "license": "CC0-1.0"}, 1 << 30, forget=forget)
    assert [len(d.paragraphs) for d in result.documents] == [1]
    assert resident(path) == (0 if forget else -(-path.stat().st_size // mmap.PAGESIZE))
