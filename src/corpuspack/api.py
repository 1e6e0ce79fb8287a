"""The public API; the CLI's commands are thin calls into these functions of the same names."""

from __future__ import annotations

from .builder import BuildResult, build, emptied_warning
from .explaining import Explanation, explain
from .pushing import PushResult, push
from .releases import ReleaseResult, check, diff, release
from .releases import write_card as card
from .validation import ValidationReport, validate
from .verifying import VerifyReport, verify
from .version import __version__

__all__ = [
    "BuildResult",
    "Explanation",
    "PushResult",
    "ReleaseResult",
    "ValidationReport",
    "VerifyReport",
    "__version__",
    "build",
    "card",
    "check",
    "diff",
    "emptied_warning",
    "explain",
    "push",
    "release",
    "validate",
    "verify",
]
