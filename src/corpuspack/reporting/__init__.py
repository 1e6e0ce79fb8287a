"""`report`: one self-contained HTML page and its PNG figures, made from a version's published
files (a released version, or a folder `build --out` wrote): the shape of the corpus, what dedup
removed, the signals of its documents and what changed since the previous version."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..config import Config, load_config
from ..containment import is_within
from ..diffing import diff_versions
from ..errors import DataError, UsageError
from ..printable import printable
from ..projects import enclosing_project
from ..publish import manifest
from ..publish.figures import PAGE, REPORTS, report_folder
from ..publish.layout import Version, resolve, versions
from ..staging import fresh_folder
from ..storage import is_url, local_path
from . import plots
from .checked import checked
from .facts import Facts, read_facts
from .page import page

NAME_LIMIT = 200  # characters of the dataset's name in the page's title and heading


@dataclass
class ReportResult:
    out: Path  # the folder holding the page and the figures
    page: Path
    figures: list[Path]
    version: str | None  # None for a folder given by path
    seconds: float


def report(
    version: str | None = None,
    *,
    config: Config | None = None,
    folder: Path | str | None = None,
    into: Path | str | None = None,
) -> ReportResult:
    """Write the report of `version` of the corpus folder (default: the latest) into `into`
    (default: `corpus/reports/vX.Y.Z/`), or of the version folder `folder` (default: a new
    temporary folder). `into` is replaced only when it is new, empty or an earlier report."""
    started = time.perf_counter()
    if version is not None and folder is not None:
        raise UsageError("give a version or a folder, not both")
    corpus: Path | None = None
    if folder is not None:
        if is_url(folder):
            raise UsageError(f"{printable(str(folder))}: report reads a local folder; download the version first")
        where, name = local_path(folder), None
        target = Path(into) if into is not None else None  # a new temporary folder, once there is a report
    else:
        config = config or load_config()
        corpus = config.corpus_dir
        found = resolve(corpus, version)
        where, name = corpus / found.folder, str(found)
        target = Path(into) if into is not None else report_folder(corpus, name)
        if into is None:
            check_reports_folder(corpus)
    if target is not None:
        _check_target(target, where, config)
    body = manifest.read(where)
    shown = checked(body, where / manifest.NAME)
    try:
        facts = read_facts(where, body)
        parent, changes = _changes(corpus, name, shown)
    except (pa.ArrowException, OSError) as exc:  # a damaged shard: bad data, not a traceback
        raise DataError(f"{printable(str(where))}: the tables cannot be read: {printable(str(exc), 1000)}") from None
    figures = draw(facts, shown["threshold"], changes)
    # The name is cut where it is printed: a manifest's name may be any length.
    dataset = printable(shown["name"] or "corpus", NAME_LIMIT)
    title = f"{dataset} v{name}" if name else f"{dataset} ({where.name})"
    # Where, without the absolute path: a report is published beside its version, and the same
    # version gives the same bytes wherever the repository is checked out.
    place = f"{corpus.name}/{where.name}" if corpus is not None else where.name
    about = [("version", f"v{name}" if name else "a build (not released)"), ("folder", place)]
    about += [("release date", shown["release_date"])] if shown["release_date"] else []
    text = page(title, about, facts, figures, changes, parent)
    target = target or Path(tempfile.mkdtemp(prefix="corpuspack-report-"))
    written = write(target, text, {n: png for n, (png, _) in figures.items()})
    return ReportResult(target, target / PAGE, written, name, time.perf_counter() - started)


def check_reports_folder(corpus: Path) -> None:
    """UsageError unless `corpus/reports` is absent or a real folder: a planted symlink must not lead
    elsewhere, and `release` checks this before it publishes a version it could not report."""
    folder = corpus / REPORTS
    if folder.is_symlink():
        raise UsageError(f"{printable(str(folder))}: a symlink; reports are written inside the corpus only")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{printable(str(folder))}: not a folder; reports are written there")


def draw(facts: Facts, threshold: float | None, changes: dict[str, Any] | None) -> dict[str, tuple[bytes, str]]:
    """Every figure: file stem -> (PNG bytes, caption); `threshold`: the dedup's, marked on similarity."""
    out = {
        "sources": (plots.sources(facts.sources), "Documents and paragraphs per source"),
        "months": (plots.months(facts.months), "Documents and paragraphs kept, per month of their date"),
        "lengths": (
            plots.lengths(facts.document_chars, facts.document_paragraphs, facts.paragraph_chars),
            "Lengths of documents and paragraphs (kept and dropped)",
        ),
        "removals": (plots.removals(facts.removals), "Paragraphs dropped, by reason"),
        "similarity": (
            plots.similarity(facts.similarity, threshold),
            "Similarity of each near duplicate to the paragraph it duplicates",
        ),
        "languages": (plots.languages(facts.languages), "Documents per language"),
    }
    if changes is not None:
        out["changes"] = (plots.changes(changes), "Documents and paragraphs changed since the previous version")
    used = set(out)
    for signal, values in facts.signals.items():
        stem = "signal-" + re.sub(r"[^A-Za-z0-9_.-]", "_", signal)[:80]
        while stem in used:  # two names that sanitise alike
            stem += "_"
        used.add(stem)
        _, dropped, clipped = plots.shown_values(values)
        notes = [f"{dropped:,} values not finite, not shown"] if dropped else []
        notes += [f"{clipped:,} values beyond ±{plots.EXTREME:g} drawn at ±{plots.EXTREME:g}"] if clipped else []
        caption = f"Distribution of {signal} over documents" + (f" ({'; '.join(notes)})" if notes else "")
        out[stem] = (plots.signal(signal, values), caption)
    return out


