"""The card's Markdown: the sections of the Hub's dataset card template, each filled with what the
manifests and data know, the user's hand-written text for it, or the Hub's placeholder."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from ..config import FILTERS
from ..printable import printable_lines
from ..tables import TABLES, description
from .card_features import type_name
from .card_notes import Notes
from .card_rules import dedup_rules
from .croissant import cite_as
from .hub_ids import hub_license
from .markdown import cell, code, plain, prose

if TYPE_CHECKING:
    from .card import CardSettings, VersionView

PLACEHOLDER = "[More Information Needed]"
RECOMMENDATION = (
    "Users should be made aware of the risks, biases and limitations of the dataset. "
    "More information needed for further recommendations."
)
TOP_SOURCES = 10


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"


def body(
    views: list[VersionView],
    settings: CardSettings,
    notes: Notes,
    hub: str | None,
    folder: str = "",
    glance: list[str] | None = None,
) -> str:
    """The card below its metadata; `hub` is the repo id of the card at a Hub tag, None for the
    card of the corpus folder named `folder`; `glance`: markdown of the latest version's main figures."""
    latest = views[-1]
    v = latest.version
    # The title is the user's text, not markup: escaped like the data's cells.
    title = plain(settings.title, 200)
    out = [f"# Dataset Card for {title}", ""]
    if hub is None:
        out += [
            f"<!-- Made by `corpuspack card` from the manifests and {settings.notes_label}: write prose there, "
            "not here; the next release or `corpuspack card` rewrites this file. -->",
            "",
        ]
    documents = _count(latest.manifest["counts"]["documents"], "document")
    summary = (
        "A deduplicated text corpus built by [corpuspack](https://pypi.org/project/corpuspack/): every version is "
        "immutable and rebuilds byte for byte from the seed documents its manifest records. "
        f"v{v} (released {latest.manifest['release_date']}) holds {documents}."
    )
    out += [notes.summary or summary, ""]
    section = _Sections(notes, out)

    section("Dataset Details", 2, "dataset details", default="")
    section("Dataset Description", 3, "dataset description", _description(latest), keep=True)
    repo = f"- **Repository:** https://huggingface.co/datasets/{hub or settings.hub_repo}"
    section("Dataset Sources", 3, "dataset sources", repo if hub or settings.hub_repo else "")
    section("Uses", 2, "uses", default="")
    section("Direct Use", 3, "direct use")
    section("Loading", 3, "", _snippets(latest, settings, hub, folder))
    section("Out-of-Scope Use", 3, "out of scope use")
    section("Dataset Structure", 2, "dataset structure", _structure(views, hub))
    if latest.manifest.get("signals"):  # output format 3
        out += [_signals(latest.manifest["signals"]), ""]
    out += glance or []
    section("Dataset Creation", 2, "dataset creation", default="")
    section("Curation Rationale", 3, "curation rationale")
    section("Source Data", 3, "source data", default="")
    section("Data Collection and Processing", 4, "data collection and processing", _processing(latest))
    section("Who are the source data producers?", 4, "who are the source data producers", _sources(latest))
    for heading, level, key in (("Annotations", 3, "annotations"), ("Annotation process", 4, "annotation process")):
        section(heading, level, key, optional=True)
    section("Who are the annotators?", 4, "who are the annotators", optional=True)
    section("Personal and Sensitive Information", 3, "personal and sensitive information")
    limits = _limits(latest.manifest)
    section("Bias, Risks, and Limitations", 2, "bias risks and limitations", limits, keep=True)
    section("Recommendations", 3, "recommendations", default=RECOMMENDATION)
    section("Citation", 2, "citation", "" if notes.get("citation") else _citation(latest.manifest))
    section("Glossary", 2, "glossary", optional=True)
    if hub is None:
        more = (
            "Each version's `manifest.json` lists every input and output with its sha256; `croissant.json` "
            "describes it in Croissant. The dataset's changelog, an entry per version, is `CHANGELOG.md` beside "
            "this card."
        )
    else:
        more = (
            "Every version is a commit of this repository tagged `v<version>`. This one's `manifest.json` lists "
            "every input and output with its sha256; `croissant.json` describes it in Croissant."
        )
    section("More Information", 2, "more information", "\n\n".join([more, *notes.extra]))
    section("Dataset Card Authors", 2, "dataset card authors")
    section("Dataset Card Contact", 2, "dataset card contact")
    return "\n".join(out).rstrip("\n") + "\n"


