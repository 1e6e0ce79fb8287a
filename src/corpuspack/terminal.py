"""Progress bars on a terminal for the command line (`progress.Progress`); none when stderr is not one."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tqdm import tqdm

from .progress import Advance


@contextmanager
def bars(stage: str, total: int | None, unit: str) -> Iterator[Advance]:
    """A bar moved by `advance(n)` (from any thread), with a rate in `unit`/s."""
    if not sys.stderr.isatty():
        yield lambda n: None
        return
    lock = threading.Lock()
    with tqdm(desc=stage, unit=unit, total=total, leave=False, dynamic_ncols=True) as shown:

        def advance(n: int) -> None:
            with lock:
                shown.update(n)

        yield advance
