"""A released corpus read by the clients researchers use: datasets, pandas, duckdb, polars, mlcroissant."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import REPO, sentence, write_article

from corpuspack import load_config, release


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two releases: v1.0.0 (the repository seed and four articles) and v1.1.0 (one article more)."""
    root = tmp_path_factory.mktemp("clients") / "project"
    (root / "seeds").mkdir(parents=True)
    project = (REPO / "pyproject.toml").read_text().replace('license = "unknown"', 'license = "CC-BY-4.0"')
    (root / "pyproject.toml").write_text(project)
    shutil.copytree(REPO / "schema", root / "schema")
    (root / "CHANGELOG.md").write_text("# Changelog\n\n## [Unreleased]\n")
    shutil.copy(REPO / "seeds" / "000_54be32d82c67160f.txt", root / "seeds")
    for i in range(4):
        write_article(root / "seeds", f"article-{i}", [sentence(i), sentence(i + 10), sentence(0)])
    release(config=load_config(root), version="1.0.0", date="2026-01-01", workers=1)
    write_article(root / "seeds", "article-9", [sentence(99)])
    release(config=load_config(root), bump="minor", date="2026-02-01", workers=1)
    return root / "corpus"


def manifest(corpus: Path, version: str) -> dict:
    return json.loads((corpus / f"v{version}" / "manifest.json").read_text())


def rows(corpus: Path, version: str, table: str) -> int:
    return sum(o["rows"] for o in manifest(corpus, version)["outputs"] if o["path"].startswith(f"{table}/"))


def test_load_dataset_gives_latest_documents_by_default(corpus: Path, tmp_path: Path):
    import datasets

    loaded = datasets.load_dataset(str(corpus), cache_dir=str(tmp_path / "hf"))
    assert loaded["train"].num_rows == rows(corpus, "1.1.0", "documents") == 6
    assert "article-9" in loaded["train"]["id"]


@pytest.mark.parametrize("version", ["1.0.0", "1.1.0"])
@pytest.mark.parametrize("table", ["documents", "paragraphs"])
def test_every_version_and_table_loads_by_config_name(corpus: Path, tmp_path: Path, version: str, table: str):
    import datasets

    loaded = datasets.load_dataset(str(corpus), f"v{version}-{table}", cache_dir=str(tmp_path / "hf"))
    assert loaded["train"].num_rows == rows(corpus, version, table)
    if table == "paragraphs":
        assert set(loaded["train"]["reason"]) >= {None, "boilerplate", "exact"}


@pytest.mark.parametrize("table", ["documents", "paragraphs"])
def test_load_from_disk_reads_the_arrow_artifacts(corpus: Path, table: str):
    import datasets

    loaded = datasets.load_from_disk(str(corpus / "v1.1.0" / "arrow" / table))
    assert loaded.num_rows == rows(corpus, "1.1.0", table)


@pytest.mark.parametrize("version", ["1.0.0", "1.1.0"])
def test_pandas_duckdb_polars_read_the_parquet_glob(corpus: Path, version: str):
    import duckdb
    import pandas as pd
    import polars as pl

    for table in ("documents", "paragraphs"):
        glob = str(corpus / f"v{version}" / table / "*.parquet")
        expected = rows(corpus, version, table)
        assert len(pd.read_parquet(corpus / f"v{version}" / table)) == expected
        assert duckdb.sql(f"SELECT count(*) FROM '{glob}'").fetchall()[0][0] == expected
        assert pl.read_parquet(glob).height == expected
    ids = duckdb.sql(f"SELECT id FROM '{corpus}/v{version}/documents/*.parquet'").fetchall()
    assert [i for (i,) in ids] == sorted(i for (i,) in ids)


def test_croissant_validates_and_its_records_match_the_manifest(corpus: Path):
    import mlcroissant as mlc

    dataset = mlc.Dataset(jsonld=str(corpus / "v1.1.0" / "croissant.json"))
    assert dataset.metadata.version == "1.1.0"
    assert not dataset.metadata.ctx.issues.errors and not dataset.metadata.ctx.issues.warnings
    for table in ("documents", "paragraphs"):
        assert sum(1 for _ in dataset.records(record_set=table)) == rows(corpus, "1.1.0", table)


def test_card_has_one_default_config_and_info_from_the_schema(corpus: Path):
    import yaml

    text = (corpus / "README.md").read_text()
    meta = yaml.safe_load(text.split("---\n")[1])
    names = [c["config_name"] for c in meta["configs"]]
    pinned = ["v1.0.0-documents", "v1.0.0-paragraphs", "v1.1.0-documents", "v1.1.0-paragraphs"]
    assert names == ["documents", "paragraphs", *pinned]  # the latest version, then each version
    assert [c["config_name"] for c in meta["configs"] if c.get("default")] == ["documents"]
    assert meta["configs"][1]["data_files"][0]["path"] == "v1.1.0/paragraphs/*.parquet"
    info = {i["config_name"]: i for i in meta["dataset_info"]}
    assert [f["name"] for f in info["v1.1.0-paragraphs"]["features"]][:3] == ["doc_id", "paragraph_index", "text"]
    assert info["v1.1.0-documents"]["splits"][0]["num_examples"] == 6
    assert meta["license"] == "cc-by-4.0" and meta["language"] == ["en"]  # the Hub's spelling, from the data
    assert "| 1.1.0 | 2026-02-01 |" in text


def test_changelog_has_an_entry_per_release(corpus: Path):
    text = (corpus / "CHANGELOG.md").read_text()
    assert text.index("## [1.1.0] - 2026-02-01") < text.index("## [1.0.0] - 2026-01-01")
    assert "Documents: 1 added, 0 removed, 0 changed" in text
    # the project's own changelog (the software's notes) is never touched by a release
    assert (corpus.parent / "CHANGELOG.md").read_text() == "# Changelog\n\n## [Unreleased]\n"
