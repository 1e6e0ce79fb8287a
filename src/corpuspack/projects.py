"""The corpus project around a path: what `init` and `report` check before they write there, so
that nothing lands in the seeds (it would become seeds) or the corpus folder (a pseudo-version)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from .config import load_config
from .errors import CorpuspackError


def is_corpus_project(pyproject: Path) -> bool:
    """Whether the file `pyproject` has a `[tool.corpuspack]` table (unreadable or broken: no)."""
    try:
        with pyproject.open("rb") as f:
            data = tomllib.loads(f.read(1 << 20).decode("utf-8", "replace"))
    except (OSError, tomllib.TOMLDecodeError, RecursionError):  # unreadable is no corpus, as in load_config
        return False
    tool = data.get("tool")
    return isinstance(tool, dict) and "corpuspack" in tool


def enclosing_project(path: Path) -> tuple[Path, list[Path]] | None:
    """The nearest corpus project above `path` (symlinks resolved) and its corpus and seeds folders
    (a configuration that cannot be loaded: the default ones); None when `path` is in none."""
    for folder in Path(os.path.realpath(path)).parents:
        if (folder / "pyproject.toml").is_file() and is_corpus_project(folder / "pyproject.toml"):
            try:
                config = load_config(folder)
                return folder, [config.corpus_dir, config.seeds_dir]
            except CorpuspackError:  # a broken configuration, or seeds at a URL
                return folder, [folder / "corpus", folder / "seeds"]
    return None
