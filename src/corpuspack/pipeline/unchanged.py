"""Knowing a kept chunk's files unchanged without reading them again.

A chunk's marker records the sha256 of every file it read; checking them means reading every seed of
every kept chunk again (at 100,000 seeds, 0.9 GB and about ten seconds). The marker also records
each file's identity as `stat` gives it: device, inode, size, modification and change time. The
change time (ctime) cannot be set back by a user: writing a file, or setting its mtime back with
`utime`, moves it to now. So a file whose stat is still the one recorded, recorded when its ctime
lay well before the chunk was read, holds the bytes that were read, and its hash is not taken
again. A file changed less than `MARGIN_NS` before the read is not recorded (file systems keep
coarse timestamps): it is hashed, as is any file whose stat differs.
"""

from __future__ import annotations

import os

MARGIN_NS = 2 * 10**9


def stats(files: list[tuple[str, str]], started_ns: int) -> dict[str, str]:
    """The identity of each (rel, path) in `files` whose last change precedes `started_ns` (when the
    chunk's reading began) by `MARGIN_NS` or more; taken after reading, so an unchanged ctime
    proves the file was not written while it was read."""
    out = {}
    for rel, path in files:
        identity = _identity(path, started_ns - MARGIN_NS)
        if identity:
            out[rel] = identity
    return out


def unchanged(files: list[tuple[str, str]], recorded: object) -> bool:
    """Whether every file of `files` is recorded and its stat is the one recorded."""
    if not isinstance(recorded, dict) or len(recorded) != len(files):
        return False
    return all(isinstance(recorded.get(rel), str) and recorded[rel] == (_identity(path) or None) for rel, path in files)


def _identity(path: str, changed_before_ns: int | None = None) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return ""
    if changed_before_ns is not None and st.st_ctime_ns >= changed_before_ns:
        return ""
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"
