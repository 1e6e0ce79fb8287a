from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO
from jsonschema import Draft202012Validator

from corpuspack.config import PACKAGED_SCHEMA
from corpuspack.errors import ConfigError
from corpuspack.ids import id_findings, id_table
from corpuspack.model import Document, Location
from corpuspack.schema import MAX_SCHEMA_BYTES, load_schema

SCHEMA = REPO / "schema" / "document.schema.json"


def doc(**meta) -> Document:
    base = {"title": "T", "source": "S", "date": "2024-01-29", "language": "en", "license": "CC-BY-4.0"}
    base.update(meta)
    doc_id = base.pop("id", "doc-1")
    return Document(doc_id, base, ("Body.",), "seeds/x.txt", Location("seeds/x.txt", 1))


def pointers(document: Document) -> list[str]:
    return [f.pointer for f in load_schema(SCHEMA).findings(document)]


def test_schema_is_valid_2020_12_with_an_id():
    data = json.loads(SCHEMA.read_text())
    Draft202012Validator.check_schema(data)
    assert data["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert data["$id"]
    assert data["additionalProperties"] is False


def test_packaged_schema_is_the_repository_schema():
    assert PACKAGED_SCHEMA.read_bytes() == SCHEMA.read_bytes()


def test_good_document_has_no_findings():
    assert pointers(doc(url="https://example.org/x", authors=["A"], tags=["t"])) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("date", "2024-13-45"),
        ("date", "2024-02-30"),
        ("date", "29/01/2024"),
        ("language", "english"),
        ("language", "en_US"),
        ("license", "Creative Commons"),
        ("url", "not a url"),
        ("title", "two\nlines"),
        ("title", "   "),
        ("id", "../escape"),
        ("id", ".hidden"),
        ("tags", ["a", "a"]),
    ],
)
def test_bad_values_are_reported_at_their_pointer(field, value):
    assert pointers(doc(**{field: value})) == [f"/{field}"]


@pytest.mark.parametrize("value", ["en", "en-GB", "zh-Hant", "sr-Latn-RS", "es-419", "de-CH-1996"])
def test_bcp47_tags_accepted(value):
    assert pointers(doc(language=value)) == []


@pytest.mark.parametrize("value", ["MIT", "CC-BY-4.0", "GPL-3.0-or-later", "LicenseRef-news-2024", "other", "unknown"])
def test_spdx_ids_accepted(value):
    assert pointers(doc(license=value)) == []


def test_unknown_and_missing_fields():
    findings = load_schema(SCHEMA).findings(doc(colour="red"))
    assert [f.message for f in findings] == ["unknown field: 'colour'"]
    missing = Document("d", {"title": "T"}, ("x",), "p", Location("p", 1))
    messages = [f.message for f in load_schema(SCHEMA).findings(missing)]
    assert "missing required field 'source'" in messages


def test_broken_schema_is_a_config_error(tmp_path: Path):
    broken = tmp_path / "s.json"
    broken.write_text('{"type": "objec"}')
    with pytest.raises(ConfigError, match="broken schema"):
        load_schema(broken)
    broken.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_schema(broken)


def test_a_loaded_schema_is_reused_until_a_schema_file_changes(tmp_path: Path):
    common = tmp_path / "common.json"
    common.write_text(json.dumps({"$id": "https://example.test/common", "type": "string"}))
    main = tmp_path / "main.schema"
    main.write_text(json.dumps({"properties": {"title": {"$ref": "https://example.test/common"}}}))
    first = load_schema(main)
    assert load_schema(main) is first and first.validator.is_valid({"title": "x"})
    common.write_text(json.dumps({"$id": "https://example.test/common", "type": "integer"}))
    second = load_schema(main)
    assert second is not first and second.validator.is_valid({"title": 3})
    assert not second.validator.is_valid({"title": "x"})
    main.write_text(json.dumps({"properties": {"title": {"type": "boolean"}}}))
    assert load_schema(main).validator.is_valid({"title": True})
    main.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_schema(main)


