"""Progress bars on a terminal, silence everywhere else."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")
Advance = Callable[[int], None]


def _shown(show: bool) -> bool:
    return show and sys.stderr.isatty()


def progress(
    items: Iterable[T], stage: str, unit: str = "doc", show: bool = False, weights: Sequence[int] | None = None
) -> Iterator[T]:
    """Wrap `items` in a bar (with a rate, `unit`/s) when `show` and stderr is a terminal. With
    `weights`, item i advances the bar by weights[i] (a chunk of files counts as its files)."""
    if not _shown(show):
        yield from items
        return
    total = sum(weights) if weights is not None else None
    with tqdm(desc=stage, unit=unit, total=total, leave=False, dynamic_ncols=True) as bar:
        for i, item in enumerate(items):
            bar.update(weights[i] if weights is not None else 1)
            yield item


@contextmanager
def bar(stage: str, total: int | None, unit: str, show: bool = False) -> Iterator[Advance]:
    """A bar that the caller moves with `advance(n)` (from any thread); a no-op when not shown."""
    if not _shown(show):
        yield lambda n: None
        return
    lock = threading.Lock()
    with tqdm(desc=stage, unit=unit, total=total, leave=False, dynamic_ncols=True) as shown:

        def advance(n: int) -> None:
            with lock:
                shown.update(n)

        yield advance
