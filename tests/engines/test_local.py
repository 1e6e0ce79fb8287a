"""The local engine: the same bytes whatever the workers, the chunking and the forking."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import ledger, run

from corpuspack import build, load_config
from corpuspack.dedup import near
from corpuspack.dedup.features import shingle_sets
from corpuspack.engines.local import LocalDedup
from corpuspack.engines.read_pool import PER_FILE_BYTES, largest_first, read_chunks
from corpuspack.pipeline import candidates
from corpuspack.pipeline.chunk import Chunk, process_chunk
from corpuspack.pipeline.order import global_order
from corpuspack.pipeline.spill import Spill
from corpuspack.publish import parquet
from corpuspack.sources import discover
from corpuspack.tuning import Tuning


@pytest.mark.parametrize("texts_in_order", [False, True])
def test_same_bytes_whatever_the_workers_or_chunking(planted: Path, tmp_path: Path, monkeypatch, texts_in_order):
    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 7)  # many row groups, so texts come in many windows
    one = run(planted, tmp_path, "one", workers=1)
    tuning = Tuning(
        regroup_texts=not texts_in_order,  # texts regrouped into runs, or read window by window from the chunk files
        chunk_files=3,
        run_bytes=500,  # texts regrouped a few paragraphs to a file
        run_documents=3,  # and metadata three documents to a file
        split_from=1,  # bands and pairs split between processes
        split_sets_from=1,  # and the candidates' shingle sets made by two
        fork_writer_from=1,  # and the tables written by two
        forget_pages=True,  # seeds' pages let go once read
    )
    many = run(planted, tmp_path, "many", workers=2, tuning=tuning)
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(many) for p in many.rglob("*") if p.is_file())
    for rel in files:
        assert (one / rel).read_bytes() == (many / rel).read_bytes(), rel
    assert pq.ParquetFile(one / "paragraphs" / "train-00000-of-00001.parquet").metadata.num_row_groups > 3
    reasons = {r["reason"] for r in ledger(one).values()}
    assert {"exact", "near_duplicate", "exact_within_document"} <= reasons


def test_chunks_handed_out_largest_first_come_back_in_order(planted: Path, tmp_path: Path):
    config = load_config(planted).replace(workers=2)
    seeds, _ = discover([config.seeds_dir], config.seeds_base)
    # Chunks of one, two, three ... files: in path order the largest comes last.
    cuts = [0]
    while cuts[-1] < len(seeds):
        cuts.append(min(len(seeds), cuts[-1] + len(cuts)))
    chunks = [Chunk(i, f"k{i}", seeds[lo:hi]) for i, (lo, hi) in enumerate(itertools.pairwise(cuts))]
    handed = largest_first(chunks)
    weights = [sum(seed.size + PER_FILE_BYTES for seed in chunks[i].seeds) for i in handed]
    assert sorted(handed) == list(range(len(chunks))) and handed != sorted(handed)
    assert weights == sorted(weights, reverse=True)
    work = tmp_path / "work"
    work.mkdir()
    results = list(read_chunks(chunks, config, work, Tuning()))
    assert [r.index for r in results] == list(range(len(chunks)))
    # Each result is its own chunk's, as this process reads it.
    alone = [process_chunk(c.index, f"again{c.index}", c.seeds, config, work) for c in chunks]
    assert [r.ids.to_pylist() for r in results] == [r.ids.to_pylist() for r in alone]
    assert [r.documents for r in results] == [r.documents for r in alone]


def test_jaccard_calls_of_one_decide_make_the_candidates_sets_once(planted: Path, tmp_path: Path):
    """A later call whose rows the sets folder holds (`near.repoint`'s) reads the sets made by an
    earlier one; a call asking for others makes them; `release` removes the folder. Similarities
    are those of sets made from the texts."""
    work = tmp_path / "work"
    config = load_config(planted).replace(workers=2)
    build(out=tmp_path / "out", work=work, config=config, tuning=Tuning(chunk_files=3))
    spill = Spill(work, sorted(json.loads(p.read_text())["key"] for p in work.glob("chunk-*.done")))
    order = global_order(spill)
    eligible = np.flatnonzero(spill.column("nwords")[order.rows] >= config.dedup.min_words)
    assert len(eligible) > 30
    pairs = np.array(list(itertools.combinations(eligible[:12].tolist(), 2)), dtype=np.int64)
    flat, offsets = shingle_sets(spill.take("text", order.rows), config.dedup)

    def from_texts(pairs: np.ndarray) -> np.ndarray:
        return near.jaccard(pairs, lambda at: _sets_of(flat, offsets, at))

    ops = LocalDedup(spill, order, config, Tuning(split_from=1, split_sets_from=1))
    folder = work / candidates.FOLDER
    first = ops.jaccard(pairs)
    assert np.array_equal(first, from_texts(pairs)) and (first > 0.5).any() and (first < 0.5).any()
    made = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.iterdir()}
    assert made
    assert np.array_equal(ops.jaccard(pairs[::3]), first[::3])
    assert {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.iterdir()} == made  # none made again
    others = np.array([[eligible[0], eligible[-1]], [eligible[20], eligible[30]]], dtype=np.int64)
    assert np.array_equal(ops.jaccard(others), from_texts(others))
    ops.release()
    assert not folder.exists()


def _sets_of(flat: np.ndarray, offsets: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sets of positions `at` out of every position's (`shingle_sets` of all texts in order)."""
    parts = [flat[offsets[i] : offsets[i + 1]] for i in at.tolist()]
    sizes = [len(p) for p in parts]
    return np.concatenate([np.zeros(0, np.uint32), *parts]), np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
