"""Progress bars on a terminal, silence everywhere else."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")


def progress(
    items: Iterable[T], stage: str, unit: str = "doc", show: bool = False, weights: Sequence[int] | None = None
) -> Iterator[T]:
    """Wrap `items` in a bar (with a rate, `unit`/s) when `show` and stderr is a terminal. With
    `weights`, item i advances the bar by weights[i] (a chunk of files counts as its files)."""
    if not show or not sys.stderr.isatty():
        yield from items
        return
    total = sum(weights) if weights is not None else None
    with tqdm(desc=stage, unit=unit, total=total, leave=False, dynamic_ncols=True) as bar:
        for i, item in enumerate(items):
            bar.update(weights[i] if weights is not None else 1)
            yield item
