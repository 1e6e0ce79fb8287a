"""Parquet shards kept in the work folder, so that a build whose shard has the same rows as one the
last build wrote (the same fingerprint, `pipeline.prints`) takes that file instead of writing it.
The `arrow/` files are not kept (`writer.kept_or_written` says why); those an earlier corpuspack kept
(`arrow-TABLE-PRINT.arrow`) are removed.

`published/TABLE-PRINT.parquet` is a copy of a file the build wrote into its version folder, and
`TABLE-PRINT.json` its size, sha256 and rows. Copies, never hard links, both ways: a linked file would
let whoever can write the work folder change a published version's bytes in place, and a file linked
into the work folder from elsewhere become a version's file. Everything here is read as
hostile: a kept file is taken only when it is a plain file of the recorded size and sha256, holds
the row groups and schema the plan wants, and its rows read back as those the build makes;
anything else is written anew. The columns made from the texts (`pipeline.assemble.TEXTS`) are
not made again for the comparison: they are taken from the file, trusted as the spill's texts are
once its size and sha256 are the recorded ones (making them is most of what making rows costs).
A Parquet shard's encoding is checked by its footer (`parquet.as_written`), not by encoding its rows
again (which is what taking it saves): the records guard against damaged, stale and foreign files,
not against someone who can write both a file and its record, who could change the texts as well.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
from itertools import pairwise
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .checksums import Written, feed
from .parquet import as_written

FOLDER = "published"
MAX_RECORD_BYTES = 4096
_NAME = re.compile(r"^((?:arrow-)?(?:documents|paragraphs))-([0-9a-f]{64})\.(parquet|arrow|json|tmp)$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class Taken:
    """A kept shard placed in the version folder: its facts, the digest of all shards so far, and
    `rows(group)`: its row group `group` as read back, to compare with the rows the build makes."""

    def __init__(self, done: Written, whole: Any, file: pq.ParquetFile) -> None:
        self.done, self.whole = done, whole
        self._file = file  # opened once, for its layout (`_laid_out`) and its rows

    def rows(self, group: int) -> pa.Table | None:
        """Row group `group` of the file, or None when it does not read."""
        try:
            return self._file.read_row_group(group)
        except (OSError, ValueError, pa.ArrowException):
            return None

    def close(self) -> None:
        self._file.close()


class KeptShards:
    """The kept Parquet shards of one table in `work`'s `published` folder."""

    def __init__(self, work: Path, table: str) -> None:
        self.folder, self.table, self.suffix = work / FOLDER, table, "parquet"
        self.folder.mkdir(exist_ok=True)

    def _path(self, print_: str, suffix: str) -> Path:
        return self.folder / f"{self.table}-{print_}.{suffix}"

    def reuse(self, print_: str, dest: Path, cuts: list[int], schema: pa.Schema, whole: Any) -> Taken | None:
        """The kept shard `print_` copied to `dest` when it is a plain file of the recorded
        size, sha256 and rows, with `schema` and the row groups of `cuts`: its facts, and a copy of
        the digest `whole` (when not None) fed its bytes. None otherwise (`dest` then does not
        exist). Its rows are still to be compared with those the build makes (`Taken.rows`)."""
        theirs = None if whole is None else whole.copy()
        done = self.copied(print_, dest, cuts[-1] - cuts[0], *([] if theirs is None else [theirs]))
        file = done and _laid_out(dest, schema, [hi - lo for lo, hi in pairwise(cuts) if hi > lo])
        if file is None:
            dest.unlink(missing_ok=True)
            return None
        return Taken(done, theirs, file)

    def holds(self, print_: str) -> bool:
        """Whether a kept shard `print_` has a sound record (it may still not be taken)."""
        return self._record(print_) is not None

    def copied(self, print_: str, dest: Path, rows: int, *digests: Any) -> Written | None:
        """The kept file `print_` copied to `dest`, each digest fed its bytes, when it is a plain
        file of the recorded size and sha256 and the record says `rows`: its facts; else None (`dest`
        possibly part-written)."""
        record = self._record(print_)
        if record is None or record["rows"] != rows:
            return None
        mine = hashlib.sha256()
        if not _copy(self._path(print_, self.suffix), dest, record["size"], mine, *digests):
            return None
        if mine.hexdigest() != record["sha256"]:
            return None
        return Written(dest, record["size"], record["sha256"], rows)

    def keep(self, print_: str, done: Written) -> None:
        """Keep a copy of the file this build wrote into the version folder."""
        record = {"size": done.size, "sha256": done.sha256, "rows": done.rows}
        tmp = self._path(print_, "tmp")
        tmp.unlink(missing_ok=True)
        if not _copy(done.path, tmp, done.size):
            tmp.unlink(missing_ok=True)
            return
        tmp.replace(self._path(print_, self.suffix))
        tmp.write_text(json.dumps(record), encoding="utf-8")
        tmp.replace(self._path(print_, "json"))

    def forget_except(self, prints: list[str]) -> None:
        """Remove this table's kept shards that are not among `prints` (the shards of this build),
        and its `arrow/` files an earlier corpuspack kept."""
        wanted = set(prints)
        for entry in os.scandir(self.folder):
            match = _NAME.match(entry.name)
            if not (match and match.group(1) in (self.table, f"arrow-{self.table}")):
                continue
            stale = match.group(1) != self.table or match.group(2) not in wanted or match.group(3) == "tmp"
            if stale and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)

    def _record(self, print_: str) -> dict[str, Any] | None:
        path = self._path(print_, "json")
        if not _plain(path):
            return None
        try:
            with path.open("rb") as f:
                record = json.loads(f.read(MAX_RECORD_BYTES + 1)[:MAX_RECORD_BYTES])
        except (OSError, ValueError, RecursionError):  # RecursionError: brackets nested thousands deep
            return None
        sound = (
            isinstance(record, dict)
            and all(type(record.get(k)) is int and record[k] >= 0 for k in ("size", "rows"))
            and isinstance(record.get("sha256"), str)
            and _SHA256.match(record["sha256"]) is not None
        )
        return record if sound else None