def test_refs_resolve_locally_and_never_from_the_network(tmp_path: Path):
    (tmp_path / "common.json").write_text(json.dumps({"$id": "https://example.test/common", "type": "string"}))
    main = tmp_path / "main.json"
    main.write_text(
        json.dumps(
            {"$id": "https://example.test/main", "properties": {"title": {"$ref": "https://example.test/common"}}}
        )
    )
    assert load_schema(main).validator.is_valid({"title": "x"})
    assert not load_schema(main).validator.is_valid({"title": 3})
    remote = tmp_path / "remote.json"
    remote.write_text(json.dumps({"properties": {"a": {"$ref": "https://json-schema.org/draft/2020-12/schema"}}}))
    with pytest.raises(ConfigError, match="unresolvable"):
        load_schema(remote)


@contextlib.contextmanager
def fifo(path: Path) -> Iterator[Path]:
    """A FIFO no one writes to; a reader that waits on it is let go after a moment (a writer opens
    it and writes nothing), so a read that blocks fails the test rather than hanging it."""
    os.mkfifo(path)
    done = threading.Event()

    def release() -> None:
        while not done.wait(0.2):
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))  # succeeds only while a reader waits
            except OSError as exc:
                assert exc.errno in (errno.ENXIO, errno.ENOENT)

    writer = threading.Thread(target=release, daemon=True)
    writer.start()
    try:
        yield path
    finally:
        done.set()
        writer.join()


def sparse(path: Path, size: int) -> Path:
    """A file of `size` zero bytes that takes no room on disk."""
    with path.open("wb") as f:
        f.truncate(size)
    return path


def test_a_configured_schema_that_is_no_small_regular_file_is_a_config_error(tmp_path: Path):
    """Read bounded: a FIFO would hang, a device or a huge file exhaust memory (the configured
    `schema = "/dev/zero"`); each is refused at once, naming the file and why."""
    with (
        fifo(tmp_path / "fifo.json") as path,
        pytest.raises(ConfigError, match=r"fifo.json: schema is not a regular file \(a FIFO\)"),
    ):
        load_schema(path)
    (tmp_path / "device.json").symlink_to(os.devnull)
    with pytest.raises(ConfigError, match=r"device.json: schema is not a regular file \(a device\)"):
        load_schema(tmp_path / "device.json")
    with pytest.raises(ConfigError, match=r"/dev/null: schema is not a regular file \(a device\)"):
        load_schema(Path(os.devnull))
    huge = sparse(tmp_path / "huge.json", MAX_SCHEMA_BYTES + 1)
    with pytest.raises(ConfigError, match=rf"huge.json: schema of {MAX_SCHEMA_BYTES + 1} bytes is over the limit"):
        load_schema(huge)
    # A symlink to a regular file is followed, wherever it leads.
    shutil.copy(SCHEMA, tmp_path / "real.json")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "linked.json").symlink_to(tmp_path / "real.json")
    assert load_schema(tmp_path / "sub" / "linked.json").id == load_schema(SCHEMA).id


@pytest.mark.parametrize("planted", ["fifo", "device", "huge"])
def test_a_file_beside_the_schema_that_is_no_small_regular_file_is_refused(tmp_path: Path, planted: str):
    """The schema folder's *.json files are read for $refs: one that is no regular file or is over
    the limit is refused (not skipped), naming it; a file that reads but is no schema is skipped."""
    shutil.copy(SCHEMA, tmp_path / "document.schema.json")
    (tmp_path / "notes.json").write_text("not a schema")
    (tmp_path / "folder.json").mkdir()
    assert load_schema(tmp_path / "document.schema.json").id
    other = tmp_path / "other.json"
    with contextlib.ExitStack() as stack:
        if planted == "fifo":
            stack.enter_context(fifo(other))
            said = r"is not a regular file \(a FIFO\)"
        elif planted == "device":
            other.symlink_to(os.devnull)
            said = r"is not a regular file \(a device\)"
        else:
            sparse(other, MAX_SCHEMA_BYTES + 1)
            said = rf"of {MAX_SCHEMA_BYTES + 1} bytes is over the limit of {MAX_SCHEMA_BYTES} bytes"
        with pytest.raises(ConfigError, match=rf"{other}: file in the schema folder {said}"):
            load_schema(tmp_path / "document.schema.json")


