"""`release`, `verify`, `diff` and `check`: versions in corpus/, immutable, atomic, reproducible."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from .builder import build, build_version
from .config import Config, load_config
from .diffing import Diff, current_inputs, diff_versions, input_changes
from .errors import DataError, UsageError
from .progress import Progress, quiet
from .publish import card, card_notes, changelog, manifest
from .publish.figures import PAGE, report_folder
from .publish.integrity import finish, settle_locked, version_problems
from .publish.layout import (
    JOURNAL,
    SUMS,
    Version,
    check_replaceable,
    new_staging,
    publish,
    read_sums,
    release_lock,
    resolve,
    versions,
)
from .reporting import check_reports_folder, report
from .stages.finish import Stamp
from .validation import no_documents, validate
from .verifying import rebuild_problems, verify


@dataclass
class ReleaseResult:
    version: str
    path: Path
    created: bool  # False: the version existed and the rebuild was byte-identical
    diff: dict[str, Any] | None = None
    summary: dict[str, Any] | None = None  # the manifest's counts and most repeated paragraphs, when created


def release(
    seeds: Path | str | None = None,
    corpus: Path | str | None = None,
    *,
    version: str | None = None,
    bump: str | None = None,
    date: str | None = None,
    config: Config | None = None,
    workers: int | None = None,
    confirm: Callable[[str], bool] | None = None,
    progress: Progress = quiet,
) -> ReleaseResult:
    """Build the seeds and publish them as `corpus/vX.Y.Z`, with card and changelog entry.

    Without `version` or `bump` the bump is suggested from the diff with the latest version and
    `confirm(question)` decides; with no `confirm` (a non-interactive run) that is an error.
    """
    config = (config or load_config()).replace(
        seeds=Path(seeds) if seeds else None, corpus=Path(corpus) if corpus else None
    )
    if version and bump:
        raise UsageError("give --version or --bump, not both")
    release_date = _check_date(date) if date else None
    corpus_dir = config.corpus_dir
    with release_lock(corpus_dir):
        settle_locked(corpus_dir, card.CardSettings.from_config(config), partial(_report_if_missing, config))
        known = versions(corpus_dir)
        latest = known[-1] if known else None
        wanted = Version.parse(version) if version else None
        rebuilding = wanted if wanted in known else None
        damaged = version_problems(corpus_dir, known, damage_only=True)
        if damaged:
            raise DataError("released versions are damaged; nothing was released:\n" + "\n".join(damaged))
        if rebuilding is not None:
            return _rerelease(config, rebuilding, release_date, workers)
        check_reports_folder(corpus_dir)  # found now, not after the version is in place
        parent_dir = corpus_dir / latest.folder if latest else None
        if release_date and parent_dir is not None:
            _check_after(release_date, latest, manifest.read(parent_dir))
        changelog.read(corpus_dir / changelog.NAME)  # written after the version is in place: sound first
        settings = card.CardSettings.from_config(config)
        card_notes.read(settings.notes_path)  # the card too, from these notes
        for name in (SUMS, card.NAME):  # replaced after the version is in place: replaceable first
            check_replaceable(corpus_dir / name)
        staged = new_staging(corpus_dir)

        def stamp(folder: Path, body: dict[str, Any]) -> Stamp:
            delta = _delta(parent_dir, folder, body)
            target = _choose(latest, wanted, bump, delta, confirm)
            today = dt.datetime.now(dt.UTC).date().isoformat()
            diff = delta.summary() if latest else None
            return Stamp(str(target), release_date or today, str(latest) if latest else None, diff)

        try:
            result = build_version(config.replace(workers=workers), staged, release=stamp, progress=progress)
            body = result.manifest
            target = Version.parse(body["version"])
            # The card `finish` writes once the version is in place, made now: what stops it stops the release.
            card.render([*(manifest.read(corpus_dir / v.folder) for v in known), body], corpus_dir, settings, staged)
            publish(staged, corpus_dir / target.folder, target)
        except BaseException:
            if staged.exists() or not (staged.parent / JOURNAL).exists():  # not moved into place: undone
                shutil.rmtree(staged.parent, ignore_errors=True)
            raise  # moved into place: the next command finishes it
        # The report beside the version (corpus/reports/vX.Y.Z, outside its folder), before the card that links it.
        report(str(target), config=config)
        finish(corpus_dir, target, card.CardSettings.from_config(config))
        shutil.rmtree(staged.parent, ignore_errors=True)
        summary = {"counts": body["counts"], "most_repeated": body["most_repeated"]}
        return ReleaseResult(str(target), corpus_dir / target.folder, True, body["diff"], summary)


def _choose(latest: Version | None, wanted: Version | None, bump: str | None, delta: Diff, confirm) -> Version:
    if wanted is not None:
        if latest is not None and wanted <= latest:
            raise UsageError(f"version {wanted} is not above the latest release {latest}")
        return wanted
    if latest is None:
        if bump:
            return Version(0, 0, 0).bump(bump)
        suggestion = Version(1, 0, 0)
    else:
        part = delta.bump()
        if part is None:
            raise UsageError(f"nothing to release: the seeds build exactly what v{latest} holds")
        if bump:
            return latest.bump(bump)
        suggestion = latest.bump(part)
    if confirm is None:
        raise UsageError(
            f"suggested version: {suggestion}; pass --version {suggestion} or --bump (non-interactive run)"
        )
    if not confirm(f"Release version {suggestion}?"):
        raise UsageError("release cancelled")
    return suggestion


def _rerelease(config: Config, version: Version, release_date: str | None, workers: int | None) -> ReleaseResult:
    """Releasing an existing version again: a no-op if a rebuild gives the same bytes, else an error.

    A version already covered by `SHA256SUMS` is rebuilt from the current seeds and settings (is
    this still the same release?); one not yet covered (released before corpuspack wrote checksums)
    from the inputs its manifest records, so that it can be adopted whatever changed since."""
    folder = config.corpus_dir / version.folder
    recorded = manifest.read(folder)
    if release_date and release_date != recorded["release_date"]:
        raise UsageError(f"v{version} was released on {recorded['release_date']}; versions are never rewritten")
    covered = version in read_sums(config.corpus_dir)
    problems = rebuild_problems(config, folder, recorded, workers, use_current=covered)
    if problems:
        raise DataError(
            f"v{version} exists and the seeds now build different bytes; release a new version:\n" + "\n".join(problems)
        )
    # Rebuilt byte for byte: the manifest is genuine, so its checksum, entry and card can be (re)written.
    finish(config.corpus_dir, version, card.CardSettings.from_config(config))
    return ReleaseResult(str(version), folder, False)


def diff(
    a: str | None = None,
    b: str | None = None,
    *,
    config: Config | None = None,
    workers: int | None = None,
) -> tuple[str, str, Diff]:
    """Changes from version `a` (default: the latest) to version `b` (default: the current seeds)."""
    config = config or load_config()
    corpus_dir = config.corpus_dir
    old = resolve(corpus_dir, a)
    if b is not None:
        new = resolve(corpus_dir, b)
        new_dir = corpus_dir / new.folder
        return f"v{old}", f"v{new}", _delta(corpus_dir / old.folder, new_dir, manifest.read(new_dir))
    with tempfile.TemporaryDirectory(prefix="corpuspack-diff-") as tmp:
        built = build(out=Path(tmp) / "seeds", config=config, workers=workers)
        return f"v{old}", "seeds", _delta(corpus_dir / old.folder, Path(tmp) / "seeds", built.manifest)


def _delta(old: Path | None, new: Path, new_manifest: dict[str, Any]) -> Diff:
    """The tables' differences and the inputs' (`input_changes`)."""
    delta = diff_versions(old, new, manifest.read(old) if old is not None else None, new_manifest)
    if old is not None:
        delta.inputs_changed = input_changes(manifest.read(old), new_manifest)
    return delta


def check(*, config: Config | None = None, released: bool = False) -> list[str]:
    """The CI gates. The pull-request gate (default): every seed valid (with the cross-file rules
    over the whole seeds folder), every version intact, the card in step with the manifests; seeds
    not yet released are reported, not failed (contributors add seeds, maintainers release later).
    With `released`, the release gate: also nothing left to release.

    Returns the checks passed; raises DataError naming what failed."""
    config = config or load_config()
    passed = []
    report = validate(config=config)
    known = versions(config.corpus_dir)
    errors = report.errors
    if not known and not read_sums(config.corpus_dir) and errors == [no_documents(config)]:
        # A new corpus (what `corpuspack init` makes): nothing to build, nothing to release.
        return ["no seeds and no release yet: nothing to check"]
    if errors:
        shown = "\n".join(f"  {f}" for f in errors[:20])
        raise DataError(f"{len(errors)} problems in the seeds:\n{shown}")
    passed.append(f"seeds valid ({report.summary['documents']} documents)")
    if not known and not read_sums(config.corpus_dir):
        if released:
            raise DataError(f"{config.corpus_dir}: no release yet: run corpuspack release")
        return [*passed, "no release yet (corpuspack release publishes the first)"]
    checked = verify(config=config)
    if not checked.ok:
        raise DataError("released versions are damaged:\n" + "\n".join(f"  {p}" for p in checked.problems))
    passed.append(f"versions intact ({', '.join(checked.checked)})")
    latest = known[-1]
    recorded = manifest.read(config.corpus_dir / latest.folder)
    changes = input_changes(recorded, current_inputs(config))
    if changes and released:
        shown = "\n".join(f"  {c}" for c in changes[:20])
        raise DataError(
            f"the seeds differ from the latest release v{latest}; release a new version (corpuspack release):\n{shown}"
        )
    if changes:
        more = f", and {len(changes) - 5} more" if len(changes) > 5 else ""
        passed.append(f"{len(changes)} changes since v{latest} await a release: {', '.join(changes[:5])}{more}")
    else:
        passed.append(f"seeds match v{latest}")
    settings = card.CardSettings.from_config(config)
    expected = card.render([manifest.read(config.corpus_dir / v.folder) for v in known], config.corpus_dir, settings)
    current = config.corpus_dir / card.NAME
    if _read_card(current) != expected:
        raise DataError(
            f"{current} is not the card the manifests and {settings.notes_path} give; run `corpuspack card` to"
            f" regenerate it (write hand-written text in {settings.notes_path}, which the card keeps)"
        )
    passed.append("dataset card up to date")
    return passed


def write_card(*, config: Config | None = None) -> tuple[Path, bool]:
    """Write the corpus folder's card (`README.md`) from the manifests and the hand-written part;
    returns its path and whether it changed. Taken under the release lock, so never mid-release."""
    config = config or load_config()
    corpus_dir = config.corpus_dir
    if not versions(corpus_dir):
        raise UsageError(f"{corpus_dir}: no released version yet (corpuspack release publishes the first)")
    with release_lock(corpus_dir):
        known = versions(corpus_dir)
        damaged = version_problems(corpus_dir, known, damage_only=True)
        if damaged:  # a manifest that lies would put its paths and figures into the published card
            raise DataError("released versions are damaged; the card was not written:\n" + "\n".join(damaged))
        path = corpus_dir / card.NAME
        before = _read_card(path)
        manifests = [manifest.read(corpus_dir / v.folder) for v in known]
        text = card.write(corpus_dir, manifests, card.CardSettings.from_config(config))
        return path, text != before


def _read_card(path: Path) -> str | None:
    """The card's text (bounded: a card is a few kilobytes per version), None when absent or unreadable."""
    if not path.is_file():
        return None
    with path.open("rb") as f:
        data = f.read(64 << 20)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _report_if_missing(config: Config, version: Version) -> None:
    """The report of a version whose release was killed before it was written."""
    if not (report_folder(config.corpus_dir, str(version)) / PAGE).is_file():
        report(str(version), config=config)


def _check_after(release_date: str, latest: Version, recorded: dict[str, Any]) -> None:
    """A release dated before the latest one is refused: versions and dates go up together (the
    changelog and the card list versions newest first)."""
    before = recorded.get("release_date")
    if isinstance(before, str) and release_date < before:
        raise UsageError(f"release date {release_date} is before v{latest}'s ({before}); give {before} or later")


def _check_date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise UsageError(f"not a date: {text!r} (expected YYYY-MM-DD)") from None
