"""Seeds held as columns give back the very `SeedFile`s discovery found, through pickling too."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from corpuspack.sources import SeedFile, discover
from corpuspack.sources.seedlist import SeedList


def test_seeds_of_a_folder_come_back_as_discovered(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    (seeds / "sub folder").mkdir(parents=True)
    (seeds / "a.md").write_text("# A\n\nText.\n", encoding="utf-8")
    (seeds / "a.meta.json").write_text("{}", encoding="utf-8")
    (seeds / "sub folder" / "é.txt").write_text("Text.\n", encoding="utf-8")
    (seeds / "records.jsonl").write_text("{}\n", encoding="utf-8")
    found, _ = discover([seeds], tmp_path)
    assert len(found) >= 3 and {s.sidecar for s in found} >= {True, None}
    held = SeedList(found)
    assert len(held) == len(found) and list(held) == found and held == found
    assert held[1] == found[1] and held[-2:] == found[-2:]
    again = pickle.loads(pickle.dumps(held))
    assert list(again) == found
    assert sys.getsizeof(pickle.dumps(held)) < sys.getsizeof(pickle.dumps(found))


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
