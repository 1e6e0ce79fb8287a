"""Engines run the pipeline's stages: the per-chunk work, dedup's group-bys and the writing.

`local` is a process pool on this machine; `ray` runs the same stages on Ray Data (the `ray` extra).
Both give byte-identical output: decisions are made by one function (`dedup.ledger.decide`) from
the engine's group-by results, and files are written by one writer (`publish.writer`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from ..config import ENGINES, Config
from ..dedup.ledger import DedupOps
from ..errors import ConfigError
from ..pipeline.assemble import Assembly
from ..pipeline.chunk import Chunk, ChunkResult
from ..pipeline.order import Order
from ..pipeline.spill import Spill
from ..progress import Advance
from ..publish.checksums import Written
from ..publish.writer import TablePlan
from ..tuning import Tuning


class Engine(Protocol):
    """Schedules the work inside the stages; knows neither formats nor decisions."""

    name: str
    # Whether `read` forks its workers from this process: then what this process loads first
    # (the language model) they share; otherwise loading it here is only weight on the driver.
    forks: bool

    def read(self, chunks: list[Chunk], config: Config, work: Path) -> Iterator[ChunkResult]:
        """`process_chunk` on each of `chunks` (the ones still to do); results in the order given."""
        ...

    def dedup_ops(self, spill: Spill, order: Order, config: Config) -> DedupOps: ...

    def write(
        self, assembly: Assembly, plans: list[TablePlan], out: Path, work: Path, advance: Advance
    ) -> list[Written]:
        """Every table `plans` cuts, written through `publish.writer` into `out`; `advance(rows)` as
        rows are written. Returns the facts of every file."""
        ...

    def close(self) -> None:
        """Let go of workers and connections; a second call does nothing."""
        ...


def open_engine(config: Config, tuning: Tuning, keep: bool = False) -> Engine:
    """The engine `config.engine` names, started (a local Ray is started here and stopped by `close`).
    `keep`: the work folder outlives the build, so the local engine keeps in it what a later build
    can take again (candidates' shingle sets, published shards); a throwaway folder is spared them."""
    if config.engine == "local":
        from .local import LocalEngine

        return LocalEngine(config.worker_count, tuning, keep)
    if config.engine == "ray":
        if not config.ray_address and "ray" not in sys.modules:
            # Read by Ray at import: a throwaway local Ray listens on 127.0.0.1 only (by default
            # it also binds the host's other addresses) and sends no usage report.
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        try:
            from .ray import RayEngine
        except ImportError as exc:
            raise ConfigError(f"engine 'ray' needs Ray Data: pip install 'corpuspack[ray]' ({exc})") from exc
        return RayEngine(config, tuning)
    raise ConfigError(f"unknown engine {config.engine!r}; choose one of: {', '.join(ENGINES)}")