def _citation(body: dict) -> str:
    """The version's `citeAs` (the `citation` setting, else a BibTeX entry) as a code block,
    fenced by more backticks than any run in it, and without a control character."""
    text = printable_lines(cite_as(body))  # a multi-line citation keeps its lines
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    return f"{fence}{'bibtex' if text.lstrip().startswith('@') else ''}\n{text}\n{fence}"


class _Sections:
    """Appends a section: the user's text for it, then what the data says; the placeholder when
    both are empty (or always, with `keep`, before the data's part)."""

    def __init__(self, notes: Notes, out: list[str]) -> None:
        self.notes, self.out = notes, out

    def __call__(
        self,
        heading: str,
        level: int,
        key: str,
        generated: str = "",
        *,
        default: str = PLACEHOLDER,
        keep: bool = False,
        optional: bool = False,
    ) -> None:
        user = self.notes.get(key) if key else ""
        if optional and not user:
            return
        first = user or (default if keep or not generated else "")
        text = "\n\n".join(part for part in (first, generated) if part)
        self.out += [f"{'#' * level} {heading}", ""] + ([text, ""] if text else [])


def _description(latest: VersionView) -> str:
    counts = latest.manifest["counts"]
    size = sum(o["size"] for t in TABLES for o in latest.files(t))
    licences = ", ".join(f"{cell(x)} ({_count(n, 'document')})" for x, n in latest.license.items())
    languages = ", ".join(f"{cell(x)} ({_count(n, 'document')})" for x, n in latest.language.items())
    lines = [
        f"- **Language(s):** {languages}",
        f"- **License:** {licences}" + (" (each document keeps its own; see below)" if len(latest.license) > 1 else ""),
        f"- **Size (v{latest.version}):** {_count(counts['documents'], 'document')}, "
        f"{_count(counts['paragraphs_kept'], 'kept paragraph')} of {counts['paragraphs']:,} read; "
        f"{size:,} bytes of Parquet",
        "",
        "| language | documents |",
        "|---|---|",
        *(f"| {cell(x)} | {n} |" for x, n in latest.language.items()),
        "",
        "| licence (SPDX, as the documents say) | Hub id | documents |",
        "|---|---|---|",
        *(f"| {cell(x)} | {cell(hub_license(x))} | {n} |" for x, n in latest.license.items()),
        "",
        "Each document keeps its own `language` and `license` columns; where licences are mixed, each applies "
        "to its own documents.",
    ]
    return "\n".join(lines)


def _snippets(latest: VersionView, settings: CardSettings, hub: str | None, folder: str) -> str:
    v = latest.version
    parts = []
    if hub is None:
        here = json.dumps(f"../{folder}")  # datasets takes a folder by its name ("." has none)
        parts.append(
            "From the folder holding this card (the `documents` and `paragraphs` configs follow the latest "
            "version; `v<version>-<table>` pins one):\n\n```python\nfrom datasets import load_dataset\n\n"
            f'docs = load_dataset({here}, "documents")  # the latest documents (now v{v})\n'
            f'paragraphs = load_dataset({here}, "paragraphs")\n'
            f'pinned = load_dataset({here}, "v{v}-documents")  # always v{v}\n\n'
            f'import pandas as pd\ndf = pd.read_parquet("v{v}/documents")\n\n'
            "import duckdb\n"
            f"duckdb.sql(\"SELECT reason, count(*) FROM 'v{v}/paragraphs/*.parquet' GROUP BY reason\")\n\n"
            f'import polars as pl\npl.read_parquet("v{v}/documents/*.parquet")\n\n'
            f'from datasets import load_from_disk\nload_from_disk("v{v}/arrow/documents")\n```'
        )
    repo = hub or settings.hub_repo
    if repo:
        url = f"hf://datasets/{repo}@v{v}"
        parts.append(
            "From the Hub (each version is a tag; without `revision`, the latest):\n\n```python\n"
            "from datasets import load_dataset\n\n"
            f'docs = load_dataset("{repo}", "documents", revision="v{v}")\n'
            f'paragraphs = load_dataset("{repo}", "paragraphs", revision="v{v}")\n'
            f'latest = load_dataset("{repo}", "documents")\n\n'
            f'import pandas as pd\ndf = pd.read_parquet("{url}/documents/")\n\n'
            "import duckdb\n"
            f"duckdb.sql(\"SELECT reason, count(*) FROM '{url}/paragraphs/*.parquet' GROUP BY reason\")\n\n"
            f'import polars as pl\npl.read_parquet("{url}/documents/*.parquet")\n```'
        )
    return "\n\n".join(parts)


