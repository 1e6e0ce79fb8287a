"""Finding seed files: stable sorted order, no symlink escapes, nothing skipped without a word."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from ..model import Finding
from .sidecar import SUFFIX as SIDECAR_SUFFIX
from .sidecar import sidecar_path

TEXT_SUFFIXES = (".txt", ".md", ".markdown")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".jsonl.zst", ".ndjson.gz", ".ndjson.zst")
JSON_SUFFIXES = (".json",)


@dataclass(frozen=True, slots=True)
class SeedFile:
    """A file to read: where it is on disk and the path findings and manifests use; from discovery,
    its size and a stamp (size and mtime of the file and of its sidecar) that changes when they do.

    Plain strings in slots: a build holds one per seed until they are read (a million at a time).
    """

    file: str
    rel: str
    size: int = -1
    stamp: str = ""

    @property
    def path(self) -> Path:
        return Path(self.file)

    @property
    def kind(self) -> str | None:
        name = os.path.basename(self.file).lower()
        if name.endswith(SIDECAR_SUFFIX):
            return "sidecar"
        for kind, suffixes in (("jsonl", JSONL_SUFFIXES), ("json", JSON_SUFFIXES), ("text", TEXT_SUFFIXES)):
            if name.endswith(suffixes):
                return kind
        return None


def discover(paths: list[Path], base: Path) -> tuple[list[SeedFile], list[Finding]]:
    """Every seed file under `paths` (files or folders), sorted by relative path.

    Names starting with a dot (.gitkeep, .DS_Store) are not seeds. A symlink is followed only when
    its target stays inside the folder being read; otherwise it is reported.
    """
    files: dict[str, SeedFile] = {}
    findings: list[Finding] = []
    for top in paths:
        top_real = top.resolve()
        if not top.exists():
            findings.append(Finding(_rel(top, base), None, "", "no such file or folder", code="missing"))
        elif top.is_file():
            files[_rel(top, base)] = SeedFile(str(top), _rel(top, base))
        else:
            _walk(top, top_real, base, files, findings)
    return [_stamped(files[k], files) for k in sorted(files)], findings


def _stamped(seed: SeedFile, files: dict[str, SeedFile]) -> SeedFile:
    """`seed` with its size and stamp: one stat per file, here, rather than one per use."""
    sidecar = None
    if seed.kind == "text":
        name = os.path.basename(sidecar_path(seed.file))
        listed = files.get(seed.rel[: len(seed.rel) - len(os.path.basename(seed.file))] + name)
        sidecar = listed.file if listed is not None else None
    size, text = stamp(seed.file, sidecar)
    return SeedFile(seed.file, seed.rel, size, text)


def stamp(path: Path | str, sidecar: Path | str | None) -> tuple[int, str]:
    """Size of a seed file, and the size and mtime of it and of its sidecar (what changes when
    either does); (-1, "") when the file cannot be read."""
    parts, size = [], -1
    for i, p in enumerate((path, sidecar) if sidecar is not None else (path,)):
        with contextlib.suppress(OSError):
            st = os.stat(p)
            size = st.st_size if i == 0 else size
            parts.append(f"{st.st_size}:{st.st_mtime_ns}")
    return size, "+".join(parts)


def _walk(top: Path, top_real: Path, base: Path, files: dict[str, SeedFile], findings: list[Finding]) -> None:
    seen: set[str] = set()
    prefix = _rel(top, base)
    for folder, dirnames, filenames in os.walk(top, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            dirnames[:] = []
            continue
        seen.add(real)
        here = Path(folder)
        rel_here = prefix + folder[len(str(top)) :].replace(os.sep, "/")
        keep = []
        for name in sorted(dirnames):
            if name.startswith(".") or _escapes(here / name, top_real, base, findings):
                continue
            keep.append(name)
        dirnames[:] = keep
        for name in filenames:
            if name.startswith("."):
                continue
            path = os.path.join(folder, name)
            if os.path.islink(path) and _escapes(Path(path), top_real, base, findings):
                continue
            rel = f"{rel_here}/{name}" if rel_here else name
            files[rel] = SeedFile(path, rel)


def _escapes(path: Path, top_real: Path, base: Path, findings: list[Finding]) -> bool:
    if not path.is_symlink():
        return False
    target = path.resolve()
    if target == top_real or top_real in target.parents:
        if target.exists():
            return False
        findings.append(Finding(_rel(path, base), None, "", "broken symlink", code="symlink"))
        return True
    findings.append(
        Finding(_rel(path, base), None, "", f"symlink leads outside the seeds folder (to {target})", code="symlink")
    )
    return True


def _rel(path: Path, base: Path) -> str:
    try:
        rel = path.absolute().relative_to(base.absolute()).as_posix()
    except ValueError:
        rel = path.as_posix()
    return "" if rel == "." else rel
