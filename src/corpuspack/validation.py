"""`validate`: read every seed, check it against the schema and across documents, report everything."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from .config import Config, load_config
from .errors import UsageError
from .ids import ID_SCHEMA, id_findings, id_table
from .model import Document, Finding
from .progress import Advance, Progress, quiet
from .schema import Schema, load_schema
from .signals import language_findings
from .sources import SeedFile, discover, read_seed
from .sources.bounded import MAX_FINDINGS
from .sources.discover import TEXT_SUFFIXES
from .sources.idscan import scan_ids
from .sources.sidecar import SUFFIX as SIDECAR_SUFFIX
from .storage import is_url, local_path, mirror


def finding_order(f: Finding) -> tuple:
    return (f.path, f.line or 0, f.pointer, f.message)


@dataclass
class ValidationReport:
    """Everything validate found: the files read, how many documents, and the findings in file order."""

    files: list[str]
    documents: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    @property
    def summary(self) -> dict[str, int]:
        return {
            "files": len(self.files),
            "documents": self.documents,
            "errors": len(self.errors),
            "warnings": len(self.findings) - len(self.errors),
        }


@dataclass
class FileRead:
    """One seed file read: the documents that pass the schema, those that do not, every finding, and
    the file's bytes when it was read whole."""

    seed: SeedFile
    good: list[Document]
    bad: list[Document]
    findings: list[Finding]
    raw: bytes | None


def read_valid(
    seeds: Sequence[SeedFile], config: Config, schema: Schema, advance: Advance | None = None, forget: bool = False
) -> Iterator[FileRead]:
    """Each file read and its documents checked (`forget`: see `read_seed`); `advance(1)` after each."""
    defaults = config.defaults()
    for seed in seeds:
        result = read_seed(seed, defaults, config.max_file_bytes, config.strict, forget)
        findings = list(result.findings)
        good, bad = [], []
        hidden = 0
        for doc in result.documents:
            if len(findings) < MAX_FINDINGS:
                problems = schema.findings(doc)
                findings.extend(problems)
                valid = not problems
            else:  # past the cap: decided, not explained, so a file of a million bad records stays small
                valid = schema.is_valid(doc)
                hidden += not valid
            (good if valid else bad).append(doc)
        if hidden:
            message = f"... and {hidden} more invalid records in this file (run on a smaller file to see them)"
            findings.append(Finding(seed.rel, None, "", message, code="more"))
        if advance is not None:
            advance(1)
        yield FileRead(seed, good, bad, findings, result.raw)


def validate(
    paths: Sequence[Path | str] | None = None,
    *,
    config: Config | None = None,
    strict: bool | None = None,
    progress: Progress = quiet,
) -> ValidationReport:
    """Validate seed files or folders (default: the configured seeds folder); never stops at the first problem.

    Files given inside the seeds folder are checked as members of it: their ids against the ids of
    every other seed there (read for their ids only, so a hook given the changed files stays cheap).
    """
    config = config or load_config()
    if strict is not None:
        config = config.replace(strict=strict)
    schema = load_schema(config.schema_path)
    if not paths:
        require_seeds(config)
    targets = list(paths) if paths else [config.seeds if is_url(config.seeds) else config.seeds_dir]
    with tempfile.TemporaryDirectory(prefix="corpuspack-validate-") as mirrors:
        seeds, findings = discover_targets(targets, config, Path(mirrors))
        seeds = with_described(seeds) if paths else seeds
        ids: list[pa.Table] = []  # not the documents: their text would hold the whole corpus in memory
        with progress("validate", len(seeds), "file") as advance:
            for file in read_valid(seeds, config, schema, advance):
                findings.extend(file.findings)
                if file.good:  # the text checked against its declared metadata
                    findings.extend(language_findings(file.good, config.strict))
                if file.good or file.bad:
                    ids.append(id_table(file.good + file.bad))
    table = pa.concat_tables(ids) if ids else ID_SCHEMA.empty_table()
    others = _sibling_ids(seeds, config) if paths else None
    findings.extend(id_findings(table, others))
    if not paths and table.num_rows == 0:  # what build would refuse: the whole seeds folder, no document in it
        findings.append(no_documents(config))
    return ValidationReport([s.rel for s in seeds], table.num_rows, sorted(findings, key=finding_order))


