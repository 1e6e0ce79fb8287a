"""A released corpus read by the clients researchers use: datasets, pandas, duckdb, polars, mlcroissant."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import REPO, run_cli, sentence, write_article

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


def test_croissant_validates_and_its_records_and_checksums_match_the_manifest(corpus: Path):
    import mlcroissant as mlc

    dataset = mlc.Dataset(jsonld=str(corpus / "v1.1.0" / "croissant.json"))
    assert dataset.metadata.version == "1.1.0"
    assert not dataset.metadata.ctx.issues.errors and not dataset.metadata.ctx.issues.warnings
    for table in ("documents", "paragraphs"):
        assert sum(1 for _ in dataset.records(record_set=table)) == rows(corpus, "1.1.0", table)
    shards = {o["path"]: (o["sha256"], f"{o['size']} B") for o in manifest(corpus, "1.1.0")["outputs"]}
    shards = {path: facts for path, facts in shards.items() if path.endswith(".parquet")}
    assert {o.content_url: (o.sha256, o.content_size) for o in dataset.metadata.file_objects} == shards


def test_pandas_reads_integer_columns_with_nulls_as_nullable_integers(corpus: Path):
    """Through float64, a 64-bit cluster id lost its low bits."""
    import pandas as pd
    import pyarrow.parquet as pq

    folder = corpus / "v1.1.0" / "paragraphs"
    frame = pd.read_parquet(folder)
    assert (str(frame["cluster_id"].dtype), str(frame["duplicate_of_index"].dtype)) == ("Int64", "Int32")
    assert str(frame["paragraph_index"].dtype) == "int32"  # no nulls: numpy's
    exact = pq.read_table(folder).column("cluster_id").to_pylist()
    assert None in exact and any(c is not None and abs(c) > 2**53 for c in exact)
    assert [None if pd.isna(c) else int(c) for c in frame["cluster_id"]] == exact


def test_verify_rebuild_under_other_library_versions_says_so_first(corpus: Path, tmp_path: Path):
    """A version made under another pyarrow (its manifest says so): one line naming both versions,
    before the files that differ."""
    import pyarrow as pa

    root = tmp_path / "project"
    shutil.copytree(corpus.parent, root)
    path = root / "corpus" / "v1.1.0" / "manifest.json"
    path.write_text(path.read_text().replace(f'"pyarrow": "{pa.__version__}"', '"pyarrow": "24.0.0"'))
    lines = run_cli("verify", "--rebuild", "1.1.0", cwd=root, check=1).stdout.splitlines()
    said = f"v1.1.0: built with pyarrow 24.0.0, rebuilt with pyarrow {pa.__version__}: bytes may differ for that alone"
    assert [line for line in lines if "pyarrow" in line] == [said + " (install pyarrow==24.0.0 to compare)"]
    assert lines.index(said + " (install pyarrow==24.0.0 to compare)") + 1 == lines.index(
        "v1.1.0: manifest.json: rebuild differs"
    )


LOWEST = os.environ.get("CORPUSPACK_LOWEST_DATASETS_PYTHON")
LOAD_OLD = """
import json, sys, datasets, pyarrow as pa
folder, out, fingerprint = sys.argv[1:]
loaded = datasets.load_from_disk(folder)
print(datasets.__version__, loaded.num_rows)
# What this datasets' save_to_disk writes for the same rows (as tests/test_hf.py does with the newest).
files = [f["filename"] for f in json.load(open(f"{folder}/state.json"))["_data_files"]]
stream = out + ".stream.arrow"
with pa.OSFile(stream, "wb") as sink, pa.ipc.new_stream(sink, loaded.data.schema) as writer:
    for name in files:
        for batch in pa.ipc.open_stream(f"{folder}/{name}"):
            writer.write_batch(batch)
again = datasets.Dataset.from_file(stream, in_memory=False)
again._fingerprint = fingerprint
datasets.disable_progress_bars()
again.save_to_disk(out, num_shards=len(files))
"""


@pytest.mark.skipif(not LOWEST, reason="CORPUSPACK_LOWEST_DATASETS_PYTHON: a python with the lowest declared datasets")
@pytest.mark.parametrize("table", ["documents", "paragraphs"])
def test_arrow_folders_load_with_the_lowest_declared_datasets(corpus: Path, tmp_path: Path, table: str):
    """.ci/run installs `datasets` at the lower bound pyproject.toml declares into a venv of its own."""
    import subprocess
    import tomllib

    declared = [d for d in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]]
    lowest = next(d for d in declared if d.startswith("datasets>=")).removeprefix("datasets>=")
    folder = corpus / "v1.1.0" / "arrow" / table
    state = json.loads((folder / "state.json").read_text())
    done = subprocess.run(
        [LOWEST, "-c", LOAD_OLD, str(folder), str(tmp_path / "old"), state["_fingerprint"]],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    version, loaded = done.stdout.split()
    assert version.startswith(lowest + ".") and int(loaded) == rows(corpus, "1.1.0", table)
    for path in sorted(folder.iterdir()):  # the bytes that datasets writes itself
        assert (tmp_path / "old" / path.name).read_bytes() == path.read_bytes(), path.name


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
