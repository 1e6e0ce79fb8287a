"""The Ray Data engine: the same stages as the local engine, spread over a Ray cluster.

What runs where:
- workers: `process_chunk` on each chunk of seeds (`map_batches`), spilling Arrow files into the
  work folder; the group-by on the exact key; the group-by on (band, band key) that yields
  candidate pairs; the exact Jaccard of candidate pairs (each task reads the shingle sets it needs
  from the spill); and the Parquet shards and Arrow parts, one task per shard;
- the driver: key columns and counts (about 30 bytes per paragraph), the decisions that chain one
  group-by into the next (`dedup.ledger.decide`), and the manifest.

Every result comes back with its explicit position in the global (document id, paragraph index)
order, so nothing depends on partitioning, and files are written by the local engine's writer.
The work folder (and the output folder) must be on storage every node mounts.
"""

from __future__ import annotations

import copy
import logging
import pickle
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import ray
import ray.data
from ray.data.context import ShuffleStrategy

from ..config import Config
from ..dedup import near
from ..dedup.features import band_column
from ..dedup.grouping import distinct
from ..dedup.ledger import DedupOps, Exact, KeyColumns, exact_groups_at
from ..pipeline.assemble import Assembly
from ..pipeline.chunk import ChunkResult, process_chunk
from ..pipeline.order import Order, inverse
from ..pipeline.spill import ParagraphFiles, Spill
from ..progress import Advance
from ..publish import formats
from ..publish.checksums import Written, written
from ..publish.hf import HFWriter, content_sha256
from ..publish.parquet import plan, shard_name, write_shard
from ..publish.tables import TABLES
from ..sources import SeedFile

ROWS_PER_PARTITION = 1_000_000
PAIRS_PER_TASK = 200_000
# Ray Data settings for our datasets, put back when the engine closes. The pull-based sort shuffle
# costs a few seconds per group-by where the hash shuffle's actors took 5-10 s each on 10^5 rows.
CONTEXT = {
    "enable_progress_bars": False,
    "print_on_execution_start": False,
    "shuffle_strategy": ShuffleStrategy.SORT_SHUFFLE_PULL_BASED,
}


# Ray Data's per-dataset notes, and notices about settings this engine makes on purpose.
QUIET_LOGGERS = {
    "ray.data": logging.WARNING,
    "ray._private.authentication.authentication_token_setup": logging.ERROR,  # "token authentication is enabled"
    "ray.data._internal.progress": logging.ERROR,  # "progress bars disabled"
}


