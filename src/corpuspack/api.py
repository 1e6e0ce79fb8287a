"""The public API; the CLI's commands are thin calls into these functions of the same names."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .build import BuildResult, build
from .validate import ValidationReport, validate

try:
    __version__ = version("corpuspack")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0"

__all__ = ["BuildResult", "ValidationReport", "__version__", "build", "validate"]