def _changes(corpus: Path | None, name: str | None, shown: dict[str, Any]) -> tuple[str | None, dict | None]:
    """(previous version, the diff summary) from the manifest's checked values, else computed against
    the version before it in the corpus folder; (None, None) for a first version or a build."""
    if shown["diff"] and shown["parent"]:
        return shown["parent"], shown["diff"]
    if corpus is None or name is None:
        return None, None
    earlier = [v for v in versions(corpus) if v < Version.parse(name)]
    if not earlier:
        return None, None
    before, after = corpus / earlier[-1].folder, corpus / f"v{name}"
    return str(earlier[-1]), diff_versions(before, after, manifest.read(before), manifest.read(after)).summary()


def _check_target(target: Path, where: Path, config: Config | None) -> None:
    """UsageError unless `target` may hold a report: never in or over a version folder (its manifest
    lists its files), nowhere else in a corpus folder but under its `reports/` (a `v*` folder is
    taken for a version there), never in or over a seeds folder (its files would become seeds).
    The folders are those of `config` and of the corpus project enclosing `target`."""
    projects = []
    if config is not None:
        projects.append((config.corpus_dir, None if is_url(config.seeds) else config.seeds_dir))
    found = enclosing_project(target)
    if found is not None:
        projects.append((found[1][0], found[1][1]))
    if _in_or_over(target, where):
        raise UsageError(f"{printable(str(target))}: a report is not written into or over a version folder")
    for corpus, seeds in projects:
        for version in versions(corpus):
            if _in_or_over(target, corpus / version.folder):
                raise UsageError(f"{printable(str(target))}: a report is not written into or over a version folder")
        inside = Path(os.path.abspath(target)).is_relative_to(os.path.abspath(corpus))
        if inside or is_within(target, corpus):
            check_reports_folder(corpus)  # no planted symlink leads the report elsewhere
            if not is_within(target, corpus / REPORTS) or is_within(corpus / REPORTS, target):
                raise UsageError(
                    f"{printable(str(target))}: inside the corpus folder {printable(str(corpus))}; a report there "
                    f"goes into a folder of {REPORTS}/ (the default: {REPORTS}/vX.Y.Z)"
                )
        if target.exists() and is_within(corpus, target):
            raise UsageError(f"{printable(str(target))}: holds the corpus folder; give a new or empty folder")
        if seeds is not None and _in_or_over(target, seeds):
            raise UsageError(f"{printable(str(target))}: a report is not written into or over the seeds folder")


def _in_or_over(target: Path, folder: Path) -> bool:
    return is_within(target, folder) or (target.exists() and is_within(folder, target))


def _ours(path: Path) -> bool:
    return path.is_file() and not path.is_symlink() and (path.name == PAGE or path.suffix == ".png")


def write(target: Path, text: str, pngs: dict[str, bytes]) -> list[Path]:
    """The page and figures into `target`, whole or not at all: staged beside it and renamed in.
    An existing `target` must be empty or hold an earlier report only (a page and PNG files),
    which is moved aside, then its files removed, once the new one is in place."""
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise UsageError(f"{printable(str(target))}: not a folder")
    if target.is_dir():
        entries = list(target.iterdir())
        if entries and not ((target / PAGE).is_file() and all(_ours(p) for p in entries)):
            raise UsageError(f"{printable(str(target))}: holds files that are not a report; give a new or empty folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = fresh_folder(target.parent, f".{target.name}.partial-")
    aside = None
    try:
        (partial / PAGE).write_text(text, encoding="utf-8")
        for stem, png in pngs.items():
            (partial / f"{stem}.png").write_bytes(png)
        if target.is_dir():
            aside = fresh_folder(target.parent, f".{target.name}.old-")
            os.rename(target, aside / "report")
        os.rename(partial, target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if aside is not None:
        for path in (aside / "report").iterdir():
            if _ours(path):
                path.unlink()
        (aside / "report").rmdir()
        aside.rmdir()
    return [target / f"{stem}.png" for stem in pngs]
