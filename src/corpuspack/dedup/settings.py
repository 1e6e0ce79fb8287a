"""The deduplication settings: every field is recorded in the manifest of a release."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..settings import check_fields, setting
from .minhash import choose_bands


@dataclass(frozen=True)
class DedupConfig:
    """Deduplication settings. Every field is recorded in the manifest of a release."""

    boilerplate_patterns: tuple[str, ...] = setting(
        (), "patterns", "RE2 patterns of boilerplate paragraphs (one that matches every paragraph is refused)"
    )
    # A paragraph found in this many different documents is site furniture, not content.
    boilerplate_min_docs: int = setting(10, "int", "a paragraph in this many documents is boilerplate", low=2)
    near: bool = setting(True, "bool", "near-duplicate detection (`build --exact-only` turns it off)")
    threshold: float = setting(
        0.8,
        "number",
        "a paragraph whose shingle Jaccard with an earlier one is at least this is a near duplicate",
        low=0,
        high=1,
        above_low=True,
    )
    # Each permutation is one pass over every shingle and 4 bytes a paragraph in memory; past 1024
    # the estimate's error (about 1/sqrt(num_perm), 3%) no longer matters, as candidates are
    # confirmed on their exact shingle sets.
    num_perm: int = setting(128, "int", "MinHash permutations", low=1, high=1024)
    bands: int | None = setting(
        None,
        "int",
        "LSH bands (at most `num_perm`)",
        low=1,
        high=1024,
        none=True,
        shown="auto: the most rows per band that still find pairs at the threshold",
    )
    # A shingle of n words costs n passes over every word of a batch; past 32 words two paragraphs
    # share a shingle only where they share a long verbatim run, which the exact keys already see.
    shingle_size: int = setting(5, "int", "words in a shingle (at most `min_words`)", low=1, high=32)
    # Paragraphs of over 1000 words are rare: a larger minimum would turn near dedup off silently
    # (`near = false` says so).
    min_words: int = setting(8, "int", "shorter paragraphs take part in exact dedup only", low=1, high=1000)
    seed: int = setting(1, "int", "seed of the MinHash permutations", low=0)
    # Each member of an LSH bucket is paired with this many members before it: the work is
    # linear in it, and past 1024 a huge bucket costs near-quadratic time and memory again.
    max_bucket_pairs: int = setting(
        32, "int", "candidate pairs per member of an LSH bucket (bounds the work of huge buckets)", low=1, high=1024
    )
    # Versions built under rules 1 record no `rules` and rebuild under them byte for byte.
    rules: int = setting(
        2,
        "int",
        "dedup rules: 2 keeps numbers, short lines, syndicated stories and every script's words;"
        " 1 is the first releases' (see Deduplication)",
        low=1,
        high=2,
    )

    def __post_init__(self) -> None:
        check_fields(self)
        if self.bands is not None and self.bands > self.num_perm:
            raise ConfigError(f"need 1 <= bands ({self.bands}) <= num_perm ({self.num_perm})")
        if self.min_words < self.shingle_size:
            raise ConfigError(f"min_words ({self.min_words}) must be at least shingle_size ({self.shingle_size})")

    @property
    def lsh(self) -> tuple[int, int]:
        """(bands, rows per band) of the LSH index."""
        if self.bands is not None:
            return self.bands, self.num_perm // self.bands
        return choose_bands(self.num_perm, self.threshold)

    def describe(self) -> dict[str, Any]:
        """Every setting, resolved, as recorded in a release manifest."""
        bands, rows = self.lsh
        described = {
            **dataclasses.asdict(self),
            "boilerplate_patterns": list(self.boilerplate_patterns),
            "bands": bands,
            "rows": rows,
        }
        if self.rules == 1:  # as the manifests of rules 1 were written, before the setting existed
            del described["rules"]
        return described
