"""The public API; the CLI's commands are thin calls into these functions of the same names."""

from __future__ import annotations

from .builder import BuildResult, build, emptied_warning
from .explaining import Explanation, explain
from .releases import ReleaseResult, check, diff, release
from .scaffold import InitResult, init
from .validation import ValidationReport, validate
from .verifying import VerifyReport, verify
from .version import __version__

__all__ = [
    "BuildResult",
    "Explanation",
    "InitResult",
    "ReleaseResult",
    "ValidationReport",
    "VerifyReport",
    "__version__",
    "build",
    "check",
    "diff",
    "emptied_warning",
    "explain",
    "init",
    "release",
    "validate",
    "verify",
]
