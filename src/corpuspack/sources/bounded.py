"""The one bounded way in for every reader: regular files only, opened without blocking, bytes,
decompressed bytes, line length, nesting, items and findings per file all capped, every cap a
finding rather than a hang, a traceback or unbounded memory."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

import pyarrow as pa

from .. import regular
from ..model import Finding
from ..regular import read_whole  # noqa: F401 - the readers take it from here

MAX_DEPTH = 32  # nesting of a record's values (a record is an object of strings and lists)
MAX_ITEMS = 1_000  # items of one list or fields of one object in a record (tags, authors ...)
MAX_FINDINGS = 100  # per file; the rest are counted in one more finding
# A compressed seed may decompress to this many times its own size (or max_file_bytes, if more):
# text compresses 3-20x, so anything far past that is a bomb, not a corpus.
MAX_RATIO = 100
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class Refused(Exception):
    """A seed file that is not read: the finding says why."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def open_regular(path: str, rel: str) -> BinaryIO:
    """Open `path` for reading if it is a regular file; a FIFO or a device is refused at once
    (opened without blocking, so a FIFO with no writer cannot hang the run)."""
    fd, _ = open_fd(path, rel)
    try:
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def open_fd(path: str, rel: str) -> tuple[int, os.stat_result]:
    """`open_regular` as a bare descriptor, with its fstat (for a file read whole: no file object)."""
    try:
        return regular.open_fd(path)
    except regular.NotRegular as exc:
        raise Refused(Finding(rel, None, "", f"{exc}: not read", code="io")) from None


def too_large(rel: str, size: int, limit: int, what: str = "file") -> Finding:
    return Finding(rel, None, "", f"{what} of {size} bytes is over the limit of {limit}", code="size")


def compression_of(name: str) -> str | None:
    lower = name.lower()
    return "gzip" if lower.endswith(".gz") else "zstd" if lower.endswith(".zst") else None


def numbered_lines(file: BinaryIO, rel: str, max_line: int) -> Iterator[tuple[int, bytes | int]]:
    """(line number, bytes without the line break) of a possibly compressed stream, or (number,
    length) for a line over `max_line` bytes, which is skipped without being held. Stops with
    `Refused` when a compressed file decompresses past `MAX_RATIO` times its size."""
    size = os.fstat(file.fileno()).st_size
    compression = compression_of(rel)
    budget = max(size * MAX_RATIO, max_line) if compression else None
    total = 0
    with pa.input_stream(file, compression=compression) as stream:
        reader = io.BufferedReader(stream, buffer_size=1 << 20)
        number = 0
        while True:
            raw = reader.readline(max_line + 1)
            if not raw:
                return
            number += 1
            length = len(raw)
            while not raw.endswith(b"\n") and length > max_line:  # a long line: skip the rest of it
                more = reader.readline(1 << 20)
                if not more:
                    break
                length += len(more)
                raw = more
                if budget is not None and total + length > budget:
                    break
            total += length
            if budget is not None and total > budget:
                message = f"decompresses to over {budget} bytes ({MAX_RATIO} times its size): not read further"
                raise Refused(Finding(rel, number, "", message, code="size"))
            yield number, (length if length > max_line else raw.rstrip(b"\r\n"))


def may_hold_surrogates(text: str) -> bool:
    """Whether JSON text has an escape that could decode to a lone surrogate (a cheap pre-check)."""
    return _SURROGATE_ESCAPE.search(text) is not None


def shape_problem(value: Any, surrogates: bool = True) -> str | None:
    """Why a parsed record cannot be taken (too deep, too many items, a lone surrogate when
    `surrogates`), or None. Iterative, so a hostile record cannot exhaust the stack."""
    stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            if surrogates and has_surrogate(node):
                return "holds a lone surrogate (an escape such as \\ud800 that is no character)"
        elif isinstance(node, dict | list):
            if depth >= MAX_DEPTH:
                return f"nested over {MAX_DEPTH} levels deep"
            if len(node) > MAX_ITEMS:
                return f"a value holds {len(node)} items, over the limit of {MAX_ITEMS}"
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, child in items:
                if surrogates and isinstance(key, str) and has_surrogate(key):
                    return "holds a lone surrogate (an escape such as \\ud800 that is no character)"
                stack.append((child, depth + 1))
        elif not (node is None or isinstance(node, bool | int | float)):
            return f"holds a value of type {type(node).__name__}, which JSON has no place for"
    return None


def has_surrogate(text: str) -> bool:
    """A lone surrogate (from a `\\ud800` escape, or a file name that is not UTF-8) in `text`."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
