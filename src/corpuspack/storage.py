"""Seeds and outputs on fsspec URLs (`s3://`, `gs://`, `memory://` ...): mirrored in, uploaded out.

The pipeline itself works on local (or shared, on a cluster) folders: memory-mapped spills and
atomic renames need a file system. A URL of seeds is mirrored into the work folder first (files
whose bytes did not change keep their mtime, so an interrupted build still resumes), and a
version folder is built locally and then uploaded under a temporary name and moved into place.
"""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

from .containment import Escape, join_inside
from .errors import DataError, UsageError

PathOrURL = Path | str


def is_url(location: PathOrURL | None) -> bool:
    """Whether `location` names something fsspec reaches (a local path or `file://` URL does not count)."""
    return isinstance(location, str) and "://" in location and not location.startswith("file://")


def local_path(location: PathOrURL) -> Path:
    """A local path or `file://` URL as a Path (a `file://` URL is a local path)."""
    if isinstance(location, str) and location.startswith("file://"):
        return Path(location.removeprefix("file://"))
    return Path(location)


def _filesystem(url: str):
    try:
        import fsspec
    except ImportError as exc:  # pragma: no cover - datasets depends on fsspec
        raise UsageError(f"{url}: reading URLs needs fsspec") from exc
    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise UsageError(f"{url}: {exc} (install the fsspec package for this protocol, e.g. s3fs or gcsfs)") from exc


def mirror(url: str, folder: Path) -> Path:
    """Copy every file under `url` into `folder`/<last part of the URL>; return that folder."""
    fs, root = _filesystem(url)
    root = root.rstrip("/")
    if not fs.exists(root):
        raise UsageError(f"{url}: no such file or folder")
    name = root.rsplit("/", 1)[-1]
    target = folder / (name if name not in ("", ".", "..") else "seeds")
    target.mkdir(parents=True, exist_ok=True)
    wanted = set()
    for path in sorted(fs.find(root)) if fs.isdir(root) else [root]:
        rel = path[len(root) :].lstrip("/") or path.rsplit("/", 1)[-1]
        try:
            dest = join_inside(target, rel)  # a store key may hold `..` (S3 and GCS allow it)
        except Escape:
            raise DataError(f"{url}: the key {path!r} leads outside the folder being mirrored") from None
        wanted.add(rel)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".download")
        with fs.open(path, "rb") as source, tmp.open("wb") as sink:
            shutil.copyfileobj(source, sink, 1 << 20)
        if dest.is_file() and filecmp.cmp(tmp, dest, shallow=False):
            tmp.unlink()
        else:
            tmp.replace(dest)
    for stale in [p for p in target.rglob("*") if p.is_file()]:
        if stale.relative_to(target).as_posix() not in wanted:
            stale.unlink()
    return target


def check_empty(url: str) -> None:
    """Refuse to write a version to a URL that already holds files."""
    fs, root = _filesystem(url)
    if fs.exists(root) and (not fs.isdir(root) or fs.ls(root)):
        raise UsageError(f"{url}: output folder is not empty")


def upload(folder: Path, url: str) -> None:
    """Put the files of `folder` at `url`: under a temporary name first, then moved into place."""
    fs, root = _filesystem(url)
    root = root.rstrip("/")
    parent, _, name = root.rpartition("/")
    partial = f"{parent}/.{name}.partial"
    if fs.exists(partial):
        fs.rm(partial, recursive=True)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        with path.open("rb") as source, fs.open(f"{partial}/{rel}", "wb") as sink:
            shutil.copyfileobj(source, sink, 1 << 20)
    fs.mv(partial, root, recursive=True)
