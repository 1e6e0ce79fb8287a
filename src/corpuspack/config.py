"""Settings: defaults, then `[tool.corpuspack]` in pyproject.toml, then explicit overrides."""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from . import formats
from .dedup.boilerplate import pattern_matcher
from .dedup.settings import DedupConfig
from .errors import ConfigError, UsageError
from .formats import CURRENT as CURRENT_FORMAT
from .printable import printable
from .regular import read_config_file
from .settings import GiB, MiB, SettingError, check_fields, markdown_table, setting, unknown_keys
from .storage import is_url, local_path

# The default contract, shipped as package data; `schema/` of a project is that corpus's own.
PACKAGED_SCHEMA = Path(str(resources.files("corpuspack").joinpath("document.schema.json")))
ENGINES = ("local", "ray")
# A Hub repo id with its owner, as the Hub takes it: no `--` or `..`, no `.git` ending.
HUB_REPO = re.compile(r"(?!.*(?:--|\.\.))[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}(?<!\.git)", re.ASCII)
_LANGUAGE_CODE = re.compile(r"[A-Za-z]{2,3}")  # the primary subtag of `filter_languages` entries
MAX_PYPROJECT_BYTES = 1 * MiB  # a pyproject.toml is a few KiB; past this it is no configuration


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
    # Published in croissant.json; recorded in the manifest when set (so a rebuild writes them again).
    homepage: str | None = setting(None, "url", "the dataset's home page (Croissant's `url`)", none=True)
    creator: str | None = setting(
        None, "text", "the organisation or team that makes the dataset (Croissant's `creator`)", none=True, blank=False
    )
    citation: str | None = setting(
        None,
        "text",
        "how to cite the dataset, e.g. BibTeX (Croissant's `citeAs`, and the card's Citation unless `CARD.md` has one)",
        none=True,
        blank=False,
        shown="a `@misc` entry from the name, version, creator and homepage",
    )
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
    # Filters (output format 3): a document they remove keeps its paragraphs in the ledger, each
    # with the reason `filtered:<rule>`; none configured, none removed. Recorded in the manifest when set.
    filter_min_words: int | None = setting(
        None, "int", "documents of fewer words (as read) are filtered out (`filtered:min_words`)", low=1, none=True
    )
    filter_max_dup_line_share: float | None = setting(
        None,
        "number",
        "documents with a larger share of repeated paragraphs are filtered out (`filtered:max_dup_line_share`)",
        high=1,
        none=True,
    )
    filter_languages: tuple[str, ...] | None = setting(
        None,
        "names",
        "documents whose detected language is none of these (ISO 639 codes) are filtered out (`filtered:languages`)",
        none=True,
    )
    dedup: DedupConfig = field(default_factory=DedupConfig)
    # Not a setting: new builds write the current format; a rebuild, the one its manifest records.
    output_format: int = CURRENT_FORMAT
    project_name: str | None = None  # `[project] name` of pyproject.toml: the card's title without pretty_name

    def __post_init__(self) -> None:
        check_fields(self)
        if self.hub_repo is not None and not HUB_REPO.fullmatch(self.hub_repo):
            raise SettingError("hub_repo", self.hub_repo, "a Hub repo id `owner/name` (letters, digits, - _ .)")
        # A name that is no language code (`english`, a typo) would silently filter out every document.
        bad = [x for x in self.filter_languages or () if not _LANGUAGE_CODE.fullmatch(x.split("-", 1)[0])]
        if self.filter_languages is not None and not self.filter_languages:  # would filter out every document
            raise SettingError(
                "filter_languages", [], "at least one ISO 639 code (leave it out to keep every language)"
            )
        if bad:
            raise SettingError(
                "filter_languages",
                list(self.filter_languages or ()),
                f"ISO 639 codes such as en or de; {printable(repr(bad[0]), 40)} is none",
            )

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

    def publication(self) -> dict[str, str]:
        """The settings that describe the dataset in croissant.json, those set, as a manifest records them."""
        return {k: getattr(self, k) for k in PUBLICATION if getattr(self, k) is not None}

    @property
    def card_path(self) -> Path:
        """The card's hand-written part."""
        return self.path(self.card) if self.card is not None else self.corpus_dir / "CARD.md"

    @property
    def title(self) -> str:
        """The dataset's title: `pretty_name`, else the project's name, else its folder's."""
        return self.pretty_name or self.project_name or self.root.resolve().name or "dataset"

    def filters(self) -> dict[str, Any]:
        """The filters configured, as a manifest records them (none before output format 3, which
        has the signals they read)."""
        if not formats.has_signals(self.output_format):
            return {}
        found = {k: getattr(self, k) for k in FILTERS if getattr(self, k) is not None}
        return {k: list(v) if isinstance(v, tuple) else v for k, v in found.items()}

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


PUBLICATION = ("homepage", "creator", "citation")
FILTERS = ("filter_min_words", "filter_max_dup_line_share", "filter_languages")
_FIELDS = {f.name for f in dataclasses.fields(Config)} - {"root", "dedup", "output_format", "project_name"}
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
    """`[tool.corpuspack]`, and `[project] name` when it is a non-empty string. The file is read
    bounded (a regular file of at most MAX_PYPROJECT_BYTES) and its nesting too: tomllib recurses."""
    raw = read_config_file(pyproject, MAX_PYPROJECT_BYTES, "file")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{pyproject}: {exc}") from exc
    except RecursionError:  # `x = [[[...` some hundreds deep: the whole file is refused, as broken TOML is
        raise ConfigError(f"{pyproject}: nested too deeply to read (arrays or tables in arrays)") from None
    tool = data.get("tool", {})
    table = tool.get("corpuspack", {}) if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.corpuspack] must be a table of settings")
    project = data.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    return table, name.strip() if isinstance(name, str) and name.strip() else None
