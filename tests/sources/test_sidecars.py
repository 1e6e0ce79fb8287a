"""Sidecars found from each folder's listing in discovery, not by a stat per seed: the same sidecars
read as when each is looked for on disk, symlinks and special files treated as before."""

from __future__ import annotations

import os
from pathlib import Path

from corpuspack.pipeline.chunk import _files
from corpuspack.sources import SeedFile, discover, read_seed

DEFAULTS = {"language": "en", "license": "unknown"}
ARTICLE = "Title\nOutlet Updated on 2024-01-01\n\nBody paragraph.\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _seeds(tmp_path: Path) -> Path:
    """A seeds folder with every kind of sidecar, and none."""
    seeds, outside = tmp_path / "seeds", tmp_path / "outside"
    for name in ["plain.txt", "with.txt", "linked.md", "dir.txt", "fifo.txt", "escaping.txt", "Upper.TXT"]:
        _write(seeds / name, ARTICLE)
    _write(seeds / "sub" / "deep.markdown", ARTICLE)
    _write(seeds / "lower.TXT", ARTICLE)
    _write(seeds / "records.json", '{"id": "r", "title": "T", "text": "Body."}')
    _write(seeds / "with.meta.json", '{"url": "https://example.org/with"}')
    _write(seeds / "Upper.meta.json", '{"url": "https://example.org/upper"}')
    _write(seeds / "LOWER.meta.json", '{"url": "https://example.org/lower"}')  # not lower.TXT's where case counts
    _write(seeds / "sub" / "deep.meta.json", '{"url": "https://example.org/deep"}')
    _write(seeds / "shared" / "target.json", '{"url": "https://example.org/linked"}')
    os.symlink(seeds / "shared" / "target.json", seeds / "linked.meta.json")  # inside the folder: followed
    (seeds / "dir.meta.json").mkdir()  # a folder is no sidecar
    os.mkfifo(seeds / "fifo.meta.json")  # nor is a FIFO: not opened, so nothing blocks
    _write(outside / "escaping.meta.json", '{"url": "https://example.org/outside"}')
    os.symlink(outside / "escaping.meta.json", seeds / "escaping.meta.json")  # reported, as before
    return seeds


def test_discovery_tells_which_text_seeds_have_a_sidecar(tmp_path):
    seeds = _seeds(tmp_path)
    found, findings = discover([seeds], tmp_path)
    has = {s.rel.removeprefix("seeds/"): s.sidecar for s in found if s.kind == "text"}
    assert has == {
        "plain.txt": False,
        "with.txt": True,
        "linked.md": True,
        "dir.txt": False,
        "fifo.txt": False,
        "escaping.txt": None,  # left out of the listing as a symlink leading outside: the disk tells
        "Upper.TXT": True,
        "lower.TXT": None,  # a sidecar named in other letter cases: the file system tells
        "sub/deep.markdown": True,
    }
    assert [f.path for f in findings] == ["seeds/escaping.meta.json"] and findings[0].code == "symlink"
    assert {s.sidecar for s in found if s.kind != "text"} == {None}


def test_seeds_read_the_same_with_the_listing_as_with_a_look_on_disk(tmp_path):
    seeds = _seeds(tmp_path)
    found, _ = discover([seeds], tmp_path)
    urls = {}
    for seed in found:
        listed = read_seed(seed, DEFAULTS, 1 << 20)
        looked = read_seed(SeedFile(seed.file, seed.rel), DEFAULTS, 1 << 20)  # sidecar not known: isfile
        assert listed == looked, seed.rel
        for doc in listed.documents:
            urls[seed.rel] = doc.metadata.get("url")
    assert {rel.removeprefix("seeds/"): url for rel, url in urls.items() if url} == {
        "with.txt": "https://example.org/with",
        "linked.md": "https://example.org/linked",
        "escaping.txt": "https://example.org/outside",  # as before the listing: read, and reported
        "Upper.TXT": "https://example.org/upper",
        "sub/deep.markdown": "https://example.org/deep",
    }
    assert _files(found) == _files([SeedFile(s.file, s.rel) for s in found])  # a chunk's files, hashed
    assert ("seeds/with.meta.json", str(seeds / "with.meta.json")) in _files(found)


def test_a_sidecar_added_after_discovery_is_not_read_and_one_removed_is_a_finding(tmp_path):
    seeds = tmp_path / "seeds"
    _write(seeds / "a.txt", ARTICLE)
    _write(seeds / "b.txt", ARTICLE)
    _write(seeds / "b.meta.json", '{"url": "https://example.org/b"}')
    found, _ = discover([seeds], tmp_path)
    _write(seeds / "a.meta.json", '{"url": "https://example.org/a"}')  # the stamp (chunk key) has none
    (seeds / "b.meta.json").unlink()
    a, b = (read_seed(seed, DEFAULTS, 1 << 20) for seed in found if seed.kind == "text")
    assert "url" not in a.documents[0].metadata
    assert [(f.path, f.code) for f in b.findings] == [("seeds/b.meta.json", "io")]
