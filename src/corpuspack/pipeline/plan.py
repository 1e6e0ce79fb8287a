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
import os
from collections.abc import Iterator, Sequence
from itertools import pairwise
from typing import TypeVar

from ..sources import SeedFile
from ..tuning import Tuning

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
