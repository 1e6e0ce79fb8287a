"""Deduplication decisions, asserted on the published paragraphs table of real builds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import REPO, ledger, run, sentence, write_article

from corpuspack import build, load_config
from corpuspack.dedup.ledger import KeyColumns, Ledger, exact_groups


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


def _assign_one_by_one(pairs, similarity, threshold, kept):
    """`near.assign` as its rule reads: later paragraphs in turn, each naming the earliest match still kept."""
    good = similarity >= threshold
    pairs, similarity = pairs[good], similarity[good]
    order = np.lexsort((pairs[:, 0], pairs[:, 1]))
    pairs, similarity = pairs[order], similarity[order]
    status, out = kept.copy(), []
    for later in dict.fromkeys(pairs[:, 1].tolist()):
        rows = np.flatnonzero(pairs[:, 1] == later)
        if not status[later]:
            continue
        alive = [r for r in rows if status[pairs[r, 0]]]
        pick = alive[0] if alive else rows[0]
        status[later] = False
        out.append((later, int(pairs[pick, 0]), float(similarity[pick])))
    return pairs, out


@pytest.mark.parametrize("seed", range(6))
def test_near_decisions_made_at_once_are_those_made_one_by_one(seed: int):
    from corpuspack.dedup import near

    rng = np.random.default_rng(seed)
    n = 300
    a = rng.integers(0, n, 2_000)
    b = rng.integers(0, n, 2_000)
    pairs = np.unique(np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1)[a != b], axis=0)
    similarity = rng.random(len(pairs))
    kept = rng.random(n) < 0.8  # some already dropped (boilerplate, say)
    confirmed, later, earlier, sim = near.assign(pairs, similarity, 0.5, kept)
    expected_pairs, expected = _assign_one_by_one(pairs, similarity, 0.5, kept)
    assert np.array_equal(confirmed, expected_pairs) and len(expected) > 20
    assert list(zip(later.tolist(), earlier.tolist(), sim.tolist(), strict=True)) == expected
    assert near.assign(pairs, similarity, 2.0, kept)[1].size == 0


def test_from_format_4_every_kept_paragraph_has_a_cluster_and_old_rows_keep_theirs(small: Path, tmp_path: Path):
    """Format 4: a kept paragraph without copies represents its own group, so a later document
    copying it changes no old row; format 3 gave it a cluster id only once copied."""
    a, b, c, boiler = sentence(1), sentence(2), sentence(3), "Subscribe to our newsletter for more."
    write_article(small / "seeds", "doc-a", [a, b, boiler])
    write_article(small / "seeds", "doc-b", [c, boiler])
    write_article(small / "seeds", "doc-c", [sentence(4), boiler])

    def rows(name: str, output_format: int) -> dict[tuple[str, int], dict]:
        config = load_config(small).replace(output_format=output_format)
        build(out=tmp_path / name, config=config, workers=1)
        return ledger(tmp_path / name)

    before = rows("before", 4)
    assert all(r["cluster_id"] is not None for r in before.values() if r["kept"])
    dropped = [r for r in before.values() if r["reason"] == "boilerplate"]
    assert len(dropped) == 3 and all(r["cluster_id"] is None for r in dropped)  # in no group
    three = rows("three", 3)
    assert [k for k, r in three.items() if r["kept"] and r["cluster_id"] is None] == [
        k for k, r in before.items() if r["kept"]
    ]  # nothing was copied: format 3 gave no kept paragraph a cluster
    assert {k: {**r, "cluster_id": None} for k, r in before.items()} == three
    write_article(small / "seeds", "doc-d", [sentence(5), b])  # copies doc-a's second paragraph
    after = rows("after", 4)
    assert {k: after[k] for k in before} == before
    assert (
        after[("doc-d", 1)]["reason"] == "exact"
        and after[("doc-d", 1)]["cluster_id"] == before[("doc-a", 1)]["cluster_id"]
    )
    assert len({r["cluster_id"] for r in after.values() if r["kept"]}) == sum(r["kept"] for r in after.values())
