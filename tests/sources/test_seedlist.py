"""Seeds held as columns give back the very `SeedFile`s discovery found, through pickling too."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from corpuspack.sources import SeedFile, discover
from corpuspack.sources.seedlist import SeedColumns, SeedList


def test_seeds_of_a_folder_come_back_as_discovered(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    (seeds / "sub folder").mkdir(parents=True)
    (seeds / "a.md").write_text("# A\n\nText.\n", encoding="utf-8")
    (seeds / "a.meta.json").write_text("{}", encoding="utf-8")
    (seeds / "sub folder" / "é.txt").write_text("Text.\n", encoding="utf-8")
    (seeds / "records.jsonl").write_text("{}\n", encoding="utf-8")
    discovered, _ = discover([seeds], tmp_path)
    found = list(discovered)
    assert isinstance(discovered, SeedList) and discovered == found
    assert len(found) >= 3 and {s.sidecar for s in found} >= {True, None}
    held = SeedList(found)
    assert len(held) == len(found) and list(held) == found and held == found
    assert [held[i] for i in range(-len(found), len(found))] == found + found
    assert held[-2:] == found[-2:] and isinstance(held[1:], SeedList) and held[::2] == found[::2]
    assert len(pickle.dumps(held[1:2])) < len(pickle.dumps(held))  # a slice holds its own rows only
    with pytest.raises(IndexError):
        held[len(found)]
    again = pickle.loads(pickle.dumps(held))
    assert list(again) == found
    many = [SeedFile(f"/x/seeds/a{i:05d}.md", f"seeds/a{i:05d}.md", i, f"{i}:{i * 7}", i % 2 == 0) for i in range(2000)]
    assert len(pickle.dumps(SeedList(many))) < len(pickle.dumps(many))


def test_paths_without_a_shared_head_and_odd_values_are_kept() -> None:
    seeds = [
        SeedFile("/x/one.md", "seeds/one.md", 5, "5:1", False),
        SeedFile("/elsewhere/two.json", "two.json", -1, "", None),
        SeedFile("/x/", "", 0, "0:2+3:4", True),
    ]
    held = SeedList(seeds)
    assert list(held) == seeds and held == seeds and held != seeds[:2]
    assert list(SeedList([])) == [] and len(SeedList([])) == 0
    assert list(SeedList(seeds[2:])) == seeds[2:]


def test_columns_sort_as_python_does_and_keep_the_last_of_a_path_seen_twice() -> None:
    names = ["b.md", "a/z.md", "a-b.md", "é.md", "e.md", "Z.md", "a/ä.md", "日本.md"]
    columns = SeedColumns()
    for i, name in enumerate(names):
        columns.add(f"/s/{name}", name, i, f"{i}:1", None)
        columns.close_folder()
    columns.add("/s/b.md", "b.md", 99, "99:1", True)  # seen again: this one is kept
    held = columns.seeds()
    assert [s.rel for s in held] == sorted(names)
    assert held[sorted(names).index("b.md")] == SeedFile("/s/b.md", "b.md", 99, "99:1", True)
    assert len(SeedColumns().seeds()) == 0


def test_seeds_under_a_folder_whose_name_is_not_utf8_are_discovered(tmp_path: Path) -> None:
    """A folder above the seeds may be named in another encoding (a Latin-1 home folder, say)."""
    root = tmp_path / os.fsdecode(b"caf\xe9")
    (root / "seeds").mkdir(parents=True)
    (root / "seeds" / "a.txt").write_text("Hello world.\n", encoding="utf-8")
    seeds, findings = discover([root / "seeds"], root)
    assert [s.rel for s in seeds] == ["seeds/a.txt"] and not findings
    assert [s.path for s in seeds] == [root / "seeds" / "a.txt"]
    # Paths with no common head are held whole, as bytes, and come back as they went in.
    odd = [SeedFile(os.fsdecode(b"/x/caf\xe9/%d.txt" % i), f"elsewhere/{i}.txt", i, "s", None) for i in range(3)]
    held = SeedList(odd)
    assert list(held) == odd and held[1] == odd[1] and pickle.loads(pickle.dumps(held)) == odd