def test_a_file_beside_the_schema_nested_too_deeply_is_skipped_as_no_schema(tmp_path: Path):
    shutil.copy(SCHEMA, tmp_path / "document.schema.json")
    (tmp_path / "deep.json").write_text(
        '{"$id": "https://example.test/deep", "a": ' + "[" * 100_000 + "]" * 100_000 + "}"
    )
    assert load_schema(tmp_path / "document.schema.json").is_valid(doc())


def test_cross_document_ids():
    a = Document("abc", {}, (), "a.txt", Location("a.txt", 1))
    b = Document("abc", {}, (), "b.jsonl", Location("b.jsonl", 4))
    c = Document("ABC", {}, (), "c.txt", Location("c.txt", 1))
    found = id_findings(id_table([c, b, a]))
    assert [(f.path, f.line, f.code) for f in found] == [("b.jsonl", 4, "duplicate-id"), ("c.txt", 1, "case-id")]
    assert "a.txt:1" in found[0].message


def test_ids_that_differ_only_by_case_beyond_ascii():
    docs = [
        Document(doc_id, {}, (), path, Location(path, None))
        for doc_id, path in [
            ("straße", "a.txt"),
            ("STRASSE", "b.txt"),
            ("Ärger", "c.txt"),
            ("ärger", "d.txt"),
            ("x", "e.txt"),
        ]
    ]
    found = id_findings(id_table(docs))
    assert [(f.path, f.code) for f in found] == [("b.txt", "case-id"), ("d.txt", "case-id")]
    assert "'straße' at a.txt" in found[0].message


def test_an_unknown_field_is_reported_where_it_is_written_with_the_nearest_known_name():
    """A sidecar's unknown field names the sidecar and its line, not the text seed it describes."""
    sidecar = Location("seeds/pub.meta.json", 3)
    document = Document(
        "doc-1",
        {"title": "T", "source": "S", "date": "2024-01-29", "language": "en", "license": "MIT", "urll": "x", "zzz": 1},
        ("Body.",),
        "seeds/pub.txt",
        Location("seeds/pub.txt", 1),
        {"urll": sidecar},
    )
    findings = load_schema(SCHEMA).findings(document)
    by_field = {f.pointer: f for f in findings}
    assert set(by_field) == {"/urll", "/zzz"}
    assert (by_field["/urll"].path, by_field["/urll"].line) == ("seeds/pub.meta.json", 3)
    assert by_field["/urll"].message == "unknown field: 'urll' (did you mean 'url'?)"
    assert (by_field["/zzz"].path, by_field["/zzz"].message) == ("seeds/pub.txt", "unknown field: 'zzz'")


def test_a_schema_pattern_that_backtracks_for_ever_is_explained_in_time(tmp_path: Path):
    """The reference validator explained a refused title with Python's `re`, which backtracks on
    `^(a|aa)*$c` exponentially: 44 letters took 100 s, 60 would take days. jsonschema-rs decides it."""
    import subprocess
    import sys

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    schema["properties"]["title"]["pattern"] = "^(a|aa)*$c"
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "document.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.corpuspack]\nlanguage = 'en'\nlicense = 'CC0-1.0'\n")
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "doc.txt").write_text(f"{'a' * 60}\n\nWire Updated on 2024-01-02\n\nA paragraph.\n")
    done = subprocess.run(
        [sys.executable, "-m", "corpuspack", "validate"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1, done.stderr
    assert f"seeds/doc.txt:1: /title: '{'a' * 60}' does not match the pattern ^(a|aa)*$c" in done.stdout
