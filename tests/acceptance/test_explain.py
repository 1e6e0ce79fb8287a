"""`corpuspack explain DOC_ID`: every paragraph of a document with its decision, read from a
released version or a build folder, in text and JSON, with every user string escaped."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import REPO, SMALL_PROJECT, run_cli, sentence, write_article

import corpuspack
from corpuspack import UsageError, load_config

ESC = "\x1b]0;pwned\x07\x1b[2J"
RAW = ("\x1b", "\x07", "\u202e")
BASE = sentence(20, 80)  # about 500 characters: cut in text output unless --full
NEAR = " ".join([*BASE.split()[:40], "zebra", *BASE.split()[41:]])  # one word changed: Jaccard ~0.88
P1, P2, P3, P6, P7 = sentence(1), sentence(2), sentence(3), sentence(6), sentence(7)
NOTICE = "Subscribe to our newsletter today"  # boilerplate by the project's pattern


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project released as v1.0.0 with a paragraph of every reason; shared by the tests (read only)."""
    root = tmp_path_factory.mktemp("explain") / "small"
    seeds = root / "seeds"
    seeds.mkdir(parents=True)
    (root / "pyproject.toml").write_text(SMALL_PROJECT, encoding="utf-8")
    shutil.copytree(REPO / "schema", root / "schema")
    write_article(seeds, "a-first", [BASE, P1, P2])
    write_article(seeds, "b-second", [NEAR, P1, P3, P3, NOTICE])
    write_article(seeds, "a-zero", [P6, P7])
    write_article(seeds, "c-copy", [P6, P7], crlf=True)  # a duplicate document: not published
    hostile = {"id": "d-evil", "title": f"x{ESC}", "source": "S\u202e", "date": "2024-02-03"}
    hostile["text"] = f"{sentence(4)}\n\n{sentence(5)} {ESC}"
    (seeds / "d-evil.jsonl").write_text(json.dumps(hostile) + "\n", encoding="utf-8")
    run_cli("release", "--version", "1.0.0", "--date", "2026-12-01", "-q", cwd=root, check=0)
    return root


def _clean(text: str) -> None:
    for raw in RAW:
        assert raw not in text, repr(text)


def test_text_names_every_reason_the_paragraph_duplicated_and_the_similarity(corpus: Path):
    done = run_cli("explain", "b-second", cwd=corpus, check=0)
    lines = done.stdout.splitlines()
    assert lines[0].startswith("b-second in v1.0.0: Title of b-second (Test Wire, 2024-01-0")
    assert lines[0].endswith("); published; 5 paragraphs: 1 kept, 4 dropped")
    decisions = [line for line in lines[1:] if line.startswith("[")]
    assert decisions[0].startswith("[0] dropped: near_duplicate, duplicate of a-first [0], similarity 0.8")
    assert decisions[1:] == [
        "[1] dropped: exact, duplicate of a-first [1]",
        "[2] kept",
        "[3] dropped: exact_within_document, duplicate of b-second [2]",
        "[4] dropped: boilerplate",
    ]
    assert f"    {NEAR[:200]}... ({len(NEAR)} characters)" in lines  # its own text, cut
    assert f"    = a-first [0]: {BASE[:100]}... ({len(BASE)} characters)" in lines  # what it duplicates
    assert f"    = a-first [1]: {P1[:100]}... ({len(P1)} characters)" in lines
    assert f"    = b-second [2]: {P3[:100]}... ({len(P3)} characters)" in lines
    assert f"    {NOTICE}" in lines
    full = run_cli("explain", "b-second", "--full", "--version", "1.0.0", cwd=corpus, check=0).stdout
    assert f"    {NEAR}\n    = a-first [0]: {BASE}\n" in full


def test_json_is_the_stable_structure_with_whole_texts(corpus: Path):
    body = json.loads(run_cli("explain", "b-second", "--format", "json", cwd=corpus, check=0).stdout)
    assert set(body) == {"format_version", "doc_id", "version", "document", "paragraphs"}
    assert (body["format_version"], body["doc_id"], body["version"]) == (1, "b-second", "1.0.0")
    doc = body["document"]
    assert (doc["title"], doc["source"], doc["n_paragraphs"], doc["n_dropped"]) == (
        "Title of b-second",
        "Test Wire",
        1,
        4,
    )
    assert "text" not in doc and doc["date"].startswith("2024-01-0")
    paragraphs = body["paragraphs"]
    assert [set(p) for p in paragraphs] == [{"index", "kept", "reason", "text", "duplicate_of", "similarity"}] * 5
    assert [(p["index"], p["kept"], p["reason"]) for p in paragraphs] == [
        (0, False, "near_duplicate"),
        (1, False, "exact"),
        (2, True, None),
        (3, False, "exact_within_document"),
        (4, False, "boilerplate"),
    ]
    assert [p["text"] for p in paragraphs] == [NEAR, P1, P3, P3, NOTICE]
    assert [p["duplicate_of"] for p in paragraphs] == [
        {"doc_id": "a-first", "index": 0, "text": BASE},
        {"doc_id": "a-first", "index": 1, "text": P1},
        None,
        {"doc_id": "b-second", "index": 2, "text": P3},
        None,
    ]
    assert 0.8 <= paragraphs[0]["similarity"] < 1
    assert [p["similarity"] for p in paragraphs[1:]] == [None] * 4


