"""croissant.json as mlcroissant reads it: a FileObject per Parquet shard with the manifest's checksum
and size, record keys, the doc_id reference, the documents' languages and the publication settings;
and the output format that gates it (a version keeps the format its manifest records)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from conftest import REPO, sentence

from corpuspack import DataError, formats, load_config, release
from corpuspack.publish import croissant

HOMEPAGE = "https://example.org/news-corpus"
PROJECT = f"""[tool.corpuspack]
name = "news"
language = "en"
license = "CC-BY-4.0"
shard_bytes = 1048576
homepage = "{HOMEPAGE}"
creator = "Example Newsroom"
"""


def record(doc_id: str, paragraphs: list[str], **meta: str) -> str:
    fields = {"id": doc_id, "title": f"Title of {doc_id}", "source": "Wire", "date": "2024-05-01", **meta}
    return json.dumps({**fields, "text": "\n\n".join(paragraphs)})


@pytest.fixture(scope="module")
def version(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A release of 300 documents (two Parquet shards per table at 1 MiB a shard), some German and
    CC-BY-SA, one linking its original, and one that dedup empties (a copy of another)."""
    root = tmp_path_factory.mktemp("croissant") / "project"
    (root / "seeds").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PROJECT, encoding="utf-8")
    shutil.copytree(REPO / "schema", root / "schema")
    lines = []
    for i in range(300):
        meta = {"language": "de", "license": "CC-BY-SA-4.0"} if i % 50 == 7 else {}
        if i == 3:
            meta["url"] = "https://example.org/a?b=1"
        lines.append(record(f"doc-{i:03d}", [sentence(i * 14 + j) for j in range(14)], **meta))
    lines.append(record("doc-copy", [sentence(5 * 14 + j) for j in range(14)]))
    (root / "seeds" / "news.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    release(config=load_config(root), version="1.0.0", date="2026-03-01", workers=1)
    return root / "corpus" / "v1.0.0"


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def parquet_outputs(folder: Path, table: str) -> list[dict]:
    return [
        o for o in manifest(folder)["outputs"] if o["path"].startswith(f"{table}/") and o["path"].endswith(".parquet")
    ]


def test_mlcroissant_validates_it_and_reads_every_record_of_files_whose_checksums_are_the_manifests(version: Path):
    import mlcroissant as mlc

    dataset = mlc.Dataset(jsonld=str(version / "croissant.json"))
    issues = dataset.metadata.ctx.issues
    assert not issues.errors and not issues.warnings, issues.report()
    objects = {o.content_url: o for o in dataset.metadata.file_objects}
    for table in ("documents", "paragraphs"):
        outputs = parquet_outputs(version, table)
        assert len(outputs) >= 2  # a FileSet of several FileObjects, not one file
        assert sum(1 for _ in dataset.records(record_set=table)) == sum(o["rows"] for o in outputs) > 0
        for o in outputs:
            shard = objects.pop(o["path"])
            assert (shard.sha256, shard.content_size) == (o["sha256"], f"{o['size']} B")
            assert shard.contained_in == [f"{table}-parquet"]
            assert hashlib.sha256((version / o["path"]).read_bytes()).hexdigest() == o["sha256"]
    assert objects == {}  # a FileObject per Parquet file, and no other


def test_keys_reference_languages_licences_url_and_creator(version: Path):
    import mlcroissant as mlc

    meta = mlc.Dataset(jsonld=str(version / "croissant.json")).metadata
    sets = {rs.uuid: rs for rs in meta.record_sets}
    assert sets["documents"].key == ["documents/id"]
    assert sets["paragraphs"].key == ["paragraphs/doc_id", "paragraphs/paragraph_index"]
    fields = {f.uuid: f for rs in meta.record_sets for f in rs.fields}
    assert fields["paragraphs/doc_id"].references.uuid == "documents/id"
    assert [str(t) for t in fields["documents/url"].data_types] == ["https://schema.org/URL"]
    assert [str(t) for t in fields["documents/title"].data_types] == ["https://schema.org/Text"]
    assert (meta.in_language, meta.license) == (["de", "en"], ["CC-BY-4.0", "CC-BY-SA-4.0"])
    assert (meta.url, meta.version, meta.creators[0].name) == (HOMEPAGE, "1.0.0", "Example Newsroom")
    assert meta.cite_as == (
        "@misc{news-1.0.0, author = {Example Newsroom}, title = {news}, version = {1.0.0}, "
        f"url = {{{HOMEPAGE}}}, note = {{built by corpuspack}}}}"
    )
    # The reference holds but for the paragraphs of the documents dedup emptied, which the manifest lists.
    ids = set(pq.read_table(version / "documents", columns=["id"]).column("id").to_pylist())
    doc_ids = set(pc.unique(pq.read_table(version / "paragraphs", columns=["doc_id"]).column("doc_id")).to_pylist())
    assert doc_ids - ids == set(manifest(version)["documents_emptied"]) == {"doc-copy"}


def test_a_configured_citation_is_published_as_it_is(version: Path, tmp_path: Path):
    body = manifest(version)
    body["config"]["citation"] = "@article{x, title = {Ünïcode}}"
    folder = version_copy(version, tmp_path)
    croissant.write(folder, body)
    published = json.loads((folder / "croissant.json").read_text(encoding="utf-8"))
    assert published["citeAs"] == "@article{x, title = {Ünïcode}}"


def version_copy(version: Path, tmp_path: Path) -> Path:
    shutil.copytree(version, tmp_path / "v")
    return tmp_path / "v"


def test_the_manifest_records_the_output_format_and_the_publication_settings(version: Path):
    body = manifest(version)
    assert body["output_format"] == formats.CURRENT == 4
    assert (body["config"]["homepage"], body["config"]["creator"]) == (HOMEPAGE, "Example Newsroom")
    assert "citation" not in body["config"]  # recorded only when set


@pytest.mark.parametrize("version_name", ["v1.0.0", "v1.0.1"])
def test_a_format_1_manifest_gives_the_first_releases_croissant_bytes(version_name: str, tmp_path: Path):
    folder = version_copy(REPO / "corpus" / version_name, tmp_path)
    (folder / "croissant.json").unlink()
    body = manifest(folder)
    assert "output_format" not in body
    croissant.write(folder, body)
    assert (folder / "croissant.json").read_bytes() == (REPO / "corpus" / version_name / "croissant.json").read_bytes()


@pytest.mark.parametrize("value", [0, 5, "2", 2.0, None, True])
def test_an_unknown_output_format_is_a_data_error_naming_it(value):
    with pytest.raises(DataError, match=r"manifest of v1\.2\.0: /output_format: .* is not a format this corpuspack"):
        formats.of_manifest({"version": "1.2.0", "output_format": value})
