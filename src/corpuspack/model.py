"""The records that flow between stages: documents read from seeds and findings about them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .printable import printable

Severity = Literal["error", "warning"]
MESSAGE_LIMIT = 1000  # characters of a message printed; the JSON report keeps it whole


@dataclass(frozen=True, order=True)
class Finding:
    """One problem in one seed file, at a line (when known) and a JSON pointer."""

    path: str
    line: int | None
    pointer: str
    message: str
    severity: Severity = "error"
    code: str = "invalid"

    def __str__(self) -> str:
        """One line, whatever the path, pointer or message hold (escaped, the message cut)."""
        path = printable(self.path)
        where = path if self.line is None else f"{path}:{self.line}"
        tag = "" if self.severity == "error" else "warning: "
        return f"{where}: {printable(self.pointer or '/')}: {tag}{printable(self.message, MESSAGE_LIMIT)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "pointer": self.pointer,
            "message": self.message,
            "severity": self.severity,
            "code": self.code,
        }


@dataclass(frozen=True)
class Location:
    """Where a field of a document came from."""

    path: str
    line: int | None = None


@dataclass(frozen=True)
class Document:
    """A seed document as a reader produced it.

    `metadata` holds every field except the text; `paragraphs` are the body blocks, already
    normalised for display. `locations` maps a metadata field to the file and line it came from,
    so a schema error on that field can point at it.
    """

    id: str
    metadata: dict[str, Any]
    paragraphs: tuple[str, ...]
    seed_path: str
    location: Location
    locations: dict[str, Location] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    def record(self) -> dict[str, Any]:
        """The record validated against the JSON Schema."""
        return {**self.metadata, "id": self.id, "text": self.text}

    def where(self, pointer: str) -> Location:
        parts = pointer.split("/")
        name = parts[1] if len(parts) > 1 else ""
        return self.locations.get(name, self.location)


@dataclass
class ReadResult:
    """What a reader returns for one file: the documents it could read and the findings."""

    documents: list[Document] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    raw: bytes | None = None  # the file's bytes, when it was read whole (so it need not be read again)
