"""Telling the kernel which seed files a build will read next, and which it is done with.

A million small seeds are bound by the disk's operations per second, not by its bandwidth: a
worker that reads its files one after another waits on each while the disk serves one request at
a time, and the disk idles while the worker parses. `Readahead` walks the chunks a few ahead of
the workers and asks for each file's pages with `posix_fadvise(WILLNEED)`: the request is queued
and the call returns, so the disk has many requests to serve at once and a worker finds its files
in the page cache. Nothing is read into this process and no bytes change.

A build reads each seed once. When the seeds and their spill (about twice their size) could not
stay in the page cache together (`too_large_to_keep`), the worker that read a seed lets go of its
pages (`read_seed(forget=True)`), so that dedup and the writer find the spill there instead of
reading it from disk again.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import partial

from .discover import SeedFile

CAN_ADVISE = hasattr(os, "posix_fadvise")
# Only a file's head is asked for: a large JSONL file is streamed, and the kernel's own read-ahead
# follows a sequential reader.
HEAD_BYTES = 4 * 1024 * 1024
SPILL_PER_SEED_BYTE = 1  # spill bytes per seed byte (compressed text, keys, bands), a measured ratio rounded up


def advise(seeds: Sequence[SeedFile], advice: int, stop: threading.Event | None = None) -> None:
    """`posix_fadvise` each seed (`HEAD_BYTES` of it for WILLNEED, all of it otherwise); errors
    are ignored: the worker that reads a file reports what is wrong with it."""
    for seed in seeds:
        if stop is not None and stop.is_set():
            return
        try:
            fd = os.open(seed.file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            continue
        try:
            head = HEAD_BYTES if seed.size < 0 else min(seed.size, HEAD_BYTES)
            os.posix_fadvise(fd, 0, head if advice == os.POSIX_FADV_WILLNEED else 0, advice)  # 0: to the end
        except OSError:
            pass
        finally:
            os.close(fd)


def too_large_to_keep(seed_bytes: int) -> bool:
    """Whether seeds of `seed_bytes` and their spill would take over half of this machine's memory."""
    try:
        memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return False
    return seed_bytes * (1 + SPILL_PER_SEED_BYTE) > memory // 2


class Readahead:
    """A thread advising the files of chunk `i` once fewer than `ahead` chunks before it are
    unfinished; `finished(n)` says the first `n` chunks are done, `close()` stops the thread.

    It runs in the process that hands out chunks and waits for results, which is idle meanwhile,
    so its few Python steps per file take no time from the workers.
    """

    def __init__(self, chunks: Sequence[Sequence[SeedFile]], ahead: int) -> None:
        self._chunks, self._ahead = chunks, ahead
        self._done = 0
        self._moved = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="corpuspack-readahead", daemon=True)
        if CAN_ADVISE and chunks:
            self._thread.start()

    def _due(self, advised: int) -> bool:
        """Whether there is a chunk to advise, or the thread is to stop."""
        return self._stop.is_set() or advised < min(len(self._chunks), self._done + self._ahead)

    def _run(self) -> None:
        for advised, chunk in enumerate(self._chunks):
            with self._moved:
                self._moved.wait_for(partial(self._due, advised))
            if self._stop.is_set():
                return
            advise(chunk, os.POSIX_FADV_WILLNEED, self._stop)

    def finished(self, count: int) -> None:
        """The first `count` chunks are done."""
        with self._moved:
            self._done = count
            self._moved.notify()

    def close(self) -> None:
        self._stop.set()
        with self._moved:
            self._moved.notify()
        if self._thread.is_alive():
            self._thread.join()

    def __enter__(self) -> Readahead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
