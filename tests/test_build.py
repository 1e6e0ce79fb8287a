"""A build that cannot publish says why and leaves nothing half-written; its result holds what the manifest lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run, run_cli, sentence, write_article

from corpuspack import build, load_config


def test_invalid_seeds_refuse_to_build_and_leave_nothing(small: Path, tmp_path: Path):
    write_article(small / "seeds", "good", [sentence(1)])
    (small / "seeds" / "bad.txt").write_text("Title\n\nWire Updated on 2024-13-45\n\nBody.\n")
    from corpuspack.errors import DataError

    with pytest.raises(DataError, match=r"seeds/bad.txt:3: /date"):
        run(small, tmp_path)
    assert not (tmp_path / "out").exists()


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
