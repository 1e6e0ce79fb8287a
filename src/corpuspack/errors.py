"""The exceptions that cross the API; only the CLI turns them into exit codes."""

from __future__ import annotations


class CorpuspackError(Exception):
    """Base class of every error corpuspack raises on purpose."""

    exit_code = 1


class DataError(CorpuspackError):
    """Bad data: invalid seeds, a checksum mismatch, a diff that was asked to fail."""

    exit_code = 1


class UsageError(CorpuspackError):
    """The call itself is wrong: a bad option, a missing folder, a refused version."""

    exit_code = 2


class ConfigError(CorpuspackError):
    """A broken schema or configuration."""

    exit_code = 3


class HubError(CorpuspackError):
    """The Hugging Face Hub refused a request or could not be reached."""

    exit_code = 1