class RayEngine:
    """Connects to `config.ray_address`, or starts a local Ray (stopped again by `close`)."""

    name = "ray"

    def __init__(self, config: Config) -> None:
        for name, level in QUIET_LOGGERS.items():
            logging.getLogger(name).setLevel(level)
        self._started = False
        if not ray.is_initialized():
            options = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.WARNING}
            if config.ray_address:
                ray.init(address=config.ray_address, **options)
            else:
                ray.init(num_cpus=config.worker_count, _node_ip_address="127.0.0.1", **options)
            self._started = True
        context = ray.data.DataContext.get_current()
        options = copy.copy(context.execution_options)
        options.resource_limits = ray.data.ExecutionResources.for_limits(
            **({"cpu": config.workers} if config.workers > 0 else {})
        )
        settings = {**CONTEXT, "execution_options": options}
        self._saved = {name: getattr(context, name) for name in settings}
        for name, value in settings.items():
            setattr(context, name, value)
        self.partitions = config.partitions

    def close(self) -> None:
        context = ray.data.DataContext.get_current()
        for name, value in self._saved.items():
            setattr(context, name, value)
        if self._started:
            ray.shutdown()

    def run_chunks(
        self,
        chunks: list[list[SeedFile]],
        keys: list[str],
        config: Config,
        spill: Path,
        finished: dict[str, ChunkResult],
    ) -> Iterator[ChunkResult]:
        finished = dict(finished)
        todo = [i for i, key in enumerate(keys) if key not in finished]
        if todo:
            items = [{"index": i, "key": keys[i], "seeds": pickle.dumps(chunks[i])} for i in todo]
            tasks = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
                _read_chunks, batch_size=1, batch_format="pyarrow", fn_kwargs={"config": config, "spill": spill}
            )
            for row in tasks.iter_rows():
                result: ChunkResult = pickle.loads(row["result"])
                finished[result.key] = result
        for key in keys:
            yield finished[key]

    def dedup_ops(self, spill: Spill, order: Order, config: Config) -> DedupOps:
        return RayDedup(spill, order, config, self.partitions)

    def write(
        self, assembly: Assembly, shard_bytes: int, out: Path, tmp: Path, advance: Advance, output_format: int
    ) -> list[Written]:
        """One task per shard of each table (the shards `plan` cuts from row sizes), then one task per
        table joining the shards' Arrow parts, in order, into the Hugging Face artifacts."""
        shared = ray.put(assembly)
        saves, rows = [], {}
        for table in TABLES:
            sizes = assembly.sizes(table)
            _, groups = plan(sizes, shard_bytes)
            (out / table).mkdir(parents=True, exist_ok=True)
            paths = [out / table / shard_name(i, len(groups)) for i in range(len(groups))]
            parts = [tmp / f"{table}-{i:05d}.arrow" for i in range(len(groups))]
            jobs = zip(paths, groups, parts, strict=True)
            tasks = [_write_shard.remote(shared, table, path, cuts, part, output_format) for path, cuts, part in jobs]
            rows.update(zip(tasks, (cuts[-1] - cuts[0] for cuts in groups), strict=True))
            hf = out / "arrow" / table
            saves.append(_save_table.remote(table, paths, parts, len(sizes), hf, output_format, *tasks))
        pending = list(rows)
        while pending:
            done, pending = ray.wait(pending)
            ray.get(done)  # raises a task's error here
            advance(sum(rows[ref] for ref in done))
        return ray.get(list(rows)) + [w for table in ray.get(saves) for w in table]


