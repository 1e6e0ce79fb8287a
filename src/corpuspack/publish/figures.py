"""Where a version's report lives and how the card shows it. The report (one HTML page and its PNG
figures) is derived from a released version's files, so it is kept outside the version folder,
whose files its manifest lists and `verify --rebuild` compares: `corpus/reports/vX.Y.Z/`. Released
versions stay byte for byte what they were; a report can be made again at any time."""

from __future__ import annotations

from pathlib import Path

REPORTS = "reports"  # in the corpus folder
PAGE = "report.html"
# The figures the card shows, in its order, with their captions.
MAIN = [
    ("sources.png", "Documents and paragraphs per source"),
    ("months.png", "Documents and paragraphs per month"),
    ("lengths.png", "Lengths of documents and paragraphs"),
    ("removals.png", "Paragraphs dropped, by reason"),
]


def report_folder(corpus: Path, version: str) -> Path:
    return corpus / REPORTS / f"v{version}"


def card_lines(corpus: Path, version: str) -> list[str]:
    """Markdown for the card: the main figures of `version`'s report and a link to the whole page,
    with paths relative to the card (`corpus/README.md`); no lines when the version has no report
    (versions released before corpuspack made reports), so such a card is unchanged."""
    folder = report_folder(corpus, version)
    shown = [(name, caption) for name, caption in MAIN if (folder / name).is_file()]
    if not shown:
        return []
    rel = f"{REPORTS}/v{version}"
    lines = [f"## v{version} at a glance", ""]
    for name, caption in shown:
        lines += [f"![{caption}]({rel}/{name})", ""]
    if (folder / PAGE).is_file():
        lines += [f"Every figure, the most repeated paragraphs and the changes: [{rel}/{PAGE}]({rel}/{PAGE}).", ""]
    return lines
