"""Progress bars on a terminal, silence everywhere else."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")


def progress(
    items: Iterable[T], stage: str, unit: str = "doc", show: bool = False, total: int | None = None
) -> Iterator[T]:
    """Wrap `items` in a bar when `show` and stderr is a terminal."""
    if not show or not sys.stderr.isatty():
        yield from items
        return
    yield from tqdm(items, desc=stage, unit=unit, total=total, leave=False, dynamic_ncols=True)
