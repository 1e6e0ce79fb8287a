"""The local engine: chunks of seed files on a process pool, each worker spilling its own Arrow files."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ..config import Config
from ..pipeline.chunk import ChunkResult, load_finished, process_chunk
from ..sources import SeedFile

CHUNK_BYTES = 4 * 1024 * 1024
CHUNK_FILES = 2000


def plan_chunks(seeds: list[SeedFile]) -> list[list[SeedFile]]:
    """Consecutive runs of seed files of about CHUNK_BYTES (fixed by the file list, not by workers)."""
    chunks: list[list[SeedFile]] = []
    current: list[SeedFile] = []
    size = 0
    for seed in seeds:
        with contextlib.suppress(OSError):
            size += seed.path.stat().st_size
        current.append(seed)
        if size >= CHUNK_BYTES or len(current) >= CHUNK_FILES:
            chunks.append(current)
            current, size = [], 0
    if current:
        chunks.append(current)
    return chunks


def run_chunks(chunks: list[list[SeedFile]], keys: list[str], config: Config, spill: Path) -> Iterator[ChunkResult]:
    """Results in chunk order. Chunks an interrupted build finished are taken from `spill` as they
    are; with one worker (or one chunk to do) everything runs in this process."""
    finished = {key: load_finished(spill, key) for key in keys}
    todo = [i for i, key in enumerate(keys) if finished[key] is None]
    workers = min(config.worker_count, len(todo))
    if workers <= 1:
        for i, (chunk, key) in enumerate(zip(chunks, keys, strict=True)):
            yield finished[key] or process_chunk(i, key, chunk, config, spill)
        return
    # fork: workers start at once with everything imported, and a caller's script is not re-run in
    # each worker as spawn and forkserver do (a build from a notebook or `python -` just works).
    context = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {i: pool.submit(process_chunk, i, keys[i], chunks[i], config, spill) for i in todo}
        for i, key in enumerate(keys):
            yield finished[key] or futures[i].result()
