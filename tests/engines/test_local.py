"""The local engine: the same bytes whatever the workers, the chunking and the forking."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import ledger, run

from corpuspack.publish import parquet
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