def _structure(views: list[VersionView], hub: str | None) -> str:
    latest = views[-1]
    if hub is None:
        configs = (
            "Two tables, `documents` and `paragraphs`, in every version folder (`v<version>/<table>/*.parquet`, "
            "and `v<version>/arrow/<table>` as `datasets.save_to_disk` writes it). Configs: `documents` (the "
            "default) and `paragraphs` follow the latest version; `v<version>-documents` and "
            "`v<version>-paragraphs` pin one."
        )
    else:
        configs = (
            f"Two tables, the configs `documents` (the default) and `paragraphs` (`<table>/*.parquet`). This is "
            f'v{latest.version}; every version is a tag of this repository (`revision="v<version>"`).'
        )
    rows = [
        "| version | date | documents | paragraphs kept | paragraphs dropped |",
        "|---|---|---|---|---|",
        *(
            f"| {v.version} | {v.manifest['release_date']} | {v.manifest['counts']['documents']} "
            f"| {v.manifest['counts']['paragraphs_kept']} "
            f"| {v.manifest['counts']['paragraphs'] - v.manifest['counts']['paragraphs_kept']} |"
            for v in reversed(views)
        ),
    ]
    tables = []
    for name, schema in latest.schemas.items():
        fields = [f"| {code(f.name)} | {type_name(f.type)} | {prose(description(f))} |" for f in schema]
        tables += ["", f"`{name}`:", "", "| field | type | description |", "|---|---|---|", *fields]
    return "\n".join([configs, "", *rows, *tables])


def _processing(latest: VersionView) -> str:
    m = latest.manifest
    counts, dedup = m["counts"], m["config"]["dedup"]
    reasons = "\n".join(f"| {cell(reason)} | {cell(n)} |" for reason, n in counts["dropped_by_reason"].items())
    return (
        f"Every seed was validated against the document schema {code(m['schema']['$id'], False)}, then its paragraphs "
        f"were deduplicated. In v{latest.version}: {counts['paragraphs']:,} paragraphs read, "
        f"{counts['paragraphs_kept']:,} kept; documents left with no paragraph (not published): "
        f"{counts['documents_emptied']}.\n\n| reason | paragraphs dropped |\n|---|---|\n{reasons}\n\n"
        f"Normalisation {code(m['normalisation']['key'], False)}; near duplicates are word "
        f"{dedup.get('shingle_size', 5)}-gram "
        f"Jaccard >= {dedup['threshold']} (MinHash {dedup['num_perm']} permutations, {dedup['bands']} bands of "
        f"{dedup['rows']}, confirmed on exact shingle sets). The `paragraphs` table says of every paragraph whether "
        "it was kept and, if not, why and which paragraph it duplicates.\n\n" + dedup_rules(dedup)
    )


def _sources(latest: VersionView) -> str:
    shown = list(latest.source.items())[:TOP_SOURCES]
    more = len(latest.source) - len(shown)
    rows = "\n".join(f"| {cell(s)} | {n} |" for s, n in shown)
    tail = f"\n\nand {_count(more, 'other source')}." if more else ""
    return f"Documents of v{latest.version} by source:\n\n| source | documents |\n|---|---|\n{rows}{tail}"


def _signals(entry: dict) -> str:
    """The quality signals a format-3 version records: the manifest's words, escaped like data."""
    rows = "\n".join(f"| {code(name)} | {prose(text)} |" for name, text in entry["columns"].items())
    return (
        f"### Quality signals (version {cell(entry['version'])})\n\n"
        f"Columns of `documents`; language by {cell(entry['language_model'])} on the first "
        f"{cell(entry['language_sample_chars'])} characters; repetition: {cell(entry['repetition'])}.\n\n"
        f"| column | definition |\n|---|---|\n{rows}\n"
    )


def _limits(manifest: dict) -> str:
    """What was removed: repeated text, and the documents the configured filters name, if any."""
    config = manifest.get("config") or {}
    filters = {k: config[k] for k in FILTERS if k in config}
    removes = "repeated text (exact and near duplicates, boilerplate, duplicate documents)"
    if not filters:
        return (
            f"corpuspack removes {removes} and nothing else: it does not filter the documents for quality, "
            "toxicity or personal information."
        )
    named = ", ".join(f"{code(k, False)} {plain(v, 200)}" for k, v in filters.items())
    n = (manifest.get("counts") or {}).get("documents_filtered", 0)
    filtered = _count(n, "document") if type(n) is int else cell(n)
    return (
        f"corpuspack removes {removes}, and the documents this corpus's quality filters name ({named}: {filtered} "
        "in this version, each paragraph in the ledger with its `filtered:` reason). It does not filter "
        "for toxicity or personal information."
    )
