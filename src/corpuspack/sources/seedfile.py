"""A seed file to read: where it is, the path findings and manifests use, and what discovery saw of it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .sidecar import SUFFIX as SIDECAR_SUFFIX
from .sidecar import sidecar_path

TEXT_SUFFIXES = (".txt", ".md", ".markdown")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".jsonl.zst", ".ndjson.gz", ".ndjson.zst")
JSON_SUFFIXES = (".json",)


@dataclass(frozen=True, slots=True)
class SeedFile:
    """A file to read: where it is on disk and the path findings and manifests use; from discovery,
    its size, a stamp (size and mtime of the file and of its sidecar) that changes when they do, and
    whether a text seed has a sidecar (None: not known, looked for on disk when needed).

    Plain strings in slots: a build holds one per seed until they are read (a million at a time).
    """

    file: str
    rel: str
    size: int = -1
    stamp: str = ""
    sidecar: bool | None = None

    @property
    def path(self) -> Path:
        return Path(self.file)

    @property
    def kind(self) -> str | None:
        name = os.path.basename(self.file).lower()
        if name.endswith(TEXT_SUFFIXES):  # the suffixes of the kinds end differently, but a sidecar's
            return "text"
        if name.endswith(JSON_SUFFIXES):
            return "sidecar" if name.endswith(SIDECAR_SUFFIX) else "json"
        return "jsonl" if name.endswith(JSONL_SUFFIXES) else None

    @property
    def sidecar_file(self) -> str | None:
        """The path of a text seed's sidecar if it has one: as discovery's listing of its folder saw
        it, else as the disk says now."""
        if self.sidecar is False:
            return None
        side = sidecar_path(self.file)
        return side if self.sidecar or os.path.isfile(side) else None
