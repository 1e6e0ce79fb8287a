"""`release`, `verify`, `diff` and `check`: versions in corpus/, immutable, atomic, reproducible."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from .builder import build, build_version
from .config import Config, DedupConfig, load_config
from .containment import Escape, is_within, join_inside
from .diffing import Diff, diff_versions, input_changes
from .errors import ConfigError, DataError, UsageError
from .publish import card, croissant, manifest
from .publish.integrity import finish, settle_locked, version_problems
from .publish.layout import (
    JOURNAL,
    Version,
    new_staging,
    publish,
    read_sums,
    release_lock,
    resolve,
    versions,
)
from .sources import discover
from .validation import validate


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
    show_progress: bool = False,
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
        settle_locked(corpus_dir)
        known = versions(corpus_dir)
        latest = known[-1] if known else None
        wanted = Version.parse(version) if version else None
        rebuilding = wanted if wanted in known else None
        damaged = version_problems(corpus_dir, known, damage_only=True)
        if damaged:
            raise DataError("released versions are damaged; nothing was released:\n" + "\n".join(damaged))
        if rebuilding is not None:
            return _rerelease(config, rebuilding, release_date, workers)
        staged = new_staging(corpus_dir)
        try:
            result = build_version(config.replace(workers=workers), staged, show_progress=show_progress)
            parent_dir = corpus_dir / latest.folder if latest else None
            delta = _delta(parent_dir, staged, result.manifest)
            target = _choose(latest, wanted, bump, delta, confirm)
            body = result.manifest
            body.update(
                version=str(target),
                release_date=release_date or dt.datetime.now(dt.UTC).date().isoformat(),
                parent=str(latest) if latest else None,
                diff=delta.summary() if latest else None,
            )
            croissant.write(staged, body)
            manifest.write(staged, body)
            publish(staged, corpus_dir / target.folder, target)
        except BaseException:
            if staged.exists() or not (staged.parent / JOURNAL).exists():  # not moved into place: undone
                shutil.rmtree(staged.parent, ignore_errors=True)
            raise  # moved into place: the next command finishes it
        finish(corpus_dir, target)
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
    problems = _rebuild_problems(config, folder, recorded, workers, use_current=covered)
    if problems:
        raise DataError(
            f"v{version} exists and the seeds now build different bytes; release a new version:\n" + "\n".join(problems)
        )
    # Rebuilt byte for byte: the manifest is genuine, so its checksum, entry and card can be (re)written.
    finish(config.corpus_dir, version)
    return ReleaseResult(str(version), folder, False)


@dataclass
class VerifyReport:
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(
    names: Sequence[str] | None = None,
    *,
    rebuild: bool = False,
    config: Config | None = None,
    corpus: Path | str | None = None,
    workers: int | None = None,
) -> VerifyReport:
    """Checksums, row counts and schemas against each manifest; with `rebuild`, rebuild and compare bytes."""
    config = (config or load_config()).replace(corpus=Path(corpus) if corpus else None)
    corpus_dir = config.corpus_dir
    known = versions(corpus_dir)
    targets = [resolve(corpus_dir, n) for n in names] if names else known
    if not targets and not read_sums(corpus_dir):
        raise UsageError(f"{corpus_dir}: no released version to verify")
    report = VerifyReport()
    structural = version_problems(corpus_dir, known)
    report.problems += [p for p in structural if not names or any(p.startswith(f"v{v}:") for v in targets)]
    for version in targets:
        folder = corpus_dir / version.folder
        report.checked.append(str(version))
        try:
            recorded = manifest.read(folder)
        except DataError:
            continue  # reported above
        report.problems += [f"v{version}: {p}" for p in _file_problems(folder, recorded)]
        if rebuild:
            report.problems += [f"v{version}: {p}" for p in _rebuild_problems(config, folder, recorded, workers)]
    return report


def _file_problems(folder: Path, recorded: dict[str, Any]) -> list[str]:
    problems = []
    listed = {o["path"]: o for o in recorded["outputs"]}
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and p.name != manifest.NAME}
    problems += [f"{p}: missing" for p in sorted(set(listed) - present)]
    problems += [f"{p}: not in the manifest" for p in sorted(present - set(listed))]
    for rel in sorted(set(listed) & present):
        entry, path = listed[rel], folder / rel
        if path.stat().st_size != entry["size"] or manifest.sha256_file(path) != entry["sha256"]:
            problems.append(f"{rel}: checksum differs from the manifest")
        elif rel.endswith(".parquet"):
            meta = pq.ParquetFile(path)
            if meta.metadata.num_rows != entry.get("rows"):
                problems.append(f"{rel}: {meta.metadata.num_rows} rows, manifest says {entry.get('rows')}")
            table = rel.split("/", 1)[0]
            if [f.name for f in meta.schema_arrow] != recorded["schema_fields"].get(table):
                problems.append(f"{rel}: columns differ from the manifest")
    return problems


def _rebuild_problems(
    config: Config, folder: Path, recorded: dict[str, Any], workers: int | None, use_current: bool = False
) -> list[str]:
    """Rebuild a version from the inputs its manifest records and compare every file's bytes."""
    with tempfile.TemporaryDirectory(prefix="corpuspack-rebuild-") as tmp:
        root = Path(tmp) / "project"
        if use_current:
            root, rebuild_config = config.root, config
        else:
            _materialise(config, root, recorded)
            rebuild_config = config_from_manifest(root, recorded)
        out = Path(tmp) / "out"
        result = build(out=out, config=rebuild_config, workers=workers)
        body = result.manifest
        body.update(
            version=recorded["version"],
            release_date=recorded["release_date"],
            parent=recorded["parent"],
            diff=recorded["diff"],
        )
        croissant.write(out, body)
        manifest.write(out, body)
        mine = {o["path"]: o["sha256"] for o in manifest.read(out)["outputs"]}
        theirs = {o["path"]: o["sha256"] for o in recorded["outputs"]}
        problems = [f"{p}: rebuild differs" for p in sorted(set(mine) | set(theirs)) if mine.get(p) != theirs.get(p)]
        if not problems and (out / manifest.NAME).read_bytes() != (folder / manifest.NAME).read_bytes():
            problems.append("manifest.json: rebuild differs")
        return problems


