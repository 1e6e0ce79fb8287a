"""One piece of work in a forked process, reporting progress and its result back through a pipe.

Forked, the child starts with this process's memory as it is (copy-on-write): nothing is pickled
on the way in; progress counts and the pickled result (file facts, candidate-pair codes,
similarities) come back. Pages either process writes afterwards are copied, which is why callers
fork only for large work.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import threading
import traceback
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from ..progress import Advance

T = TypeVar("T")


def can_fork() -> bool:
    return "fork" in mp.get_all_start_methods()


class Forked(Generic[T]):
    """`work(advance)` run in a child process; `result()` waits for it, advancing `advance` as the
    child does, and raises the child's error in this process."""

    def __init__(self, work: Callable[[Advance], T], advance: Advance) -> None:
        context = mp.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        # A collection in the child would touch, so copy, every page holding this process's objects.
        gc.freeze()
        try:
            self._process = context.Process(target=_child, args=(work, send), daemon=True)
            self._process.start()
        finally:
            gc.unfreeze()
        send.close()
        self._outcome: tuple[str, object] | None = None
        self._listener = threading.Thread(target=self._listen, args=(advance,), daemon=True)
        self._listener.start()

    def _listen(self, advance: Advance) -> None:
        while True:
            try:
                kind, value = self._receive.recv()
            except (EOFError, OSError):
                return
            if kind == "advance":
                advance(value)
            else:
                self._outcome = (kind, value)
                return

    def result(self) -> T:
        self._listener.join()
        self._process.join()
        if self._outcome is None:  # killed (out of memory, say) before it could say anything
            raise RuntimeError(f"a forked process ended without a result (exit code {self._process.exitcode})")
        kind, value = self._outcome
        if kind == "error":
            raise value if isinstance(value, BaseException) else RuntimeError(value)
        return value

    def stop(self) -> None:
        """End the child early (this process failed: its work is no longer wanted)."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._listener.join()


def split(parts: Sequence[Callable[[], T]], workers: int) -> list[T]:
    """The results of `parts`, in order; with `workers` > 1, the first runs here while the others
    run at once in forked processes."""
    if workers < 2 or len(parts) < 2 or not can_fork():
        return [part() for part in parts]
    children = [Forked(lambda advance, part=part: part(), lambda n: None) for part in parts[1:]]
    try:
        return [parts[0](), *(child.result() for child in children)]
    except BaseException:
        for child in children:
            child.stop()
        raise


def _child(work: Callable[[Advance], T], send: mp.connection.Connection) -> None:
    try:
        outcome = ("done", work(lambda n: send.send(("advance", n))))
    except BaseException as exc:
        outcome = ("error", exc)
    try:
        send.send(outcome)
    except Exception as exc:  # what was to be sent does not pickle: send the error as text
        detail = outcome[1] if outcome[0] == "error" else exc
        send.send(("error", "".join(traceback.format_exception(detail))))
    finally:
        send.close()
