"""The local engine's read workers: a process pool reading chunks of seed files, largest first,
results in order; Ctrl-C ends them quietly, and a worker that dies is a clear error."""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa

from ..config import Config
from ..errors import DataError
from ..pipeline.chunk import Chunk, ChunkResult, process_chunk
from ..sources.readahead import Readahead, too_large_to_keep
from ..tuning import Tuning

PER_FILE_BYTES = 4096  # what reading a seed file costs besides its bytes, counted as bytes
_interrupted = False  # Ctrl-C came while the workers were being forked (`_launching`), in this process or a worker


def read_chunks(chunks: list[Chunk], config: Config, work: Path, tuning: Tuning) -> Iterator[ChunkResult]:
    """`process_chunk` on each chunk, results in the order given; with one worker (or one chunk)
    everything runs in this process."""
    workers = min(config.worker_count, len(chunks))
    if workers <= 1:
        for chunk in chunks:
            yield process_chunk(chunk.index, chunk.key, chunk.seeds, config, work)
        return
    # fork: workers start at once with everything imported, and a caller's script is not re-run in
    # each worker as spawn and forkserver do (a build from a notebook or `python -` just works).
    context = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    # pyarrow imports pandas, when installed, at its first conversion of Python objects (about 0.5 s).
    # This process does one later anyway; done before forking, no worker has to.
    pa.array([0])
    # Out of the garbage collector's sight before forking: a collection in a worker would otherwise
    # touch, so copy, every page of this process's objects (600 MB per worker at a million seeds).
    gc.freeze()
    # Handed out largest first, so that the last chunks taken are small and the workers finish
    # together (in path order, a large chunk that came last kept one worker busy alone); results
    # still come out in the order given.
    handed = largest_first(chunks)
    seeds = [chunks[i].seeds for i in handed]
    forget = tuning.forget_pages
    if forget is None:
        forget = too_large_to_keep(sum(max(seed.size, 0) for chunk in seeds for seed in chunk))
    try:
        with (
            ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_quiet_on_interrupt) as pool,
            Readahead(seeds, ahead=workers + tuning.readahead_chunks) as readahead,
        ):
            with _launching():  # the first submit forks the workers
                futures = {
                    i: pool.submit(process_chunk, chunks[i].index, chunks[i].key, chunks[i].seeds, config, work, forget)
                    for i in handed
                }
            try:
                yield from _in_order(futures, handed, readahead, work)
            except BaseException:  # Ctrl-C to this process alone, an error, the caller stopping: the
                pool.shutdown(wait=True, cancel_futures=True)  # chunks under way end, the others are not read
                raise
    finally:
        gc.unfreeze()


def _in_order(
    futures: dict[int, Future[ChunkResult]], handed: list[int], readahead: Readahead, work: Path
) -> Iterator[ChunkResult]:
    """The chunks' results in the order given, as they end (in the order handed out)."""
    results: dict[int, ChunkResult] = {}
    given = 0
    for done, i in enumerate(handed, 1):
        try:
            results[i] = futures.pop(i).result()
        except BrokenProcessPool as broken:
            raise DataError(
                f"a read worker ended abruptly (killed, or out of memory?); the chunks read are kept in "
                f"{work}: a build with --work {work} goes on from them (fewer --workers use less memory)"
            ) from broken
        readahead.finished(done)
        while given in results:
            yield results.pop(given)
            given += 1


def _quiet_on_interrupt() -> None:
    """In a read worker: Ctrl-C (SIGINT, sent to the whole process group) ends it at once and
    silently. A worker waiting for work printed multiprocessing's traceback; this process says
    `interrupted`, and the pool, finding its workers gone, stops as it does when one dies. A
    worker that Ctrl-C reached before this ran, or that was forked after it reached this process
    (`_launching`), ends here. A build that ignores Ctrl-C (`corpuspack build &` in a script, say)
    has workers that ignore it too."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        return
    signal.signal(signal.SIGINT, lambda signum, frame: os._exit(128 + signum))
    if _interrupted:
        os._exit(128 + signal.SIGINT)


def _defer(signum: int, frame: object) -> None:
    global _interrupted
    _interrupted = True


@contextmanager
def _launching() -> Iterator[None]:
    """Ctrl-C noted, not raised, while the pool forks its workers (then raised): raised inside the
    pool's launch, it left a worker forked unrecorded, waiting for work for ever (holding the
    terminal's or a caller's pipes), or it was raised in a fork hook, which swallows it, and in a
    worker not yet quiet, multiprocessing printed a traceback."""
    global _interrupted
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        yield
        return
    previous = signal.signal(signal.SIGINT, _defer)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)
        if _interrupted:
            _interrupted = False
            signal.raise_signal(signal.SIGINT)


def largest_first(chunks: list[Chunk]) -> list[int]:
    """Positions of `chunks`, the one with the most to read first (bytes of its seed files and a
    fixed cost per file; ties in the order given)."""
    weight = [sum(max(seed.size, 0) + PER_FILE_BYTES for seed in chunk.seeds) for chunk in chunks]
    return sorted(range(len(chunks)), key=lambda i: -weight[i])
