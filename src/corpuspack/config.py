"""Settings: defaults, then `[tool.corpuspack]` in pyproject.toml, then explicit overrides."""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .dedup.boilerplate import pattern_matcher
from .errors import ConfigError, UsageError
from .settings import GiB, MiB, SettingError, check_fields, markdown_table, setting, unknown_keys
from .storage import is_url, local_path

PACKAGED_SCHEMA = Path(__file__).parent / "document.schema.json"
ENGINES = ("local", "ray")
# A Hub repo id with its owner, as the Hub takes it: no `--` or `..`, no `.git` ending.
HUB_REPO = re.compile(r"(?!.*(?:--|\.\.))[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}(?<!\.git)", re.ASCII)


@dataclass(frozen=True)
class DedupConfig:
    """Deduplication settings. Every field is recorded in the manifest of a release."""

    boilerplate_patterns: tuple[str, ...] = setting(
        (), "patterns", "RE2 patterns of boilerplate paragraphs (one that matches every paragraph is refused)"
    )
    # A paragraph found in this many different documents is site furniture, not content.
    boilerplate_min_docs: int = setting(10, "int", "a paragraph in this many documents is boilerplate", low=2)
    near: bool = setting(True, "bool", "near-duplicate detection (`build --exact-only` turns it off)")
    threshold: float = setting(
        0.8,
        "number",
        "a paragraph whose shingle Jaccard with an earlier one is at least this is a near duplicate",
        low=0,
        high=1,
        above_low=True,
    )
    # Each permutation is one pass over every shingle and 4 bytes a paragraph in memory; past 1024
    # the estimate's error (about 1/sqrt(num_perm), 3%) no longer matters, as candidates are
    # confirmed on their exact shingle sets.
    num_perm: int = setting(128, "int", "MinHash permutations", low=1, high=1024)
    bands: int | None = setting(
        None,
        "int",
        "LSH bands (at most `num_perm`)",
        low=1,
        high=1024,
        none=True,
        shown="auto: the most rows per band that still find pairs at the threshold",
    )
    # A shingle of n words costs n passes over every word of a batch; past 32 words two paragraphs
    # share a shingle only where they share a long verbatim run, which the exact keys already see.
    shingle_size: int = setting(5, "int", "words in a shingle (at most `min_words`)", low=1, high=32)
    # Paragraphs of over 1000 words are rare: a larger minimum would turn near dedup off silently
    # (`near = false` says so).
    min_words: int = setting(8, "int", "shorter paragraphs take part in exact dedup only", low=1, high=1000)
    seed: int = setting(1, "int", "seed of the MinHash permutations", low=0)
    # Each member of an LSH bucket is paired with this many members before it: the work is
    # linear in it, and past 1024 a huge bucket costs near-quadratic time and memory again.
    max_bucket_pairs: int = setting(
        32, "int", "candidate pairs per member of an LSH bucket (bounds the work of huge buckets)", low=1, high=1024
    )
    # Versions built under rules 1 record no `rules` and rebuild under them byte for byte.
    rules: int = setting(
        2,
        "int",
        "dedup rules: 2 keeps numbers, short lines, syndicated stories and every script's words;"
        " 1 is the first releases' (see Deduplication)",
        low=1,
        high=2,
    )

    def __post_init__(self) -> None:
        check_fields(self)
        if self.bands is not None and self.bands > self.num_perm:
            raise ConfigError(f"need 1 <= bands ({self.bands}) <= num_perm ({self.num_perm})")
        if self.min_words < self.shingle_size:
            raise ConfigError(f"min_words ({self.min_words}) must be at least shingle_size ({self.shingle_size})")

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
        described = {
            **dataclasses.asdict(self),
            "boilerplate_patterns": list(self.boilerplate_patterns),
            "bands": bands,
            "rows": rows,
        }
        if self.rules == 1:  # as the manifests of rules 1 were written, before the setting existed
            del described["rules"]
        return described


