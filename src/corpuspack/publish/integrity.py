"""Whether the corpus folder is whole: every version folder with a sound manifest of its own
version, covered by `SHA256SUMS`, with its changelog entry; and how a release is completed, or
settled after being killed."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from ..errors import DataError
from ..printable import printable_path
from . import card, changelog, figures, manifest
from .card_fields import card_problem
from .layout import SUM_LINE, SUMS, Version, interrupted, read_sums, recover, versions, write_sums

# Temporary siblings `write_atomic` makes (mkstemp: ".<name>." and 8 characters).
_ATOMIC_TEMP = re.compile(rf"^\.(?:{re.escape(SUMS)}|CHANGELOG\.md|README\.md)\.[a-z0-9_]{{8}}$")


def finish(corpus_dir: Path, version: Version, card_settings: card.CardSettings) -> None:
    """What completes a release once its folder is in place; each step may run again safely."""
    folder = corpus_dir / version.folder
    body = manifest.read(folder)
    sums = read_sums(corpus_dir)
    sums[version] = manifest.sha256_file(folder / manifest.NAME)
    write_sums(corpus_dir, sums)
    changelog.add_release(corpus_dir / changelog.NAME, body, body["diff"])
    card.write(corpus_dir, [manifest.read(corpus_dir / v.folder) for v in versions(corpus_dir)], card_settings)


def settle_locked(
    corpus_dir: Path, card_settings: card.CardSettings, report: Callable[[Version], None] | None = None
) -> None:
    """Finish or undo a release that was killed, and drop the temporary files it was writing
    (`release` calls it with the lock held; `verify` and `check` only report, never write). A
    finished version also gets its report (`report`), which a release writes before the card."""

    def finishing(version: Version) -> None:
        if report is not None:
            report(version)
        finish(corpus_dir, version, card_settings)

    recover(corpus_dir, finishing)
    figures.remove_leftovers(corpus_dir)
    for path in corpus_dir.iterdir():
        if _ATOMIC_TEMP.match(path.name) and path.is_file() and not path.is_symlink():
            path.unlink()


def version_problems(corpus_dir: Path, known: list[Version], damage_only: bool = False) -> list[str]:
    """What is wrong with the corpus folder's versions, one line each. With `damage_only` (what
    blocks a release), a version merely not yet covered by a checksum or changelog entry (one
    released before corpuspack wrote them) is left out: `verify` and `check` still report it, and
    `release --version` of it proves it genuine by a rebuild and writes them."""
    sums = read_sums(corpus_dir)
    problems = [f"v{v}: listed in {SUMS} but its folder is missing" for v in sorted(set(sums) - set(known))]
    problems += [f"{SUMS}:{n}: not a line `sha256  vX.Y.Z/manifest.json`" for n in _malformed_lines(corpus_dir)]
    problems += [
        f"v{v}: its release was interrupted after the version was moved into place; "
        "`corpuspack release` finishes it (checksum, changelog entry, card)"
        for v in interrupted(corpus_dir)
    ]
    for version in known:
        folder = corpus_dir / version.folder
        if folder.is_symlink():  # its files would be whatever it leads to, outside the corpus
            problems.append(f"v{version}: a symlink; a version folder must be the folder itself")
            continue
        try:
            recorded = manifest.read(folder)
        except DataError as exc:
            problems.append(f"v{version}: {exc}")
            continue
        problem = card_problem(recorded)  # the card shows these: found before a release moves a version in
        if problem:
            problems.append(f"v{version}: {printable_path(folder / manifest.NAME)}: {problem}")
        if recorded["version"] != str(version):
            problems.append(f"v{version}: its manifest is of version {recorded['version']!r} (folder renamed?)")
        if version in sums and manifest.sha256_file(folder / manifest.NAME) != sums[version]:
            problems.append(f"v{version}: manifest.json differs from its checksum in {SUMS} (edited after release?)")
        if damage_only:
            continue
        if not changelog.has_entry(corpus_dir / changelog.NAME, str(version)):
            problems.append(
                f"v{version}: no entry in {corpus_dir / changelog.NAME}; if the version is genuine, "
                f"`corpuspack release --version {version}` rebuilds it and writes the entry"
            )
        if version not in sums:
            problems.append(
                f"v{version}: manifest not covered by {corpus_dir / SUMS}; if it is genuine, "
                f"`corpuspack release --version {version}` rebuilds it and records its checksum"
            )
    return problems


def _malformed_lines(corpus_dir: Path) -> list[int]:
    path = corpus_dir / SUMS
    if not path.is_file():
        return []
    with path.open("rb") as f:
        text = f.read(1 << 24).decode("utf-8", "replace")
    return [n for n, line in enumerate(text.splitlines(), 1) if not SUM_LINE.fullmatch(line)]
