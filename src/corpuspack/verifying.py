"""`verify`: released versions checked against their manifests, and rebuilt byte for byte from the
inputs each manifest records (laid out only inside a fresh temporary folder)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from . import formats
from .builder import build
from .config import FILTERS, PUBLICATION, Config, DedupConfig, load_config
from .containment import Escape, join_inside
from .errors import ConfigError, DataError, UsageError
from .printable import printable
from .publish import manifest
from .publish.integrity import version_problems
from .publish.layout import read_sums, resolve, versions
from .stages.finish import Stamp


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
            report.problems += [f"v{version}: {p}" for p in rebuild_problems(config, folder, recorded, workers)]
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


def rebuild_problems(
    config: Config, folder: Path, recorded: dict[str, Any], workers: int | None, use_current: bool = False
) -> list[str]:
    """Rebuild a version from the inputs its manifest records and compare every file's bytes.

    The rebuild writes the output format the manifest records, also from the current settings
    (`use_current`). When files differ and the libraries that write them are not the versions the
    manifest records, the first problem says so."""
    with tempfile.TemporaryDirectory(prefix="corpuspack-rebuild-") as tmp:
        root = Path(tmp) / "project"
        if use_current:
            root, rebuild_config = config.root, config.replace(output_format=formats.of_manifest(recorded))
        else:
            _materialise(config, root, recorded)
            rebuild_config = config_from_manifest(root, recorded)
        out = Path(tmp) / "out"
        same = Stamp(recorded["version"], recorded["release_date"], recorded["parent"], recorded["diff"])
        body = build(out=out, config=rebuild_config, workers=workers, release=lambda folder, body: same).manifest
        mine = {o["path"]: o["sha256"] for o in manifest.read(out)["outputs"]}
        theirs = {o["path"]: o["sha256"] for o in recorded["outputs"]}
        problems = [f"{p}: rebuild differs" for p in sorted(set(mine) | set(theirs)) if mine.get(p) != theirs.get(p)]
        if not problems and (out / manifest.NAME).read_bytes() != (folder / manifest.NAME).read_bytes():
            problems.append("manifest.json: rebuild differs")
        return software_differences(recorded, body) + problems if problems else []


def config_from_manifest(root: Path, recorded: dict[str, Any]) -> Config:
    """The settings a version was built with, its folders inside `root` whatever the manifest says."""
    c = recorded["config"]
    try:
        dedup = {"rules": 1, **{k: v for k, v in c["dedup"].items() if k != "rows"}}  # no `rules`: the first
        dedup["boilerplate_patterns"] = tuple(dedup["boilerplate_patterns"])
        seeds = join_inside(root, c["seeds"]).relative_to(root)
        schema = join_inside(root, recorded["inputs"]["schema"]["path"]).relative_to(root)
        return _config_of(root, c, seeds, schema, DedupConfig(**dedup), formats.of_manifest(recorded))
    except (KeyError, TypeError, AttributeError, ConfigError) as exc:
        raise DataError(f"manifest of v{recorded['version']}: /config: {exc}") from None


def _config_of(
    root: Path, c: dict[str, Any], seeds: Path, schema: Path, dedup: DedupConfig, output_format: int
) -> Config:
    return Config(
        **{k: c.get(k) for k in PUBLICATION},  # none in the manifests of format 1
        **{k: tuple(v) if isinstance(v, list) else v for k, v in c.items() if k in FILTERS},  # format 3
        output_format=output_format,
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


def software_differences(recorded: dict[str, Any], rebuilt: dict[str, Any]) -> list[str]:
    """A line per library whose version differs from the one the manifest records (pyarrow first:
    Parquet and Arrow bytes depend on it; the manifest records all of them)."""
    then, now = recorded.get("software"), rebuilt["software"]
    if not isinstance(then, dict):
        return []
    lines = []
    for name in ("pyarrow", "datasets", "corpuspack"):
        if then.get(name) != now[name]:
            lines.append(
                f"built with {name} {printable(str(then.get(name)), 40)}, rebuilt with {name} {now[name]}: "
                f"bytes may differ for that alone (install {name}=={printable(str(then.get(name)), 40)} to compare)"
            )
    return lines


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