def test_a_duplicate_document_is_explained_though_not_published(corpus: Path):
    text = run_cli("explain", "c-copy", cwd=corpus, check=0).stdout
    assert text.startswith(
        "c-copy in v1.0.0: not published (every paragraph was dropped); 2 paragraphs: 0 kept, 2 dropped\n"
    )
    for i in range(2):
        assert f"[{i}] dropped: duplicate_document, duplicate of a-zero [{i}]\n" in text
    body = json.loads(run_cli("explain", "c-copy", "--format", "json", cwd=corpus, check=0).stdout)
    assert body["document"] is None
    assert [p["duplicate_of"] for p in body["paragraphs"]] == [
        {"doc_id": "a-zero", "index": i, "text": t} for i, t in enumerate([P6, P7])
    ]
    assert {p["reason"] for p in body["paragraphs"]} == {"duplicate_document"}


def test_strings_from_the_seeds_are_escaped(corpus: Path):
    done = run_cli("explain", "d-evil", cwd=corpus, check=0)
    _clean(done.stdout)
    assert done.stdout.startswith("d-evil in v1.0.0: x\\x1b]0;pwned\\x07\\x1b[2J (S\\u202e, 2024-02-03); published")
    assert len(done.stdout.splitlines()) == 1 + 2 * 2  # nothing forged a line
    raw = run_cli("explain", "d-evil", "--format", "json", cwd=corpus, check=0).stdout
    _clean(raw)
    body = json.loads(raw)
    assert body["document"]["title"] == f"x{ESC}" and body["paragraphs"][1]["text"].endswith(ESC)


def test_an_unknown_id_is_a_usage_error_escaped_with_close_ids_and_how_to_list(corpus: Path):
    done = run_cli("explain", "b-sec", cwd=corpus, check=2)
    assert "no document 'b-sec' in " in done.stderr and "(did you mean 'b-second'?)" in done.stderr
    assert "doc_id column of" in done.stderr and "SELECT DISTINCT doc_id" in done.stderr
    hostile = f"a-first{ESC}\nok: forged\u202e"
    done = run_cli("explain", hostile, cwd=corpus, check=2)
    _clean(done.stderr)
    assert done.stdout == "" and len(done.stderr.splitlines()) == 1
    assert "no document 'a-first\\x1b]0;pwned\\x07\\x1b[2J\\x0aok: forged\\u202e' in " in done.stderr
    assert "did you mean 'a-first'" in done.stderr


def test_versions_and_folders_that_do_not_exist_are_usage_errors(corpus: Path, tmp_path: Path):
    assert (
        "no version 2.0.0 (have 1.0.0)"
        in run_cli("explain", "a-first", "--version", "2.0.0", cwd=corpus, check=2).stderr
    )
    assert "not a version folder" in run_cli("explain", "a-first", "--out", str(tmp_path), cwd=corpus, check=2).stderr
    done = run_cli("explain", "a-first", "--version", "1.0.0", "--out", str(tmp_path), cwd=corpus, check=2)
    assert "not allowed with argument" in done.stderr
    with pytest.raises(UsageError, match="not both"):
        corpuspack.explain("a-first", "1.0.0", folder=tmp_path)


def test_out_reads_a_build_folder(corpus: Path, tmp_path: Path):
    out = tmp_path / "built"
    run_cli("build", "-q", "--out", str(out), cwd=corpus, check=0)
    text = run_cli("explain", "b-second", "--out", str(out), cwd=tmp_path, check=0).stdout
    assert text.startswith(f"b-second in {out}: Title of b-second (Test Wire, ")
    assert "[3] dropped: exact_within_document, duplicate of b-second [2]\n" in text
    body = json.loads(run_cli("explain", "c-copy", "--out", str(out), "--format", "json", cwd=tmp_path, check=0).stdout)
    assert body["version"] is None and body["document"] is None and len(body["paragraphs"]) == 2


def test_a_damaged_table_is_bad_data_not_a_traceback(corpus: Path, tmp_path: Path):
    shutil.copytree(corpus / "corpus" / "v1.0.0", tmp_path / "v")
    [shard] = (tmp_path / "v" / "paragraphs").glob("*.parquet")
    shard.write_bytes(shard.read_bytes()[:-100])
    done = run_cli("explain", "a-first", "--out", str(tmp_path / "v"), cwd=tmp_path, check=1)
    assert "the tables cannot be read" in done.stderr


def test_the_api_returns_the_explanation(corpus: Path):
    explanation = corpuspack.explain("a-first", config=load_config(corpus))
    assert isinstance(explanation, corpuspack.Explanation)
    assert (explanation.version, explanation.kept, explanation.dropped) == ("1.0.0", 3, 0)
    assert [p.text for p in explanation.paragraphs] == [BASE, P1, P2]
    assert explanation.document is not None and explanation.document["n_paragraphs"] == 3


def test_the_repositorys_release_explains_its_seed(tmp_path: Path):
    shutil.copytree(REPO / "corpus", tmp_path / "corpus")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    text = run_cli("explain", "000_54be32d82c67160f", cwd=tmp_path, check=0).stdout
    assert "; published; 18 paragraphs: 15 kept, 3 dropped\n" in text.splitlines()[0] + "\n"
    assert text.count("dropped: boilerplate\n") == 3
