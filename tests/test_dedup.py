"""Deduplication decisions, asserted on the published paragraphs table of real builds."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import REPO, run_cli, sentence, write_article

from corpuspack import build, load_config
from corpuspack.dedup.ledger import KeyColumns, Ledger, exact_groups
from corpuspack.engines import local
from corpuspack.pipeline import assemble
from corpuspack.pipeline.assemble import text_bytes
from corpuspack.pipeline.order import global_order
from corpuspack.pipeline.spill import Spill
from corpuspack.pipeline.texts import RegroupedDocuments, RegroupedTexts, SpillDocuments, TextWindow
from corpuspack.publish import parquet
from corpuspack.tuning import Tuning


def ledger(out: Path) -> dict[tuple[str, int], dict]:
    rows = pq.read_table(out / "paragraphs").to_pylist()
    return {(r["doc_id"], r["paragraph_index"]): r for r in rows}


def run(root: Path, tmp_path: Path, name: str = "out", **kwargs) -> Path:
    out = tmp_path / name
    build(out=out, config=load_config(root), workers=kwargs.pop("workers", 1), **kwargs)
    return out


def test_repository_seed_drops_its_boilerplate(tmp_path: Path):
    out = run(REPO, tmp_path)
    [doc] = pq.read_table(out / "documents").to_pylist()
    assert doc["text"].split("\n\n")[-1].startswith("Overall, South Korea's current diplomatic dilemma")
    assert (doc["n_paragraphs"], doc["n_dropped"]) == (15, 3)
    reasons = [r["reason"] for r in ledger(out).values()]
    assert reasons[-3:] == ["boilerplate"] * 3 and set(reasons[:-3]) == {None}


def test_exact_across_and_within_documents(small: Path, tmp_path: Path):
    a, b, c = sentence(1), sentence(2), sentence(3)
    write_article(small / "seeds", "doc-a", [a, b])
    write_article(small / "seeds", "doc-b", [c, a.upper().replace(" ", "  "), c])
    rows = ledger(run(small, tmp_path))
    assert rows[("doc-a", 0)]["kept"] and rows[("doc-a", 0)]["cluster_id"] is not None
    exact = rows[("doc-b", 1)]
    assert (exact["reason"], exact["duplicate_of_doc"], exact["duplicate_of_index"]) == ("exact", "doc-a", 0)
    assert exact["cluster_id"] == rows[("doc-a", 0)]["cluster_id"]
    within = rows[("doc-b", 2)]
    assert (within["reason"], within["duplicate_of_doc"], within["duplicate_of_index"]) == (
        "exact_within_document",
        "doc-b",
        0,
    )


def test_duplicate_document_even_when_rewrapped_with_crlf(small: Path, tmp_path: Path):
    paras = [sentence(10), sentence(11), sentence(12)]
    write_article(small / "seeds", "a-orig", paras)
    write_article(small / "seeds", "b-copy", paras, crlf=True, wrap=True)
    out = run(small, tmp_path)
    rows = ledger(out)
    assert [rows[("b-copy", i)]["reason"] for i in range(3)] == ["duplicate_document"] * 3
    assert [rows[("b-copy", i)]["duplicate_of_doc"] for i in range(3)] == ["a-orig"] * 3
    docs = pq.read_table(out / "documents").column("id").to_pylist()
    assert docs == ["a-orig"]  # the copy is left with no paragraph: dropped, and reported
    import json

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["documents_emptied"] == ["b-copy"]


def test_near_duplicates_are_confirmed_and_named(small: Path, tmp_path: Path):
    base = sentence(20, 80)
    words = base.split()
    near = " ".join([*words[:40], "zebra", *words[41:]])  # one word changed: Jaccard ~0.88
    far = " ".join(w if i % 6 else "zebra" for i, w in enumerate(words))  # many changes: well below 0.8
    write_article(small / "seeds", "a-first", [base])
    write_article(small / "seeds", "b-near", [near, sentence(21)])
    write_article(small / "seeds", "c-far", [far, sentence(22)])
    rows = ledger(run(small, tmp_path))
    flagged = rows[("b-near", 0)]
    assert flagged["reason"] == "near_duplicate"
    assert (flagged["duplicate_of_doc"], flagged["duplicate_of_index"]) == ("a-first", 0)
    assert 0.8 <= flagged["similarity"] < 1
    assert flagged["cluster_id"] == rows[("a-first", 0)]["cluster_id"]
    assert rows[("c-far", 0)]["kept"]


@pytest.mark.parametrize("rules", [1, 2])
def test_short_paragraphs_take_no_part_in_near_dedup(small: Path, tmp_path: Path, rules: int):
    """Under rules 1 a short paragraph is an exact duplicate of its first copy; under rules 2 short
    lines keep their place in every document (they still go as boilerplate or with a copied document)."""
    with (small / "pyproject.toml").open("a") as f:
        f.write(f"rules = {rules}\n")
    write_article(small / "seeds", "a", ["one two three four five six", sentence(30)])
    write_article(small / "seeds", "b", ["one two three four five seven", "one two three four five six", sentence(31)])
    rows = ledger(run(small, tmp_path))
    assert rows[("b", 0)]["kept"]  # too short for near dedup even though 4 of 6 words match
    assert rows[("b", 1)]["reason"] == ("exact" if rules == 1 else None)


def test_boilerplate_by_pattern_and_by_recurrence_first_included(small: Path, tmp_path: Path):
    notice = "Follow us for more stories like this one."
    for i in range(3):
        write_article(small / "seeds", f"d{i}", [sentence(40 + i), notice, "Subscribe to our newsletter today"])
    write_article(small / "seeds", "d9", [sentence(49), "Subscribe to our newsletter, it is great"])
    rows = ledger(run(small, tmp_path))
    for i in range(3):
        assert rows[(f"d{i}", 1)]["reason"] == "boilerplate"
        assert rows[(f"d{i}", 2)]["reason"] == "boilerplate"
    assert rows[("d9", 1)]["reason"] == "boilerplate"  # pattern match, single occurrence


def test_syndicated_below_recurrence_threshold_is_kept_once(small: Path, tmp_path: Path):
    quote = sentence(50)
    write_article(small / "seeds", "x1", [quote, sentence(51)])
    write_article(small / "seeds", "x2", [sentence(52), quote])
    rows = ledger(run(small, tmp_path))
    assert rows[("x1", 0)]["kept"] and rows[("x2", 1)]["reason"] == "exact"


@pytest.fixture
def planted(small: Path) -> Path:
    """Twenty documents with every kind of duplicate, in seeds of three formats."""
    seeds = small / "seeds"
    paragraphs = [sentence(100 + i, 60) for i in range(40)]
    for d in range(16):
        paras = [paragraphs[(d * 3 + k) % 40] for k in range(4)]
        if d % 4 == 1:
            words = paras[0].split()
            paras.append(" ".join([*words[:30], "zebra", "yak", *words[32:]]))
        if d % 5 == 2:
            paras.append(paras[1])
        write_article(seeds, f"doc{d:02d}", paras, crlf=d % 3 == 0, wrap=d % 4 == 0)
    lines = [
        '{"id": "rec-%d", "title": "R", "source": "S", "date": "2020-01-01", "text": "%s"}'
        % (i, "\\n\\n".join([paragraphs[i], paragraphs[i + 5]]))
        for i in (7, 3, 9)
    ]
    (seeds / "records.jsonl").write_text("\n".join(lines) + "\n")
    return small


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


def test_same_decisions_whatever_the_record_order(planted: Path, tmp_path: Path):
    first = ledger(run(planted, tmp_path, "first"))
    records = planted / "seeds" / "records.jsonl"
    records.write_text("\n".join(reversed(records.read_text().splitlines())) + "\n")
    assert ledger(run(planted, tmp_path, "second")) == first


def test_exact_only_mode_finds_no_near_duplicates(planted: Path, tmp_path: Path):
    out = tmp_path / "exact"
    build(out=out, config=load_config(planted, near=False), workers=1)
    reasons = {r["reason"] for r in ledger(out).values()}
    assert "near_duplicate" not in reasons and "exact" in reasons


def test_invalid_seeds_refuse_to_build_and_leave_nothing(small: Path, tmp_path: Path):
    write_article(small / "seeds", "good", [sentence(1)])
    (small / "seeds" / "bad.txt").write_text("Title\n\nWire Updated on 2024-13-45\n\nBody.\n")
    from corpuspack.errors import DataError

    with pytest.raises(DataError, match=r"seeds/bad.txt:3: /date"):
        run(small, tmp_path)
    assert not (tmp_path / "out").exists()


def test_near_duplicate_of_a_near_duplicate_names_what_it_resembles(small: Path, tmp_path: Path):
    words = sentence(60, 80).split()
    v1 = [*words[:20], "zebra", *words[21:]]
    v2 = [*v1[:40], "yak", *v1[41:]]  # like v1 (Jaccard ~0.88) but not like the base (~0.77)
    write_article(small / "seeds", "a", [" ".join(words)])
    write_article(small / "seeds", "b", [" ".join(v1)])
    write_article(small / "seeds", "c", [" ".join(v2)])
    rows = ledger(run(small, tmp_path))
    assert (rows[("b", 0)]["reason"], rows[("b", 0)]["duplicate_of_doc"]) == ("near_duplicate", "a")
    assert (rows[("c", 0)]["reason"], rows[("c", 0)]["duplicate_of_doc"]) == ("near_duplicate", "b")
    assert rows[("a", 0)]["cluster_id"] == rows[("b", 0)]["cluster_id"] == rows[("c", 0)]["cluster_id"]


def test_no_seed_documents_is_a_clear_error(small: Path, tmp_path: Path):
    from corpuspack.errors import DataError

    with pytest.raises(DataError, match="no seed documents to build"):
        run(small, tmp_path)


def test_a_build_that_would_publish_no_document_fails(small: Path, tmp_path: Path):
    from corpuspack.errors import DataError

    write_article(small / "seeds", "only", ["Subscribe to our newsletter now"])
    with pytest.raises(DataError, match="dropped every paragraph of all 1 documents"):
        run(small, tmp_path)
    # nothing published or half-written; the work folder stays for a resumed build
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.work", "small"]


def test_a_build_that_empties_most_documents_warns_and_fails_when_strict(small: Path, tmp_path: Path):
    write_article(small / "seeds", "keep", [sentence(1)])
    for i in range(3):
        write_article(small / "seeds", f"empty{i}", ["Subscribe to our newsletter now"])
    done = run_cli("build", "-q", "--out", str(tmp_path / "a"), cwd=small, check=0)
    assert "warning: dedup left 3 of 4 documents with no paragraph" in done.stderr
    with (small / "pyproject.toml").open("a") as f:
        f.write("strict = true\n")
    strict = run_cli("build", "-q", "--out", str(tmp_path / "b"), cwd=small, check=1)
    assert "over max_emptied_share = 0.5 (strict)" in strict.stderr and not (tmp_path / "b").exists()


def test_an_interrupted_build_resumes_without_redoing_finished_chunks(planted: Path, tmp_path: Path, monkeypatch):
    from corpuspack.pipeline import chunk as chunk_module

    tuning = Tuning(chunk_files=3)
    clean = run(planted, tmp_path, "clean", tuning=tuning)
    real = chunk_module.process_chunk
    done = []

    def interrupted(index, key, seeds, config, spill):
        if len(done) == 2:
            raise KeyboardInterrupt
        done.append(index)
        return real(index, key, seeds, config, spill)

    monkeypatch.setattr(local, "process_chunk", interrupted)
    out, work = tmp_path / "resumed", tmp_path / "work"
    with pytest.raises(KeyboardInterrupt):
        build(out=out, work=work, config=load_config(planted), workers=1, tuning=tuning)
    assert not out.exists() and len(list(work.glob("chunk-*.done"))) == 2
    monkeypatch.setattr(local, "process_chunk", real)
    result = build(out=out, work=work, config=load_config(planted), workers=1, tuning=tuning)
    assert result.reused_chunks == 2
    for path in clean.rglob("*"):
        if path.is_file():
            assert path.read_bytes() == (out / path.relative_to(clean)).read_bytes(), path
    (planted / "seeds" / "doc00.txt").write_text((planted / "seeds" / "doc00.txt").read_text() + "\nMore.\n")
    again = build(out=tmp_path / "after-edit", work=work, config=load_config(planted), workers=1, tuning=tuning)
    assert again.reused_chunks == len(list(work.glob("chunk-*.done"))) - 1  # only the edited chunk is redone


def test_an_edited_sidecar_redoes_the_chunk_of_its_seed(planted: Path, tmp_path: Path, monkeypatch):
    tuning = Tuning(chunk_files=3)
    sidecar = planted / "seeds" / "doc00.meta.json"
    sidecar.write_text('{"title": "First title"}')
    work = tmp_path / "work"
    build(out=tmp_path / "first", work=work, config=load_config(planted), workers=1, tuning=tuning)
    sidecar.write_text('{"title": "Second title"}')
    os.utime(sidecar, ns=(sidecar.stat().st_mtime_ns + 10**9,) * 2)
    again = build(out=tmp_path / "second", work=work, config=load_config(planted), workers=1, tuning=tuning)
    assert again.reused_chunks == len(list(work.glob("chunk-*.done"))) - 1
    documents = pq.read_table(tmp_path / "second" / "documents", columns=["id", "title"]).to_pydict()
    titles = dict(zip(documents["id"], documents["title"], strict=True))
    assert titles["doc00"] == "Second title"


def test_row_groups_are_greedy_cuts_by_bytes_and_rows():
    def greedy(sizes, max_bytes, max_rows):  # the rule, one row at a time
        cuts, total = [0], 0
        for i, size in enumerate(sizes):
            if i > cuts[-1] and (total + size > max_bytes or i - cuts[-1] >= max_rows):
                cuts.append(i)
                total = 0
            total += size
        return cuts if cuts[-1] == len(sizes) and sizes else [*cuts, len(sizes)]

    rng = np.random.default_rng(5)
    for _ in range(500):
        sizes = rng.integers(0, 60, int(rng.integers(0, 40))) * rng.integers(0, 2)
        max_bytes, max_rows = int(rng.integers(1, 100)), int(rng.integers(1, 8))
        assert parquet._cuts(sizes, 0, len(sizes), max_bytes, max_rows) == greedy(list(sizes), max_bytes, max_rows)


def test_shard_rows_made_ahead_are_written_in_order_and_errors_surface(tmp_path: Path):
    schema = pa.schema([pa.field("n", pa.int64())])
    made = []

    def rows(lo: int, hi: int) -> pa.RecordBatch:
        made.append(lo)
        return pa.record_batch([pa.array(range(lo, hi), pa.int64())], schema=schema)

    seen = []
    parquet.write_shard(tmp_path / "a.parquet", schema, [0, 3, 3, 7, 12], rows, also=lambda b: seen.append(b))
    table = pq.read_table(tmp_path / "a.parquet")
    assert table.column("n").to_pylist() == list(range(12))
    assert pq.ParquetFile(tmp_path / "a.parquet").metadata.num_row_groups == 3
    assert [b.num_rows for b in seen] == [3, 4, 5] and made == [0, 3, 7]

    def broken(lo: int, hi: int) -> pa.RecordBatch:
        if lo >= 7:
            raise ValueError(f"no rows from {lo}")
        return rows(lo, hi)

    with pytest.raises(ValueError, match="no rows from 7"):
        parquet.write_shard(tmp_path / "b.parquet", schema, [0, 3, 7, 12], broken)


@pytest.mark.parametrize("source", ["window", "regrouped"])
def test_texts_by_position_match_the_spill(planted: Path, tmp_path: Path, source: str, monkeypatch):
    tuning = Tuning(chunk_files=2)  # a document's neighbours by id are in other chunks
    for i in range(3):  # first by path, last by id
        write_article(planted / "seeds" / "a", f"zz{i}", [sentence(200 + i, 60), sentence(300 + i, 60)])
    work = tmp_path / "work"
    build(out=tmp_path / "out", work=work, config=load_config(planted), workers=1, tuning=tuning)
    keys = sorted(p.name[len("docs-") : -len(".arrow")] for p in work.glob("docs-*.arrow"))
    spill = Spill(work, keys)
    order = global_order(spill)
    lengths = text_bytes(spill, order)
    if source == "window":
        texts = TextWindow(spill, order.rows, lengths, window_bytes=3000)
    else:
        texts = RegroupedTexts(spill, order.rows, lengths, tmp_path / "runs", run_bytes=3000)
    expected = spill.take("text", order.rows).to_pylist()
    n = len(expected)
    assert n > 20 and not (np.diff(order.rows) > 0).all()
    for table_pass in range(2):  # the writer goes through twice: documents, then paragraphs
        lo = 0
        for step in [1, 7, 3, 0, 11, 2, n] * n:
            hi = min(lo + step, n)
            assert texts(lo, hi).to_pylist() == expected[lo:hi], (table_pass, lo, hi)
            lo = hi
            if lo == n:
                break


@pytest.mark.parametrize("folders", [1, 4])
def test_texts_regrouped_only_when_out_of_spill_order(small: Path, tmp_path: Path, monkeypatch, folders: int):
    tuning = Tuning(chunk_files=4)
    for i in range(32):  # one folder: found in id order; four: each next id in another folder
        write_article(small / "seeds" / f"f{i % folders}", f"d{i:02d}", [sentence(i, 30), sentence(100 + i, 30)])
    work = tmp_path / "work"
    build(out=tmp_path / "out", work=work, config=load_config(small), workers=1, tuning=tuning)
    keys = sorted(p.name[len("docs-") : -len(".arrow")] for p in work.glob("docs-*.arrow"))
    spill = Spill(work, keys)
    rows = global_order(spill).rows
    assert spill.chunks == 8
    in_order = folders == 1
    assert assemble.in_spill_order(spill, rows) == in_order
    assert assemble.in_spill_order(spill, rows, block=5) == in_order  # counted across blocks too
    assert assemble.in_spill_order(spill, rows[::-1]) == in_order  # backwards: each chunk once, or not


@pytest.mark.parametrize("run_rows", [1, 4, 1000])
def test_regrouped_documents_match_the_spill_in_id_order(planted: Path, tmp_path: Path, run_rows: int, monkeypatch):
    tuning = Tuning(chunk_files=2)
    for i in range(3):  # first by path, last by id
        write_article(planted / "seeds" / "a", f"zz{i}", [sentence(200 + i, 60)])
    work = tmp_path / "work"
    build(out=tmp_path / "out", work=work, config=load_config(planted), workers=1, tuning=tuning)
    keys = sorted(p.name[len("docs-") : -len(".arrow")] for p in work.glob("docs-*.arrow"))
    spill = Spill(work, keys)
    order = global_order(spill)
    assert not (np.diff(order.doc_rows) > 0).all()
    expected = SpillDocuments(spill, order.doc_rows)
    regrouped = RegroupedDocuments(spill, order.doc_rows, tmp_path / "runs", run_rows=run_rows)
    n = len(order.doc_rows)
    for ranks in ([0], [0, 1, 2], list(range(3, n, 2)), [n - 1]):
        ranks = np.array(ranks)
        assert regrouped(ranks).equals(expected(ranks))
    assert regrouped(np.arange(n)).column("id").to_pylist() == sorted(spill.ids.to_pylist())


def test_exact_groups_by_key_partitions_equal_one_group_by():
    rng = np.random.default_rng(11)
    n = 5000
    distinct = rng.integers(0, 2**63, 2000, dtype=np.uint64) * np.uint64(2)  # top bits vary
    cols = KeyColumns(
        doc=np.sort(rng.integers(0, 400, n)),
        key=distinct[rng.integers(0, 2000, n)],
        pattern=rng.random(n) < 0.05,
        eligible=np.ones(n, dtype=bool),
    )
    whole, parts = exact_groups(cols, 3, part_bits=0), exact_groups(cols, 3, part_bits=4)
    assert whole.recurring.any() and (whole.first != np.arange(n)).any()
    for name in ("recurring", "first", "doc_first"):
        assert np.array_equal(getattr(whole, name), getattr(parts, name)), name


def test_build_result_holds_the_seed_facts_the_manifest_lists(planted: Path, tmp_path: Path):
    work = tmp_path / "work"
    result = build(config=load_config(planted), out=tmp_path / "out", work=work)
    written = json.loads((tmp_path / "out" / "manifest.json").read_text())["inputs"]["seeds"]
    seeds = result.manifest["inputs"]["seeds"]
    assert seeds.to_pylist() == written
    assert sorted(row["path"] for row in written) == sorted(
        p.relative_to(planted).as_posix() for p in (planted / "seeds").rglob("*") if p.is_file()
    )
    assert result.megabytes == round(sum(row["size"] for row in written) / 1e6, 1)


def test_ledger_similarity_is_nan_except_at_near_duplicates():
    n = 10
    ledger = Ledger(
        reason=np.zeros(n, dtype=np.int8),
        duplicate_of=np.full(n, -1),
        cluster=np.full(n, -1),
        near=np.array([0, 4, 9]),
        near_similarity=np.array([0.9, 0.85, 0.8]),
    )
    whole = ledger.similarity(0, n)
    assert np.flatnonzero(~np.isnan(whole)).tolist() == [0, 4, 9]
    assert whole[[0, 4, 9]].tolist() == [0.9, 0.85, 0.8]
    for lo, hi in [(0, 4), (4, 5), (1, 9), (5, 10), (3, 3)]:
        assert np.array_equal(ledger.similarity(lo, hi), whole[lo:hi], equal_nan=True)


def _token(i: int) -> str:
    letters = ""
    while True:
        letters += "bcdfghjklmnpqrstvwxz"[i % 20]
        i //= 20
        if i == 0:
            return "vox" + letters


def test_every_near_duplicate_of_a_large_cluster_names_a_kept_paragraph(small: Path, tmp_path: Path):
    """200 variants of one paragraph (one word each, Jaccard ~0.88 with the original and with each
    other): the LSH buckets pair each with only some others, yet each names a kept paragraph."""
    words = sentence(70, 80).split()
    write_article(small / "seeds", "d000", [" ".join(words)])
    for i in range(1, 200):
        write_article(small / "seeds", f"d{i:03d}", [" ".join([*words[:40], _token(i), *words[41:]])])
    rows = ledger(run(small, tmp_path))
    near = [r for r in rows.values() if r["reason"] == "near_duplicate"]
    assert len(near) == 199
    for r in near:
        named = rows[(r["duplicate_of_doc"], r["duplicate_of_index"])]
        assert named["kept"], (r["doc_id"], r["duplicate_of_doc"])
        assert r["similarity"] >= 0.8