def with_described(seeds: Sequence[SeedFile]) -> list[SeedFile]:
    """`seeds`, and for a sidecar among them the seed it describes (its fields are that document's:
    a hook given a changed sidecar alone must validate the document it changes)."""
    named = {s.rel for s in seeds}
    out = list(seeds)
    for side in seeds:
        if side.kind != "sidecar":
            continue
        folder = side.rel[: len(side.rel) - len(os.path.basename(side.file))]
        base = os.path.basename(side.file)[: -len(SIDECAR_SUFFIX)]
        for suffix in TEXT_SUFFIXES:
            rel = folder + base + suffix
            path = os.path.join(os.path.dirname(side.file), base + suffix)
            if rel not in named and os.path.isfile(path):
                out.append(SeedFile(path, rel))
                named.add(rel)
    return sorted(out, key=lambda s: s.rel) if len(out) > len(seeds) else out


def _sibling_ids(seeds: Sequence[SeedFile], config: Config) -> pa.Table | None:
    """The ids of the seeds folder's other files, when any of `seeds` lies in it (else None)."""
    if is_url(config.seeds) or not config.seeds_dir.is_dir() or not seeds:
        return None
    top = os.path.realpath(config.seeds_dir)
    given = {os.path.realpath(s.file) for s in seeds}
    if not any(g.startswith(top.rstrip(os.sep) + os.sep) for g in given):
        return None
    every, _ = discover([config.seeds_dir], config.root)  # its findings are the full validation's
    real_folders: dict[str, str] = {}  # one realpath per folder, not per file

    def real(file: str) -> str:
        folder, name = os.path.split(file)
        if folder not in real_folders:
            real_folders[folder] = os.path.realpath(folder)
        return os.path.join(real_folders[folder], name)

    ids, paths, lines = [], [], []
    for seed in every:
        if real(seed.file) in given:
            continue
        for doc_id, line in scan_ids(seed, config.max_file_bytes):
            ids.append(doc_id)
            paths.append(seed.rel)
            lines.append(line)
    arrays = [pa.array(c, f.type) for c, f in zip((ids, paths, lines), ID_SCHEMA, strict=True)]
    return pa.Table.from_arrays(arrays, schema=ID_SCHEMA)


def no_documents(config: Config) -> Finding:
    """The finding for a seeds folder holding no document at all (only unknown types, or nothing)."""
    where = str(config.seeds) if is_url(config.seeds) else _rel(config.seeds_dir, config.root)
    return Finding(where, None, "", "no seed documents in the seeds folder: nothing to build", code="empty")


def _rel(path: Path, root: Path) -> str:
    try:
        return path.absolute().relative_to(root.absolute()).as_posix()
    except ValueError:
        return path.as_posix()


def require_seeds(config: Config) -> None:
    """The configured seeds folder exists (a missing one is a usage error, not bad data)."""
    if not is_url(config.seeds) and not config.seeds_dir.is_dir():
        raise UsageError(f"{config.seeds_dir}: no seeds folder (set `seeds` in [tool.corpuspack] or pass --seeds)")


def discover_targets(
    targets: Sequence[Path | str], config: Config, mirrors: Path
) -> tuple[list[SeedFile], list[Finding]]:
    """Seed files under local paths (named relative to the project) and URLs (mirrored into
    `mirrors`, named by their URL)."""
    local = [local_path(t) for t in targets if not is_url(t)]
    listed, findings = discover(local, config.root) if local else ([], [])
    seeds = list(listed)  # URLs' seeds are added to it
    for i, url in enumerate(str(t) for t in targets if is_url(t)):
        folder = mirror(url, mirrors / str(i))
        prefix = url.rstrip("/").rsplit("/", 1)[0]
        found, problems = discover([folder], folder.parent)
        seeds.extend(SeedFile(seed.file, f"{prefix}/{seed.rel}") for seed in found)
        findings.extend(dataclasses.replace(f, path=f"{prefix}/{f.path}") for f in problems)
    return seeds, findings