def _plain(path: Path, size: int | None = None) -> bool:
    """A regular file (not a symlink), of `size` bytes when given."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and (size is None or st.st_size == size)


def _laid_out(path: Path, schema: pa.Schema, rows: list[int]) -> pq.ParquetFile | None:
    """The Parquet file at `path`, open, when it has `schema` and row groups of `rows` rows each, and
    its footer says it was written as the build writes (`parquet.as_written`: the same values
    compressed otherwise, or with other metadata, are other bytes)."""
    try:
        shard = pq.ParquetFile(path)
    except (OSError, ValueError, pa.ArrowException):
        return None
    try:
        meta = shard.metadata
        groups = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
        laid_out = groups == rows or (not rows and groups in ([], [0]))
        if laid_out and shard.schema_arrow.equals(schema) and as_written(meta, schema):
            return shard
    except (OSError, ValueError, pa.ArrowException):
        pass
    shard.close()
    return None


def _copy(source: Path, dest: Path, size: int, *digests: Any) -> bool:
    """Copy the regular file `source`, which must hold exactly `size` bytes, to the new file `dest`,
    then feed each digest the bytes of `dest` (what is published, not what was read). False (`dest`
    possibly part-written) when `source` is not a regular file of that size, or changes size while
    copied: at most `size` + 1 bytes are ever read from it."""
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size != size:
            return False
        out = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        try:
            if _copy_range(fd, out, size) != size or os.pread(fd, 1, size):
                return False
        finally:
            os.close(out)
        return not digests or feed(dest, *digests, limit=size + 1) == size
    except OSError:
        return False
    finally:
        os.close(fd)


def _copy_range(source: int, dest: int, size: int) -> int:
    """Up to `size` bytes of `source` into `dest` from their starts, copied by the kernel (no trip
    through this process's memory); a read and a write where the kernel cannot. Bytes copied."""
    done = 0
    try:
        while done < size and (n := os.copy_file_range(source, dest, size - done, done, done)):
            done += n
        return done
    except OSError as error:
        if done or error.errno not in (errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise
    with open(source, "rb", buffering=0, closefd=False) as f, open(dest, "wb", closefd=False) as out:
        return feed(f, limit=size, out=out)
