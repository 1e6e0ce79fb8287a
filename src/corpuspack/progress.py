"""How a long stage reports how far it is: the caller passes a `Progress`, the stage calls the
`advance(n)` it yields. Drawing bars is the command line's business (`terminal.py`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

Advance = Callable[[int], None]


class Progress(Protocol):
    def __call__(self, stage: str, total: int | None, unit: str) -> AbstractContextManager[Advance]:
        """Entered around a stage that will `advance` by `total` units (None: unknown)."""
        ...


@contextmanager
def quiet(stage: str, total: int | None, unit: str) -> Iterator[Advance]:
    """The progress of a library call: none shown."""
    yield lambda n: None
