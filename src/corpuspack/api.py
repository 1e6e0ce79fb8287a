"""The public API; the CLI's commands are thin calls into these functions of the same names."""

from __future__ import annotations

from .builder import BuildResult, build
from .explaining import Explanation, explain
from .progress import Progress, quiet
from .pushing import PushResult, push
from .releases import ReleaseResult, check, diff, release
from .releases import write_card as card
from .reporting import ReportResult, report
from .scaffold import InitResult, init
from .stages.dedup import emptied_warning
from .tuning import Tuning
from .validation import ValidationReport, validate
from .verifying import VerifyReport, verify
from .version import __version__

__all__ = [
    "BuildResult",
    "Explanation",
    "InitResult",
    "Progress",
    "PushResult",
    "ReleaseResult",
    "ReportResult",
    "Tuning",
    "ValidationReport",
    "VerifyReport",
    "__version__",
    "build",
    "card",
    "check",
    "diff",
    "emptied_warning",
    "explain",
    "init",
    "push",
    "quiet",
    "release",
    "report",
    "validate",
    "verify",
]
