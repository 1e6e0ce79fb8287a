"""`corpus/README.md`: the Hugging Face dataset card of the versions in the corpus folder, made from
their manifests, their data (languages, licences, sources, schemas) and the user's hand-written part;
and the card a Hub repository holds at each version's tag (`hub_cards`, for `push`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..containment import is_within
from ..errors import ConfigError, DataError, UsageError
from ..printable import printable, printable_path
from ..tables import TABLES
from . import card_body, card_notes, figures
from .card_features import features
from .card_fields import card_problem
from .hub_ids import hub_language, license_metadata
from .layout import Version
from .manifest import listed_parquet

if TYPE_CHECKING:
    from ..config import Config

NAME = "README.md"
SIZE_CATEGORIES = [
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
]


@dataclass(frozen=True)
class CardSettings:
    """What the card takes from configuration rather than from the data."""

    title: str
    notes_path: Path  # the hand-written part
    notes_label: str  # how the card names it (never an absolute path the project did not write)
    hub_repo: str | None = None

    @classmethod
    def from_config(cls, config: Config) -> CardSettings:
        """Raises ConfigError when the `card` setting leads outside the project: the file is
        published, so a pull request changing that one line must not publish any file it names."""
        if config.card is not None and not is_within(config.card_path, config.root):
            raise ConfigError(
                f"card = {printable(repr(str(config.card)), 200)}: the card's hand-written part must be a file"
                " inside the project"
            )
        label = config.card.as_posix() if config.card is not None else "CARD.md beside this file"
        # One printable line: the title is shown by the Hub (pretty_name) and heads the card.
        return cls(printable(" ".join(config.title.split()), 200), config.card_path, label, config.hub_repo)


@dataclass(frozen=True)
class VersionView:
    """A version as the card shows it: its manifest and what its data holds."""

    manifest: dict[str, Any]
    language: dict[str, int]  # documents per language tag (most first)
    license: dict[str, int]  # documents per SPDX id
    source: dict[str, int]  # documents per source
    schemas: dict[str, pa.Schema]  # the published schema of each table

    @property
    def version(self) -> str:
        return self.manifest["version"]

    def files(self, table: str, prefix: str = "") -> list[dict[str, Any]]:
        return sorted(
            (o for o in self.manifest["outputs"] if o["path"].startswith(f"{prefix}{table}/")), key=lambda o: o["path"]
        )


def config_name(version: str, table: str) -> str:
    return f"v{version}-{table}"


def size_category(n: int) -> str:
    return next((label for limit, label in SIZE_CATEGORIES if n < limit), "n>1T")


def view(corpus: Path, manifest: dict[str, Any], staged: Path | None = None) -> VersionView:
    """Counts by language, licence and source from the documents table (three small columns), so
    the card says what the data holds, not what the defaults were; schemas from the Parquet footers.
    Only the files the manifest lists are read; one that does not read is a DataError, and so is a
    manifest value the card cannot show (`card_fields`). `staged`: the version's folder while it is
    not yet in `corpus` (a release makes its card before moving the version in)."""
    version = manifest["version"]
    try:  # the folder is named from it: only a version number, never a path
        folder = corpus / Version.parse(version if isinstance(version, str) else repr(version)).folder
    except UsageError:
        raise DataError(f"{printable_path(corpus)}: a manifest names version {printable(repr(version), 100)}") from None
    problem = card_problem(manifest)
    if problem:
        raise DataError(f"{printable_path(folder / 'manifest.json')}: {problem}")
    folder = staged or folder
    try:
        shards = {name: listed_parquet(manifest, folder, name) for name in TABLES}
        table = pq.read_table([str(p) for p in shards["documents"]], columns=["language", "license", "source"])
        schemas = {name: pq.read_schema(paths[0]) for name, paths in shards.items()}
        counts = {}
        for column in ("language", "license", "source"):
            if table.schema.field(column).type != pa.string():  # a shard of another schema: a traceback before
                raise DataError(f"{printable_path(folder)}: documents column {column} is no string column")
            values = pc.value_counts(table.column(column).fill_null("unknown").combine_chunks())
            counts[column] = {c["values"]: c["counts"] for c in sorted(values.to_pylist(), key=_most_first)}
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"{printable_path(folder)}: the tables cannot be read: {printable(str(exc), 300)}") from None
    return VersionView(manifest, counts["language"], counts["license"], counts["source"], schemas)


def _most_first(count: dict[str, Any]) -> tuple[int, str]:
    return -count["counts"], count["values"]


def _info(name: str, view_: VersionView, table: str) -> dict[str, Any]:
    parquet = view_.files(table)
    arrow = [o for o in view_.files(table, "arrow/") if o["path"].endswith(".arrow")]
    return {
        "config_name": name,
        "features": features(view_.schemas[table]),
        "splits": [
            {
                "name": "train",
                "num_bytes": sum(o["size"] for o in arrow),
                "num_examples": sum(o.get("rows", 0) for o in parquet),
            }
        ],
        "download_size": sum(o["size"] for o in parquet),
        "dataset_size": sum(o["size"] for o in arrow),
    }


def metadata(views: list[VersionView], settings: CardSettings, notes: card_notes.Notes, hub: bool) -> str:
    """The card's YAML metadata. The local card (`hub` false) has a config per table following the
    latest version (`documents`, the default, and `paragraphs`) and one per version and table
    (`v1.0.0-documents`); the card at a Hub tag has only `documents` and `paragraphs`, at the root."""
    from huggingface_hub import DatasetCardData

    latest = views[-1]
    configs, infos = [], []
    pinned = [] if hub else [(config_name(v.version, t), v, t) for v in views for t in TABLES]
    for name, v, table in [(t, latest, t) for t in TABLES] + pinned:
        entry: dict[str, Any] = {"config_name": name}
        if name == "documents":
            entry["default"] = True
        folder = "" if hub else f"v{v.version}/"
        entry["data_files"] = [{"split": "train", "path": f"{folder}{table}/*.parquet"}]
        configs.append(entry)
        infos.append(_info(name, v, table))
    shown = [latest] if hub else views
    languages = sorted({code for v in shown for tag in v.language if (code := hub_language(tag))})
    licence = license_metadata(sorted({x for v in shown for x in v.license}))
    # `license_name` and `license_link` come from the data when it has one licence the Hub does not
    # list; front matter setting them then would misstate the licence.
    clash = sorted(set(licence) & set(notes.meta))
    if clash:
        raise ConfigError(
            f"{printable_path(settings.notes_path)}: front matter sets {', '.join(clash)}, which the card takes"
            " from the data's licence; remove them"
        )
    meta: dict[str, Any] = {
        "language": languages or None,
        **licence,
        "pretty_name": settings.title,
        "size_categories": [size_category(latest.manifest["counts"]["documents"])],
        "task_categories": ["text-generation"],
        **{k: v for k, v in notes.meta.items() if k != "ignore_metadata_errors"},  # a parameter, not metadata
        "configs": configs,
        "dataset_info": infos,
    }
    return DatasetCardData(**meta).to_yaml()


def render(manifests: list[dict[str, Any]], corpus: Path, settings: CardSettings, staged: Path | None = None) -> str:
    """The card of the corpus folder: `manifests` are its versions, oldest first; `staged`: the last
    one's folder while it is not yet in `corpus` (`view`)."""
    views = [view(corpus, m, staged if i == len(manifests) - 1 else None) for i, m in enumerate(manifests)]
    notes = card_notes.read(settings.notes_path)
    meta = metadata(views, settings, notes, hub=False)
    glance = figures.card_lines(corpus, views[-1].version) if views else []
    return f"---\n{meta}\n---\n\n{card_body.body(views, settings, notes, None, corpus.resolve().name, glance)}"


def hub_cards(manifests: list[dict[str, Any]], corpus: Path, settings: CardSettings, repo_id: str) -> list[str]:
    """The card a Hub repository holds at the tag of each version (`manifests` oldest first): the
    versions up to it, its tables as the configs at the root, snippets for `repo_id`."""
    views = [view(corpus, m) for m in manifests]
    notes = card_notes.read(settings.notes_path)
    cards = []
    for n in range(len(views)):
        meta = metadata(views[: n + 1], settings, notes, hub=True)
        cards.append(f"---\n{meta}\n---\n\n{card_body.body(views[: n + 1], settings, notes, repo_id)}")
    return cards


def write(corpus: Path, manifests: list[dict[str, Any]], settings: CardSettings) -> str:
    from .layout import write_atomic

    text = render(manifests, corpus, settings)
    write_atomic(corpus / NAME, text)
    return text
