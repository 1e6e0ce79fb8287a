"""Where a version's report lives and how the card shows it. The report (one HTML page and its PNG
figures) is derived from a released version's files, so it is kept outside the version folder,
whose files its manifest lists and `verify --rebuild` compares: `corpus/reports/vX.Y.Z/`. Released
versions stay byte for byte what they were; a report can be made again at any time."""

from __future__ import annotations

import re
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


# What a report writer killed midway leaves in corpus/reports (`reporting.write` stages under these names).
_LEFTOVER = re.compile(r"^\.v\d+\.\d+\.\d+\.(partial|old)-[a-z0-9_]{8}$")


def remove_leftovers(corpus: Path) -> None:
    """Remove the staging folders of reports whose writing was killed (`release` settles them with the
    corpus lock held): only the page and PNG files corpuspack writes, then the folders left empty."""
    reports = corpus / REPORTS
    if not reports.is_dir() or reports.is_symlink():
        return
    for folder in reports.iterdir():
        if not (_LEFTOVER.match(folder.name) and folder.is_dir() and not folder.is_symlink()):
            continue
        for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            if path.is_symlink() or not path.is_dir():
                if path.is_file() and not path.is_symlink() and (path.name == PAGE or path.suffix == ".png"):
                    path.unlink()
            elif not any(path.iterdir()):
                path.rmdir()
        if not any(folder.iterdir()):
            folder.rmdir()


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
