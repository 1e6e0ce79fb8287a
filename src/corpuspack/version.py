"""The installed version of corpuspack, at the bottom of the package: every layer may read it."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("corpuspack")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0"
