"""corpuspack: validate, deduplicate and publish a text corpus as versioned datasets."""

from .api import *  # noqa: F403
from .api import __all__, __version__  # noqa: F401
from .config import Config, DedupConfig, load_config  # noqa: F401
from .errors import ConfigError, CorpuspackError, DataError, UsageError  # noqa: F401