@dataclass(frozen=True)
class Config:
    """Where things are and how the pipeline behaves."""

    root: Path = field(default_factory=Path.cwd)
    name: str = setting("corpus", "text", "dataset name in the manifest and Croissant file", blank=False)
    seeds: Path | str = setting(Path("seeds"), "location", "seeds folder, relative to the project, or an fsspec URL")
    corpus: Path = setting(Path("corpus"), "path", "folder of the released versions, relative to the project")
    schema: Path | None = setting(
        None,
        "path",
        "document schema, relative to the project",
        none=True,
        shown="`schema/document.schema.json` if present, else the packaged schema",
    )
    language: str | None = setting(None, "text", "BCP 47 language tag of seeds that do not say", none=True)
    license: str | None = setting(None, "text", "SPDX license id of seeds that do not say", none=True)
    # A seed file is read whole into a worker's memory, and a document is one Arrow string, which
    # cannot reach 2 GiB.
    max_file_bytes: int = setting(
        64 * MiB, "bytes", "larger seed files (or JSONL records) are findings", low=1, high=1 * GiB
    )
    strict: bool = setting(
        False, "bool", "unknown file types are errors, and so is a build that empties over `max_emptied_share`"
    )
    # Not recorded in a manifest: it decides whether a build is accepted, never what it holds.
    max_emptied_share: float = setting(
        0.5, "number", "a build whose dedup empties more of its documents than this says so (fails if strict)", high=1
    )
    # A process each on the local engine: 4096 is past any one machine's cores, and on Ray 0
    # already means every CPU of the cluster.
    workers: int = setting(0, "int", "worker processes (Ray: CPUs the build may use); 0: all cores", low=0, high=4096)
    # The Hugging Face Hub takes files up to 50 GB and advises under 20 GB. At 1 MiB a 100 GB corpus
    # is already the 100,000 files the Hub advises staying under and shard names (5 digits) count.
    shard_bytes: int = setting(256 * MiB, "bytes", "Parquet shard size", low=1 * MiB, high=16 * GiB)
    # How the build runs, never what it produces (so not recorded in a manifest).
    engine: str = setting("local", "text", 'where the stages run (see "Running on a cluster")', choices=ENGINES)
    ray_address: str | None = setting(None, "text", "Ray cluster to join; none starts a local Ray", none=True)
    # Each partition is a Ray task in every group-by: past 4096 scheduling costs more than it spreads.
    partitions: int = setting(0, "int", "Ray group-by partitions; 0: from the number of paragraphs", low=0, high=4096)
    # The card's and push's settings: they say how the versions are presented, never what they hold
    # (so not recorded in a manifest).
    pretty_name: str | None = setting(
        None,
        "text",
        "the dataset's title in its card",
        none=True,
        blank=False,
        shown="the `[project]` name in pyproject.toml, else the project folder's name",
    )
    card: Path | None = setting(
        None,
        "path",
        "the card's hand-written part (see The dataset card), relative to the project",
        none=True,
        shown="`CARD.md` in the corpus folder",
    )
    hub_repo: str | None = setting(
        None, "text", "Hugging Face Hub dataset repo `owner/name`: the card's Hub snippets, `push`'s default", none=True
    )
    dedup: DedupConfig = field(default_factory=DedupConfig)
    project_name: str | None = None  # `[project] name` of pyproject.toml: the card's title without pretty_name

    def __post_init__(self) -> None:
        check_fields(self)
        if self.hub_repo is not None and not HUB_REPO.fullmatch(self.hub_repo):
            raise SettingError("hub_repo", self.hub_repo, "a Hub repo id `owner/name` (letters, digits, - _ .)")

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

    @property
    def card_path(self) -> Path:
        """The card's hand-written part."""
        return self.path(self.card) if self.card is not None else self.corpus_dir / "CARD.md"

    @property
    def title(self) -> str:
        """The dataset's title: `pretty_name`, else the project's name, else its folder's."""
        return self.pretty_name or self.project_name or self.root.resolve().name or "dataset"

    def defaults(self) -> dict[str, str]:
        """Corpus-wide metadata defaults applied when a seed does not say."""
        return {k: v for k, v in (("language", self.language), ("license", self.license)) if v}

    def replace(self, **changes: Any) -> Config:
        """A copy with `changes` (None: keep the current value, except for dedup settings), checked."""
        dedup = {k: changes.pop(k) for k in list(changes) if k in _DEDUP_FIELDS}
        try:
            new = dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})
            if dedup:
                new = dataclasses.replace(new, dedup=dataclasses.replace(new.dedup, **dedup))
        except SettingError as exc:
            raise ConfigError(f"{exc} ({OVERRIDE})") from None
        return new


_FIELDS = {f.name for f in dataclasses.fields(Config)} - {"root", "dedup", "project_name"}
_DEDUP_FIELDS = {f.name for f in dataclasses.fields(DedupConfig)}
OVERRIDE = "given on the command line or by the caller, over pyproject.toml"


def settings_table() -> str:
    """The README's markdown table of every `[tool.corpuspack]` setting."""
    return markdown_table(Config, DedupConfig)


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above `start` holding a pyproject.toml, else `start`."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / "pyproject.toml").is_file():
            return folder
    return start


def load_config(root: Path | str | None = None, **overrides: Any) -> Config:
    """Read `[tool.corpuspack]` from `root`/pyproject.toml (found upwards when root is None), then
    apply `overrides` (None: not given). Every value is checked against its declaration."""
    root = Path(root).resolve() if root is not None else find_root()
    pyproject = root / "pyproject.toml"
    table, project_name = _table(pyproject) if pyproject.is_file() else ({}, None)
    overrides = {k: v for k, v in overrides.items() if v is not None}
    for where, keys in ((f"{pyproject}: unknown [tool.corpuspack] keys", table), ("unknown settings", overrides)):
        unknown = unknown_keys(keys, _FIELDS | _DEDUP_FIELDS)
        if unknown is not None:
            raise ConfigError(f"{where}: {unknown}")
    values = {**table, **overrides}
    where = f"{pyproject}: [tool.corpuspack] "
    dedup_values = {k: values.pop(k) for k in list(values) if k in _DEDUP_FIELDS}
    try:
        config = Config(root=root, dedup=DedupConfig(**dedup_values), project_name=project_name, **values)
    except SettingError as exc:
        raise ConfigError(f"{exc} ({OVERRIDE})" if exc.key in overrides else f"{where}{exc}") from None
    except ConfigError as exc:
        raise ConfigError(f"{where}{exc}") from None
    try:
        pattern_matcher(config.dedup.boilerplate_patterns)
    except ConfigError as exc:
        raise ConfigError(f"{pyproject}: {exc}") from None
    return config


def _table(pyproject: Path) -> tuple[dict[str, Any], str | None]:
    """`[tool.corpuspack]`, and `[project] name` when it is a non-empty string."""
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{pyproject}: {exc}") from exc
    tool = data.get("tool", {})
    table = tool.get("corpuspack", {}) if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.corpuspack] must be a table of settings")
    project = data.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    return table, name.strip() if isinstance(name, str) and name.strip() else None
