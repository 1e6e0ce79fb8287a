"""Planning chunks so that a kept work folder stays useful when the seeds change.

A chunk ends after a seed chosen by the seed's own path (its hash) and size, not by where the chunk
started: adding, removing or editing a file moves the boundaries of its own chunk (and at most the
next one's, when a chunk falls under the minimum), never those of every later chunk, so a build with
a kept work folder reads again only the chunks whose files changed. The plan decides only which
worker reads what: documents are published in id order whatever the chunks, so it never changes
output bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, pairwise
from pathlib import Path
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..regular import NotRegular, open_fd, read_capped
from ..sources import SeedFile
from ..sources.seedlist import SeedList
from ..tuning import Tuning
from .chunk import marker_path

MIN_SHARE = 0.5  # no cut before a chunk holds half the target (few tiny chunks)
CAP = 3.0  # always a cut at three times the target (no chunk grows without bound)
_SPACE = float(1 << 64)
S = TypeVar("S", bound=Sequence[SeedFile])


def plan_chunks(seeds: S, tuning: Tuning) -> list[S]:
    """Runs of consecutive seed files (in path order) of about `chunk_bytes` or `chunk_files`:
    slices of `seeds` (of a `SeedList`, each a `SeedList` of its own).

    Each file weighs 1/chunk_files plus its size, rounded up to a power of two, over chunk_bytes
    (so an edit that keeps a file within its power of two leaves every boundary where it was). Once
    a chunk weighs MIN_SHARE, it ends after a file when the file's path hash, as a number in [0, 1),
    is under twice the file's weight: about one target's weight per chunk on average, and a file
    weighing half a target or more always ends its chunk. At CAP it ends whatever the hash.
    """
    ends, weight = [0], 0.0
    for at, (seed, own) in enumerate(zip(seeds, _weights(seeds, tuning), strict=True), 1):
        weight += own
        if weight >= CAP or (weight >= MIN_SHARE and _draw(seed.rel) < 2 * own):
            ends.append(at)
            weight = 0.0
    if ends[-1] < len(seeds):
        ends.append(len(seeds))
    return [seeds[lo:hi] for lo, hi in pairwise(ends)]


MAX_SEEDS_FILE = 64 * 1024 * 1024  # a chunk's list of paths: at most 3 x chunk_files paths


def kept_chunks(work: Path, limit: int) -> Iterator[list[str]]:
    """The seeds' relative paths of each finished chunk of the work folder (`chunk.seeds_path`, by
    key), at most `limit` lists. Hostile input: a plain file of bounded size holding a JSON list of
    strings, or it is passed over (and its chunk planned anew)."""
    found = 0
    for name in sorted(os.listdir(work)) if work.is_dir() else []:
        match = _SEEDS_FILE.match(name)
        if not match or not os.path.isfile(marker_path(work, match.group(1))) or found >= limit:
            continue
        names = _read_list(work / name)
        if names is not None:
            found += 1
            yield names
            del names  # not held while the next is read: one list in memory at a time


def _read_list(path: Path) -> list[str] | None:
    try:
        fd, st = open_fd(str(path), follow=False)
        data, _ = read_capped(fd, st, MAX_SEEDS_FILE)
        names = json.loads(data) if data else None
    except (OSError, NotRegular, ValueError, RecursionError):  # RecursionError: nested too deep
        return None
    if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
        return None
    try:  # a lone surrogate (an escape such as \ud800) is in no path, and no Arrow string holds it
        for n in names:
            n.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return names


_SEEDS_FILE = re.compile(r"^chunk-([0-9a-f]{32})\.seeds$")


def plan_kept(seeds: S, tuning: Tuning, kept: Iterable[list[str]]) -> list[S]:
    """`plan_chunks`, except that the chunks a kept work folder holds stay as they were: each of
    `kept` (a chunk's seeds' relative paths, in order) whose paths are all still among `seeds`, in
    no chunk taken before it, and whose weight lies between MIN_SHARE and CAP, is planned again
    whatever seeds now lie between its files. The other seeds are planned by `plan_chunks`; the
    chunks come in the order of their first seeds. New seeds named among the old (ids that are
    hashes, say) then make chunks of their own instead of changing every chunk they fall into;
    small kept chunks are planned anew with them, so chunks do not dwindle release by release."""
    rels = seeds.rels() if isinstance(seeds, SeedList) else pa.array([s.rel for s in seeds], pa.large_string())
    weights = None  # made at the first list found whole: a build without a kept folder never needs them
    taken = np.zeros(len(seeds), dtype=bool)
    firsts: list[tuple[int, np.ndarray]] = []  # (first position, positions) of each chunk
    budget = max(rels.nbytes, 1 << 20)
    for found in _looked_up(_arrays(kept, CAP * tuning.chunk_files), rels, budget):
        if found.null_count:  # a path no longer among the seeds
            continue
        at = found.to_numpy().astype(np.int64)
        if weights is None:
            weights = np.fromiter(_weights(seeds, tuning), dtype=np.float64, count=len(seeds))
        if np.all(np.diff(at) > 0) and not taken[at].any() and MIN_SHARE <= weights[at].sum() <= CAP:
            taken[at] = True
            firsts.append((int(at[0]), at))
    if not firsts:
        return plan_chunks(seeds, tuning)
    rest = np.flatnonzero(~taken)
    start = 0
    for chunk in plan_chunks(_take(seeds, rest), tuning):
        firsts.append((int(rest[start]), rest[start : start + len(chunk)]))
        start += len(chunk)
    return [_take(seeds, at) for _, at in sorted(firsts, key=lambda first: first[0])]


def _arrays(lists: Iterable[list[str]], most: float) -> Iterator[pa.Array]:
    """Each list as Arrow strings, read and converted one at a time (a hostile work folder may hold
    many, each of millions of paths); empty ones and those longer than `most` (the longest list
    that can weigh CAP or less: each file weighs 1/chunk_files at least) passed over unconverted."""
    for names in lists:
        if 0 < len(names) <= most:
            yield pa.array(names, pa.large_string())
        del names  # let it go before the next list is read


# What an array held for a batch costs beside its buffers (its C++ and Python objects: about 1 KB,
# measured): counted by their bytes alone, a work folder of a one-path list per seed was held whole.
_ARRAY_COST = 1024


def _looked_up(arrays: Iterator[pa.Array], rels: pa.Array, budget: int) -> Iterator[pa.Array]:
    """Each array's positions among `rels` (null where a path is not there), in order. Looked up
    a batch of arrays at a time, about `budget` bytes of them (the paths' own size and each array's
    own cost, so memory stays within twice theirs): each lookup hashes every path of `rels`, once
    per batch, not per list."""
    batch: list[pa.Array] = []
    held = 0
    for names in chain(arrays, [None]):
        if names is not None:
            batch.append(names)
            held += names.nbytes + _ARRAY_COST
        if batch and (names is None or held >= budget):
            found = pc.index_in(pa.concat_arrays(batch), value_set=rels)
            start = 0
            for done in batch:
                yield found.slice(start, len(done))
                start += len(done)
            batch, held = [], 0


def _take(seeds: S, at: np.ndarray) -> S:
    if isinstance(seeds, SeedList):
        return seeds.take(at)  # type: ignore[return-value]
    return [seeds[i] for i in at]  # type: ignore[return-value]


def _weights(seeds: Sequence[SeedFile], tuning: Tuning) -> Iterator[float]:
    per_file = 1 / tuning.chunk_files
    for seed in seeds:
        size = seed.size
        if size < 0:
            size = 0
            with contextlib.suppress(OSError):
                size = os.stat(seed.file).st_size
        yield per_file + (1 << (size - 1).bit_length() if size > 0 else 0) / tuning.chunk_bytes


def _draw(rel: str) -> float:
    """A number in [0, 1) fixed by the path alone (the same in every process and on every machine)."""
    digest = hashlib.blake2b(rel.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SPACE
