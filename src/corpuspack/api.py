"""The public API; the CLI's commands are thin calls into these functions of the same names."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .validate import ValidationReport, validate

try:
    __version__ = version("corpuspack")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0"

__all__ = ["ValidationReport", "__version__", "validate"]