def config_from_manifest(root: Path, recorded: dict[str, Any]) -> Config:
    """The settings a version was built with, its folders inside `root` whatever the manifest says."""
    c = recorded["config"]
    try:
        dedup = {"rules": 1, **{k: v for k, v in c["dedup"].items() if k != "rows"}}  # no `rules`: the first
        dedup["boilerplate_patterns"] = tuple(dedup["boilerplate_patterns"])
        seeds = join_inside(root, c["seeds"]).relative_to(root)
        schema = join_inside(root, recorded["inputs"]["schema"]["path"]).relative_to(root)
        return _config_of(root, c, seeds, schema, DedupConfig(**dedup))
    except (KeyError, TypeError, AttributeError, ConfigError) as exc:
        raise DataError(f"manifest of v{recorded['version']}: /config: {exc}") from None


def _config_of(root: Path, c: dict[str, Any], seeds: Path, schema: Path, dedup: DedupConfig) -> Config:
    return Config(
        root=root,
        name=c["name"],
        seeds=seeds,
        schema=schema,
        language=c["language"],
        license=c["license"],
        max_file_bytes=c["max_file_bytes"],
        strict=c["strict"],
        shard_bytes=c["shard_bytes"],
        dedup=dedup,
    )


def _materialise(config: Config, root: Path, recorded: dict[str, Any]) -> None:
    """Lay out the recorded inputs under `root` (a fresh folder: nothing outside it is ever written,
    whatever path a manifest names): from the files as they are now when unchanged, else from git."""
    schema = recorded["inputs"]["schema"]
    for facts in [*recorded["inputs"]["seeds"], schema]:
        target = join_inside(root, facts["path"])
        target.parent.mkdir(parents=True, exist_ok=True)
        if facts is schema:  # the project's schema, or the packaged default a project without one used
            candidates = [_current(config.root, facts["path"]), config.schema_path]
        else:
            candidates = [_current(config.seeds_base, facts["path"])]
        same = (c for c in candidates if c is not None and c.is_file() and manifest.sha256_file(c) == facts["sha256"])
        current = next(same, None)
        if current is not None:
            shutil.copyfile(current, target)
            continue
        blob = _git_blob(config.root, facts["git_blob"])
        if blob is None or hashlib.sha256(blob).hexdigest() != facts["sha256"]:
            raise DataError(
                f"{facts['path']}: changed since the release and its recorded version is not in git history"
            )
        target.write_bytes(blob)


def _current(base: Path, rel: str) -> Path | None:
    try:
        return join_inside(base, rel)
    except Escape:
        return None


def _git_blob(repo: Path, blob: str) -> bytes | None:
    try:
        done = subprocess.run(["git", "cat-file", "blob", blob], cwd=repo, capture_output=True, check=False)
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None


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
    delta = diff_versions(old, new)
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
    if not report.ok:
        shown = "\n".join(f"  {f}" for f in report.errors[:20])
        raise DataError(f"{len(report.errors)} problems in the seeds:\n{shown}")
    passed.append(f"seeds valid ({report.summary['documents']} documents)")
    known = versions(config.corpus_dir)
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
    changes = input_changes(recorded, _current_inputs(config))
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
    expected = card.render([manifest.read(config.corpus_dir / v.folder) for v in known], config.corpus_dir)
    current = config.corpus_dir / "README.md"
    if not current.is_file() or current.read_text(encoding="utf-8") != expected:
        raise DataError(f"{current} is not the card the manifests give; run corpuspack release to regenerate it")
    passed.append("dataset card up to date")
    return passed


def _current_inputs(config: Config) -> dict[str, Any]:
    """The inputs and settings a build would record now, without building (each seed is hashed)."""
    from .pipeline.chunk import path_facts

    seeds, _ = discover([config.seeds_dir], config.seeds_base)
    facts = [path_facts(s.rel, s.path) for s in seeds if s.kind is not None]
    path = config.schema_path
    rel = path.resolve().relative_to(config.root.resolve()).as_posix() if is_within(path, config.root) else path.name
    schema = {"path": rel, "sha256": manifest.sha256_file(path)}
    return {"inputs": {"seeds": facts, "schema": schema}, "config": manifest.settings(config)}


def _check_date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise UsageError(f"not a date: {text!r} (expected YYYY-MM-DD)") from None
