"""The public API; the CLI's commands are thin calls into these functions of the same names."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .builder import BuildResult, build
from .explaining import Explanation, explain
from .releases import ReleaseResult, VerifyReport, check, diff, release, verify
from .validation import ValidationReport, validate

try:
    __version__ = version("corpuspack")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "BuildResult",
    "Explanation",
    "ReleaseResult",
    "ValidationReport",
    "VerifyReport",
    "__version__",
    "build",
    "check",
    "diff",
    "explain",
    "release",
    "validate",
    "verify",
]
