"""Reading a regular file, bounded: opened without blocking (a FIFO with no writer cannot hang a
run), refused unless the open descriptor is a regular file (a device such as /dev/zero never ends),
and read no further than a limit. Seeds (`sources.bounded`) and configuration files both use it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import ConfigError
from .printable import printable, printable_path


class NotRegular(Exception):
    """What was opened is no regular file; `kind` says what it is ("a FIFO", "a device" ...)."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"not a regular file ({kind})")
        self.kind = kind


def open_fd(path: str, follow: bool = True) -> tuple[int, os.stat_result]:
    """A read-only descriptor of `path` and its fstat, if it is a regular file, else `NotRegular`.
    A symlink is followed (without `follow`, opening one is an OSError): what it leads to is checked,
    on the open descriptor, so nothing swapped in between a check and the read gets through."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | (0 if follow else os.O_NOFOLLOW)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegular(_kind(st.st_mode))
        os.set_blocking(fd, True)
        return fd, st
    except BaseException:
        os.close(fd)
        raise


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a directory" if stat.S_ISDIR(mode) else "a device"


def read_whole(fd: int, size: int, limit: int) -> bytes:
    """A regular file's bytes to its end, `size` (its fstat's) and one more asked for at once: one
    that grew while being read is read on, but no further than `limit` + 1 bytes (over the limit)."""
    parts = [os.read(fd, size + 1)]
    total, want = len(parts[0]), size + 1
    while True:
        if total >= want:
            if want > limit:
                break
            want = limit + 1
        more = os.read(fd, min(want - total, 1 << 24))
        if not more:
            break
        parts.append(more)
        total += len(more)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def read_capped(fd: int, st: os.stat_result, limit: int) -> tuple[bytes, int]:
    """The bytes of the open regular file `fd` (of fstat `st`), which is then closed, and its size:
    the larger of its fstat's and what was read. Over `limit` by its fstat, nothing is read; one
    that grows while read is cut at `limit` + 1 bytes. OSErrors are raised."""
    try:
        data = b"" if st.st_size > limit else read_whole(fd, st.st_size, limit)
    finally:
        os.close(fd)
    return data, max(st.st_size, len(data))


def read_config_file(path: Path, limit: int, what: str) -> bytes:
    """The bytes of a configuration file (pyproject.toml, a schema) of at most `limit` bytes; one
    that cannot be opened, is no regular file or is larger is a ConfigError naming it and why."""
    try:
        fd, st = open_fd(str(path))
    except NotRegular as exc:
        raise ConfigError(f"{path}: {what} is {exc}: not read") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    try:
        raw, size = read_capped(fd, st, limit)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    if size > limit:
        raise ConfigError(f"{path}: {what} of {size} bytes is over the limit of {limit} bytes: not read")
    return raw


def read_own_text(path: Path, limit: int, what: str, error: type[Exception], hint: str = "") -> str | None:
    """The UTF-8 text of a file corpuspack publishes or publishes from (`CARD.md`, the dataset's
    changelog), None when there is none. `error(message)` when it is a symlink (its target would be
    published), not a regular file, over `limit` bytes or not UTF-8; `what` names it there."""
    shown = printable_path(path)
    try:
        if stat.S_ISLNK(os.lstat(path).st_mode):
            raise error(f"{shown}: a symlink; {what} must be a file{hint}")
        fd, st = open_fd(str(path))
    except FileNotFoundError:
        return None
    except NotRegular as exc:
        raise error(f"{shown}: not a regular file ({exc.kind}); {what} must be a regular file") from None
    except OSError as exc:
        raise error(f"{shown}: cannot read: {printable(exc.strerror or str(exc))}") from None
    try:
        data, size = read_capped(fd, st, limit)
    except OSError as exc:
        raise error(f"{shown}: cannot read: {printable(exc.strerror or str(exc))}") from None
    if size > limit:
        raise error(f"{shown}: over {limit} bytes; not read as {what}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{shown}: not valid UTF-8 (byte {exc.start})") from None
