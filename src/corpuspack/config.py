"""Settings: defaults, then `[tool.corpuspack]` in pyproject.toml, then explicit overrides."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .dedup.boilerplate import pattern_matcher
from .errors import ConfigError, UsageError
from .storage import is_url, local_path

PACKAGED_SCHEMA = Path(__file__).parent / "document.schema.json"


@dataclass(frozen=True)
class DedupConfig:
    """Deduplication settings. Every field is recorded in the manifest of a release."""

    boilerplate_patterns: tuple[str, ...] = ()
    # A paragraph found in this many different documents is site furniture, not content.
    boilerplate_min_docs: int = 10
    near: bool = True
    threshold: float = 0.8
    num_perm: int = 128
    bands: int | None = None  # None: the most rows per band that still find pairs at the threshold
    shingle_size: int = 5
    min_words: int = 8
    seed: int = 1
    max_bucket_pairs: int = 32

    def __post_init__(self) -> None:
        if self.num_perm < 1 or (self.bands is not None and not 0 < self.bands <= self.num_perm):
            raise ConfigError(f"need 1 <= bands ({self.bands}) <= num_perm ({self.num_perm})")
        if not 0 < self.threshold <= 1:
            raise ConfigError(f"threshold must be in (0, 1], got {self.threshold}")
        if self.shingle_size < 1 or self.min_words < self.shingle_size:
            raise ConfigError("min_words must be at least shingle_size, and both positive")
        if self.boilerplate_min_docs < 2:
            raise ConfigError("boilerplate_min_docs must be at least 2")

    @property
    def lsh(self) -> tuple[int, int]:
        """(bands, rows per band) of the LSH index."""
        if self.bands is not None:
            return self.bands, self.num_perm // self.bands
        from .dedup.minhash import choose_bands

        return choose_bands(self.num_perm, self.threshold)

    def describe(self) -> dict[str, Any]:
        """Every setting, resolved, as recorded in a release manifest."""
        bands, rows = self.lsh
        return {
            **dataclasses.asdict(self),
            "boilerplate_patterns": list(self.boilerplate_patterns),
            "bands": bands,
            "rows": rows,
        }


@dataclass(frozen=True)
class Config:
    """Where things are and how the pipeline behaves."""

    root: Path = field(default_factory=Path.cwd)
    name: str = "corpus"
    seeds: Path | str = Path("seeds")  # a folder, or an fsspec URL (str)
    corpus: Path = Path("corpus")
    schema: Path | None = None
    language: str | None = None
    license: str | None = None
    max_file_bytes: int = 64 * 1024 * 1024
    strict: bool = False
    workers: int = 0
    shard_bytes: int = 256 * 1024 * 1024
    # How the build runs, never what it produces (so not recorded in a manifest).
    engine: str = "local"
    ray_address: str | None = None
    partitions: int = 0  # Ray group-by partitions; 0: chosen from the number of paragraphs
    dedup: DedupConfig = field(default_factory=DedupConfig)

    def path(self, p: Path | str) -> Path:
        p = Path(p)
        return p if p.is_absolute() else self.root / p

    @property
    def seeds_dir(self) -> Path:
        if is_url(self.seeds):
            raise UsageError(f"{self.seeds}: a seeds URL is mirrored by build and validate, not read in place")
        return self.path(local_path(self.seeds))

    @property
    def seeds_base(self) -> Path:
        """What seed paths are relative to: the project folder, or for seeds kept outside it the
        seeds folder's parent, so that no published byte holds an absolute path."""
        seeds, root = self.seeds_dir.resolve(), self.root.resolve()
        return self.root if seeds == root or root in seeds.parents else seeds.parent

    @property
    def seeds_label(self) -> str:
        """The seeds folder as a manifest records it: relative to `seeds_base`, or the URL."""
        if is_url(self.seeds):
            return str(self.seeds)
        return self.seeds_dir.resolve().relative_to(self.seeds_base.resolve()).as_posix()

    @property
    def corpus_dir(self) -> Path:
        return self.path(self.corpus)

    @property
    def schema_path(self) -> Path:
        if self.schema is not None:
            return self.path(self.schema)
        local = self.root / "schema" / "document.schema.json"
        return local if local.exists() else PACKAGED_SCHEMA

    @property
    def worker_count(self) -> int:
        return self.workers if self.workers > 0 else (os.cpu_count() or 1)

    def defaults(self) -> dict[str, str]:
        """Corpus-wide metadata defaults applied when a seed does not say."""
        return {k: v for k, v in (("language", self.language), ("license", self.license)) if v}

    def replace(self, **changes: Any) -> Config:
        dedup = {k: changes.pop(k) for k in list(changes) if k in _DEDUP_FIELDS}
        new = dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})
        if dedup:
            new = dataclasses.replace(new, dedup=dataclasses.replace(new.dedup, **dedup))
        return new


_FIELDS = {f.name for f in dataclasses.fields(Config)} - {"root", "dedup"}
_DEDUP_FIELDS = {f.name for f in dataclasses.fields(DedupConfig)}


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above `start` holding a pyproject.toml, else `start`."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / "pyproject.toml").is_file():
            return folder
    return start


def load_config(root: Path | str | None = None, **overrides: Any) -> Config:
    """Read `[tool.corpuspack]` from `root`/pyproject.toml (found upwards when root is None)."""
    root = Path(root).resolve() if root is not None else find_root()
    table: dict[str, Any] = {}
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{pyproject}: {exc}") from exc
        table = dict(data.get("tool", {}).get("corpuspack", {}))
    unknown = set(table) - _FIELDS - _DEDUP_FIELDS
    if unknown:
        raise ConfigError(f"{pyproject}: unknown [tool.corpuspack] keys: {', '.join(sorted(unknown))}")
    values = {**table, **{k: v for k, v in overrides.items() if v is not None}}
    dedup_values = {k: values.pop(k) for k in list(values) if k in _DEDUP_FIELDS}
    if "boilerplate_patterns" in dedup_values:
        patterns = dedup_values["boilerplate_patterns"]
        if not isinstance(patterns, list | tuple):  # a string would become one pattern per letter
            raise ConfigError(f"{pyproject}: boilerplate_patterns must be a list of strings, got {patterns!r}")
        dedup_values["boilerplate_patterns"] = tuple(patterns)
    for key in ("seeds", "corpus", "schema"):
        if key in values and values[key] is not None and not (key == "seeds" and is_url(values[key])):
            values[key] = Path(values[key])
    try:
        config = Config(root=root, dedup=DedupConfig(**dedup_values), **values)
    except TypeError as exc:
        raise ConfigError(f"{pyproject}: {exc}") from exc
    try:
        pattern_matcher(config.dedup.boilerplate_patterns)
    except ConfigError as exc:
        raise ConfigError(f"{pyproject}: {exc}") from None
    return config