class RayDedup(DedupOps):
    """Dedup's group-bys as Ray Data shuffles. Workers read the key columns from the spill, one
    task per chunk; the driver sends only each spill row's position (and document rank)."""

    def __init__(self, spill: Spill, order: Order, config: Config, partitions: int) -> None:
        n = len(order.rows)
        self.rows, self.bands = order.rows, config.dedup.lsh[0]
        self.files = spill.paragraph_files()
        self.position = inverse(order.rows)
        self.doc_rank = order.doc_rank
        self.partitions = partitions or max(1, min(64, -(-n // ROWS_PER_PARTITION)))

    def _per_chunk(self, fn: Callable, **kwargs: Any) -> ray.data.Dataset:
        """`fn(chunk=c, files=..., position=..., parts=...)` on every spill chunk `c`, in as many Ray
        tasks as the cluster has CPUs."""
        chunks = [{"chunk": c} for c in range(self.files.chunks)]
        tasks = max(1, min(len(chunks), _cpus()))
        return ray.data.from_items(chunks, override_num_blocks=tasks).map_batches(
            _on_chunks,
            batch_size=None,
            batch_format="numpy",
            fn_kwargs={"fn": fn, "files": self.files, "position": self.position, "parts": self.partitions, **kwargs},
        )

    def exact(self, cols: KeyColumns, min_docs: int) -> Exact:
        n = len(cols.key)
        furniture = {"doc_source": cols.doc_source, "doc_canon": cols.doc_canon}
        rows = self._per_chunk(_exact_rows, doc_rank=self.doc_rank, **furniture)
        exact = Exact(np.zeros(n, dtype=bool), np.arange(n, dtype=np.int64), np.arange(n, dtype=np.int64))
        for batch in self._grouped(rows, _exact_part, min_docs=min_docs):
            at = batch["position"]
            exact.recurring[at], exact.first[at], exact.doc_first[at] = (
                batch["recurring"],
                batch["first"],
                batch["doc_first"],
            )
        return exact

    def candidate_pairs(self, pool: np.ndarray, max_pairs: int) -> np.ndarray:
        if len(pool) == 0:
            return np.zeros((0, 2), dtype=np.int64)
        in_pool = np.zeros(len(self.rows), dtype=bool)
        in_pool[pool] = True
        rows = self._per_chunk(_band_rows, in_pool=in_pool, bands=self.bands)
        n = np.int64(pool.max() + 1)
        codes = [b["earlier"] * n + b["later"] for b in self._grouped(rows, _bucket_pairs, max_pairs=max_pairs)]
        codes = distinct(np.concatenate(codes)) if codes else np.zeros(0, dtype=np.int64)
        return np.stack([codes // n, codes % n], axis=1)

    def _grouped(self, rows: ray.data.Dataset, fn: Callable, **kwargs: Any) -> Iterator[dict[str, np.ndarray]]:
        """`fn` on each partition of the rows by their `part` column (a function of the group key, so
        a partition holds whole groups): one call per partition, numpy group-bys inside."""
        grouped = rows.groupby("part", num_partitions=self.partitions).map_groups(
            fn, batch_format="numpy", fn_kwargs=kwargs
        )
        yield from grouped.iter_batches(batch_size=None, batch_format="numpy")

    def jaccard(self, pairs: np.ndarray) -> np.ndarray:
        out = np.zeros(len(pairs), dtype=np.float64)
        if len(pairs) == 0:
            return out
        rows = self.rows[pairs]
        table = pa.table({"index": np.arange(len(pairs)), "a": rows[:, 0], "b": rows[:, 1]})
        # Few, large tasks: each maps every spill file its pairs touch, so many small ones cost more.
        step = max(PAIRS_PER_TASK, -(-len(pairs) // _cpus()))
        blocks = [table.slice(lo, step) for lo in range(0, len(pairs), step)]
        scored = ray.data.from_arrow(blocks).map_batches(
            _jaccard_batch, batch_size=None, batch_format="numpy", fn_kwargs={"files": self.files}
        )
        for batch in scored.iter_batches(batch_size=None, batch_format="numpy"):
            out[batch["index"]] = batch["similarity"]
        return out


def _read_chunks(batch: pa.Table, config: Config, spill: Path) -> pa.Table:
    results = []
    for index, key, seeds in zip(*(batch.column(c).to_pylist() for c in ("index", "key", "seeds")), strict=True):
        results.append(pickle.dumps(process_chunk(index, key, pickle.loads(seeds), config, spill)))
    return pa.table({"result": pa.array(results, pa.binary())})


def _cpus() -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def _on_chunks(batch: dict[str, np.ndarray], fn: Callable, **kwargs: Any) -> dict[str, np.ndarray]:
    parts = [fn(chunk=int(c), **kwargs) for c in batch["chunk"]]
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def _exact_rows(
    chunk: int,
    files: ParagraphFiles,
    position: np.ndarray,
    parts: int,
    doc_rank: np.ndarray,
    doc_source: np.ndarray | None,
    doc_canon: np.ndarray | None,
) -> dict[str, np.ndarray]:
    """Exact-key rows of one spill chunk, each with its position, document rank and partition (and
    under rules 2 its document's source and first copy)."""
    columns = files.chunk_columns(chunk, ["key", "pattern"])
    key = columns["key"]
    at = position[files.chunk_start(chunk) : files.chunk_start(chunk) + len(key)]
    part = (key % np.uint64(parts)).astype(np.int32)
    doc = doc_rank[at]
    rows = {"part": part, "key": key, "doc": doc, "pattern": columns["pattern"], "position": at}
    if doc_source is not None and doc_canon is not None:
        rows.update(source=doc_source[doc], canon=doc_canon[doc])
    return rows


def _band_rows(
    chunk: int, files: ParagraphFiles, position: np.ndarray, parts: int, in_pool: np.ndarray, bands: int
) -> dict[str, np.ndarray]:
    """(band, band key) rows of one spill chunk's paragraphs in the near-duplicate pool."""
    columns = files.chunk_columns(chunk, [band_column(b) for b in range(bands)])
    count = len(columns[band_column(0)]) if bands else 0
    at = position[files.chunk_start(chunk) : files.chunk_start(chunk) + count]
    keep = in_pool[at]
    keys = np.concatenate([columns[band_column(b)][keep] for b in range(bands)])
    band = np.repeat(np.arange(bands, dtype=np.int16), int(keep.sum()))
    part = ((keys ^ band.astype(np.uint64)) % np.uint64(parts)).astype(np.int32)
    return {"part": part, "band": band, "bucket": keys, "position": np.tile(at[keep], bands)}


def _exact_part(rows: dict[str, np.ndarray], min_docs: int) -> dict[str, np.ndarray]:
    """The exact-key group-by on one partition (it holds every paragraph of its keys)."""
    order = np.argsort(rows["position"], kind="stable")
    position = rows["position"][order]
    furniture = [rows[k][order] for k in ("source", "canon")] if "source" in rows else []
    exact = exact_groups_at(
        rows["key"][order], rows["doc"][order], rows["pattern"][order], position, min_docs, *furniture
    )
    return {"position": position, "recurring": exact.recurring, "first": exact.first, "doc_first": exact.doc_first}


def _bucket_pairs(rows: dict[str, np.ndarray], max_pairs: int) -> dict[str, np.ndarray]:
    """Candidate pairs of the LSH buckets in one partition, band by band (`near.candidate_pairs`)."""
    order = np.lexsort((rows["position"], rows["band"]))
    band, bucket, position = rows["band"][order], rows["bucket"][order], rows["position"][order]
    cuts = np.flatnonzero(band[1:] != band[:-1]) + 1
    runs = zip(np.split(bucket, cuts), np.split(position, cuts), strict=True)
    found = [near.candidate_pairs(iter([keys]), at, max_pairs) for keys, at in runs]
    pairs = np.concatenate(found) if found else np.zeros((0, 2), dtype=np.int64)
    return {"earlier": pairs[:, 0], "later": pairs[:, 1]}


def _jaccard_batch(batch: dict[str, np.ndarray], files: ParagraphFiles) -> dict[str, np.ndarray]:
    pairs = np.stack([batch["a"], batch["b"]], axis=1)
    return {"index": batch["index"], "similarity": near.jaccard(pairs, files.shingle_sets)}


@ray.remote
def _write_shard(assembly: Assembly, table: str, path: Path, cuts: list[int], part: Path, fmt: int) -> Written:
    """One Parquet shard, and its rows as an Arrow stream `part` for the Hugging Face artifacts."""
    schema = formats.parquet_schema(table, fmt)
    with pa.OSFile(str(part), "wb") as sink, pa.ipc.new_stream(sink, TABLES[table]) as stream:
        rows = write_shard(path, schema, cuts, partial(assembly.batch, table), also=stream.write_batch)
    return written(path, rows)


@ray.remote
def _save_table(
    table: str, parquet: list[Path], parts: list[Path], rows: int, out: Path, fmt: int, *shards: Written
) -> list[Written]:
    """Once every shard is `written`: the shards' Arrow parts, in order (the same batches the local
    engine writes), streamed into the Hugging Face artifacts."""

    def batches() -> Iterator[pa.RecordBatch]:
        for part in parts:
            with pa.OSFile(str(part)) as source:
                yield from pa.ipc.open_stream(source)

    hf = HFWriter(out, TABLES[table], rows, len(parquet), list_type=formats.hf_list_type(fmt))
    for batch in batches():
        hf(batch)
    hf.close(content_sha256(parquet), batches)
    for part in parts:
        part.unlink()
    return hf.written
