"""How a build spends this machine's resources. Never what it produces: every value gives the same
bytes, so none is recorded in a manifest or read from pyproject.toml. Passed in, never patched."""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024


@dataclass(frozen=True)
class Tuning:
    # Chunks: a worker's unit of reading. Fixed by the file list, so resume finds the same chunks.
    chunk_bytes: int = 4 * MiB
    chunk_files: int = 2000
    readahead_chunks: int = 2  # chunks whose files are asked for beyond those the workers are on
    # None: decide by size (let the seeds' pages go once read when seeds and spill would not fit
    # in half the memory; copy texts into id order unless the spill is about in that order already).
    forget_pages: bool | None = None
    regroup_texts: bool | None = None
    run_bytes: int = 8 * MiB  # texts per regrouped file
    run_documents: int = 16_384  # documents' metadata per regrouped file
    # Forking costs memory (pages copied on write, the child's own buffers) and saves time only on
    # large work: below these sizes, one process.
    split_from: int = 50_000  # paragraphs in the near-duplicate pool, or candidate pairs
    split_sets_from: int = 4_096  # candidate paragraphs whose shingle sets are made again from text
    fork_writer_from: int = 50_000  # paragraphs in the build
    # Ray: paragraphs per group-by partition, and candidate pairs per Jaccard task (few, large
    # tasks: each maps every spill file its pairs touch).
    rows_per_partition: int = 1_000_000
    pairs_per_task: int = 200_000
