"""The work folder: corpuspack's own, marked when made, and only ever cleared of files it wrote.

A folder a user names with `--work` is taken only when it is new, empty, or already marked as
corpuspack's; a folder holding anything else is refused, so `--work .` or `--work ~` can never
cost a file. Clearing removes names corpuspack writes (chunk spills, markers, its own
sub-folders) and nothing else; symlinks are never followed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no advisory locks here; builds must not share a work folder
    fcntl = None  # type: ignore[assignment]

from ..errors import UsageError

MARK = ".corpuspack-work"
_MARK_BODY = {"corpuspack": "work folder", "format": 1}
# Every file name a build writes at the top of its work folder.
_OWN_FILE = re.compile(
    r"^(?:(?:docs|paragraphs|texts)-[0-9a-f]{32}\.(?:arrow|tmp)|chunk-[0-9a-f]{32}\.(?:done|tmp|seeds)"
    r"|inputs\.arrow|ledger\.arrow|(?:documents|paragraphs)-\d{5}\.arrow)$"
)
_OWN_FOLDERS = ("inputs", "regrouped", "sets", "version", "published", "shingles")
_CHUNK_FILE = re.compile(r"^(?:docs|paragraphs|texts|chunk)-([0-9a-f]{32})\.")


def claim(path: Path) -> Path:
    """Make `path` (and its parents) and mark it, or take it if it is an empty folder or one
    corpuspack marked; refuse a symlink, a file, another user's folder or one with foreign files."""
    try:
        path.mkdir(parents=True)
    except FileExistsError:
        _check_existing(path)
    _write_mark(path)
    return path


@contextlib.contextmanager
def held(path: Path) -> Iterator[None]:
    """One build at a time in a work folder: an exclusive lock on its mark while the build runs. A
    second build on the folder is refused (exit 2) rather than finding the files the first one
    replaces or removes gone from under it. The lock (`flock`) is released when the build and any
    worker it forked have ended, so a killed build never leaves the folder locked."""
    if fcntl is None:
        yield
        return
    try:
        fd = os.open(path / MARK, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as e:  # the mark gone: another build removed the folder as this one claimed it
        raise UsageError(f"{path}: the work folder changed under this build ({e.strerror}); try again") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(
                f"{path}: another build is using this work folder; wait for it to end or give another --work"
            ) from None
        yield
    finally:
        os.close(fd)


def fresh(prefix: str, beside: Path | None = None) -> Path:
    """A new, marked work folder with a name nobody else can have taken (in the temp folder by default)."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=beside))
    _write_mark(path)
    return path


def _check_existing(path: Path) -> None:
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise UsageError(f"{path}: a symlink; a work folder must be a real folder")
    if not stat.S_ISDIR(st.st_mode):
        raise UsageError(f"{path}: not a folder")
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        raise UsageError(f"{path}: belongs to another user; give a work folder of your own")
    names = os.listdir(path)
    if not names:
        return
    if MARK in names and _is_marked(path):
        _refuse_planted(path)
        return
    shown = ", ".join(sorted(names)[:3]) + (" ..." if len(names) > 3 else "")
    raise UsageError(
        f"{path}: holds files corpuspack did not make ({shown}); give a new or empty folder as the work folder"
    )


def _refuse_planted(path: Path) -> None:
    """Refuse a marked folder where a name a build writes is a symlink, or a folder a build makes is
    not a real folder or holds a symlink: the build would write through it, outside the work folder.
    A file name a build writes that is a folder, a FIFO or a device is refused too: writing it would
    fail once the build is under way, or wait for ever on the FIFO.
    One `scandir` a folder: the entries' types come with the listing (a folder of 100,000 chunks)."""
    planted: list[str] = []
    pending = [(str(path), "")]
    while pending:
        folder, rel = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                own = bool(rel) or _OWN_FILE.match(entry.name) or entry.name in _OWN_FOLDERS
                if not own:
                    continue
                if entry.is_symlink() or (not rel and entry.name in _OWN_FOLDERS and not entry.is_dir()):
                    planted.append(rel + entry.name)
                elif not entry.is_dir(follow_symlinks=False) and not entry.is_file(follow_symlinks=False):
                    planted.append(rel + entry.name)  # a FIFO or device: writing its name would wait or write into it
                elif not rel and entry.name not in _OWN_FOLDERS and not entry.is_file(follow_symlinks=False):
                    planted.append(entry.name)  # a folder named like a file: a build's write there fails
                elif entry.is_dir(follow_symlinks=False) and (rel or entry.name in _OWN_FOLDERS):
                    pending.append((entry.path, f"{rel}{entry.name}/"))
    if planted:
        shown = ", ".join(sorted(planted)[:3]) + (" ..." if len(planted) > 3 else "")
        what = "a symlink, a folder or not a regular file"
        raise UsageError(f"{path}: {shown}: named like a build's own files, but {what}; remove them")


def _is_marked(path: Path) -> bool:
    mark = path / MARK
    try:
        if not stat.S_ISREG(os.lstat(mark).st_mode):
            return False
        with mark.open("rb") as f:
            return json.loads(f.read(4096)) == _MARK_BODY
    except (OSError, ValueError, RecursionError):  # RecursionError: brackets nested thousands deep
        return False


def _write_mark(path: Path) -> None:
    if not (path / MARK).exists():
        (path / MARK).write_text(json.dumps(_MARK_BODY), encoding="utf-8")


def forget_chunks_except(work: Path, keys: list[str]) -> None:
    """Remove spill files of chunks that are no longer wanted (inputs or settings changed since)."""
    wanted = set(keys)
    for entry in os.scandir(work):
        match = _CHUNK_FILE.match(entry.name)
        own = match and _OWN_FILE.match(entry.name) and entry.is_file(follow_symlinks=False)
        if own and match.group(1) not in wanted:
            os.unlink(entry.path)


def remove(work: Path) -> None:
    """Remove what corpuspack wrote in `work`, then the folder itself if nothing else is left."""
    if not work.is_dir() or work.is_symlink() or not _is_marked(work):
        return
    for entry in os.scandir(work):
        with contextlib.suppress(OSError):
            if _OWN_FILE.match(entry.name) and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
            elif entry.name in _OWN_FOLDERS and entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
    if os.listdir(work) == [MARK]:
        os.unlink(work / MARK)
        os.rmdir(work)
