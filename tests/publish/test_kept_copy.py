"""Kept files copied by the kernel, and by a read and a write where it cannot (`publish.kept`)."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from corpuspack.publish.kept import _copy, _copy_range


def test_a_copy_holds_the_source_bytes_and_feeds_the_digest_the_copy(tmp_path: Path):
    body = os.urandom(3 * 1024 * 1024 + 17)
    source, dest = tmp_path / "source", tmp_path / "dest"
    source.write_bytes(body)
    digest = hashlib.sha256()
    assert _copy(source, dest, len(body), digest)
    assert dest.read_bytes() == body
    assert digest.hexdigest() == hashlib.sha256(body).hexdigest()


def test_a_source_of_another_size_is_not_copied(tmp_path: Path):
    source = tmp_path / "source"
    source.write_bytes(b"x" * 100)
    assert not _copy(source, tmp_path / "short", 99)
    assert not _copy(source, tmp_path / "long", 101)
    link = tmp_path / "link"
    link.symlink_to(source)
    assert not _copy(link, tmp_path / "through-link", 100)
    assert not (tmp_path / "through-link").exists()


def test_where_the_kernel_cannot_copy_the_bytes_are_read_and_written(tmp_path: Path):
    """A pipe is no file the kernel copies from (`copy_file_range` fails with EINVAL): the fallback
    reads and writes, at most `size` bytes, and the copy holds them all."""
    body = os.urandom(200_000)
    read_end, write_end = os.pipe()

    def fill() -> None:
        with open(write_end, "wb") as pipe:
            pipe.write(body + b"past the size")

    filler = threading.Thread(target=fill)
    filler.start()
    dest = tmp_path / "dest"
    out = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        assert _copy_range(read_end, out, len(body)) == len(body)
    finally:
        os.close(out)
        os.close(read_end)
        filler.join()
    assert dest.read_bytes() == body
