"""The declaration of a setting: each field of `Config` and `DedupConfig` carries its kind, range,
default and help (`setting(...)`). The same declaration checks values, names the nearest known
key for a misspelt one, and renders the README's settings table."""

from __future__ import annotations

import dataclasses
import difflib
import numbers
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from .errors import ConfigError
from .printable import printable
from .storage import is_url

Kind = Literal["int", "bytes", "number", "bool", "text", "url", "path", "location", "patterns", "names"]
MiB = 1024 * 1024
GiB = 1024 * MiB
_INT64_MAX = 2**63 - 1  # TOML's own range; past it numpy's int64 comparisons overflow
_KEY = "corpuspack.setting"
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")  # what TOML takes unquoted


@dataclass(frozen=True)
class Spec:
    """What a setting accepts; `None` is accepted only where `none` is set (never from TOML)."""

    kind: Kind
    help: str
    low: float = 0
    high: float | None = None  # None: up to TOML's largest integer
    above_low: bool = False  # the range excludes `low` itself
    choices: tuple[str, ...] = ()
    none: bool = False
    blank: bool = True  # for text: the empty string is accepted
    shown: str | None = None  # the default as the README writes it, when not the value itself

    def expected(self) -> str:
        """What a value must be, as an error message and the README say it."""
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind in ("int", "bytes"):
            what = "an integer" if self.kind == "int" else "an integer number of bytes"
            low, high = _amount(self.low, self.kind, exact=True), _amount(self.high, self.kind, exact=True)
            return f"{what} from {low} to {high}" if self.high is not None else f"{what} of at least {low}"
        if self.kind == "number":
            low = f"over {self.low:g}" if self.above_low else f"from {self.low:g}"
            return f"a number {low} and at most {self.high:g}"
        return {
            "bool": "true or false",
            "text": "a string" if self.blank else "a non-empty string",
            "url": "an http or https URL",
            "path": "a non-empty path",
            "location": "a non-empty path or fsspec URL",
            "patterns": "a list of non-empty strings (RE2 patterns)",
            "names": "a list of non-empty strings",
        }[self.kind]

    def check(self, key: str, value: Any) -> Any:
        """`value` as the setting holds it (a list as a tuple, a path as a Path), else `SettingError`."""
        if value is None and self.none:
            return None
        normal = self._normal(value)
        if normal is None:
            raise SettingError(key, value, self.expected() + self._which_item(value))
        return normal

    def _which_item(self, value: Any) -> str:
        """For a list, the first item that is wrong; for a path, a NUL character in it."""
        if self.kind in ("path", "location") and isinstance(value, str) and "\0" in value:
            return "; a path holds no NUL character"
        if self.kind in ("patterns", "names") and isinstance(value, list | tuple):
            for item in value:
                if not (isinstance(item, str) and item):
                    return f"; {printable(repr(item), 80)} is not a non-empty string"
        return ""

    def _normal(self, value: Any) -> Any:
        kind = self.kind
        if isinstance(value, bool) and kind != "bool":  # a subclass of int to Python, never a number here
            return None
        if kind in ("int", "bytes", "number"):
            whole = isinstance(value, numbers.Integral)
            if not (whole if kind != "number" else isinstance(value, numbers.Real)):
                return None
            value = int(value) if whole else float(value)  # an int threshold stays one: the manifest shows it
            high = self.high if self.high is not None else _INT64_MAX
            low_ok = value > self.low if self.above_low else value >= self.low
            return value if low_ok and value <= high else None  # NaN fails both
        if kind == "bool":
            return value if isinstance(value, bool) else None
        if kind in ("patterns", "names"):
            # A string would become one pattern per letter.
            ok = isinstance(value, list | tuple) and all(isinstance(p, str) and p for p in value)
            return tuple(value) if ok else None
        if isinstance(value, os.PathLike) and kind in ("path", "location"):
            value = os.fspath(value)
        if not isinstance(value, str) or (not value and not (kind == "text" and self.blank)):
            return None
        if self.choices and value not in self.choices:
            return None
        if kind == "url" and not _is_web_url(value):
            return None
        if kind in ("path", "location") and "\0" in value:  # no file has it: open() raises ValueError
            return None
        if kind == "path" or (kind == "location" and not is_url(value)):
            return Path(value)
        return value


class SettingError(ConfigError):
    """A value that its setting's declaration refuses; the loader adds where it came from."""

    def __init__(self, key: str, value: Any, expected: str) -> None:
        self.key = key
        super().__init__(f"{key} = {printable(repr(value), 80)}: expected {expected}")


def setting(default: Any, kind: Kind, help: str, **spec: Any) -> Any:
    """A dataclass field declared as a setting of `[tool.corpuspack]`."""
    return dataclasses.field(default=default, metadata={_KEY: Spec(kind, help, **spec)})


def declared(cls: type) -> dict[str, tuple[Spec, Any]]:
    """The settings of a dataclass, in declaration order: key -> (spec, default)."""
    return {f.name: (f.metadata[_KEY], f.default) for f in dataclasses.fields(cls) if _KEY in f.metadata}


def check_fields(obj: Any) -> None:
    """Check (and normalise in place) every declared field of a frozen dataclass instance."""
    for key, (spec, _) in declared(type(obj)).items():
        object.__setattr__(obj, key, spec.check(key, getattr(obj, key)))


def unknown_keys(keys: Iterable[str], known: Iterable[str]) -> str | None:
    """The unknown keys with the nearest known key of each, or None when all are known."""
    known = sorted(known)
    wrong = sorted(set(keys) - set(known))
    if not wrong:
        return None
    said = []
    for key in wrong[:10]:  # a file of a thousand unknown keys still gets a one-line answer
        near = difflib.get_close_matches(key, known, n=1)
        # A key TOML only takes quoted ("", " ", "a b") is shown quoted: an empty one would vanish.
        shown = printable(key, 80) if _BARE_KEY.fullmatch(key) else printable(repr(key), 80)
        said.append(shown + (f" (did you mean {near[0]}?)" if near else ""))
    return ", ".join(said) + (f" and {len(wrong) - 10} more" if len(wrong) > 10 else "")


def markdown_table(*classes: type) -> str:
    """The README's table of every setting of `classes`."""
    rows = ["| key | default | accepted | meaning |", "|---|---|---|---|"]
    for cls in classes:
        for key, (spec, default) in declared(cls).items():
            rows.append(f"| `{key}` | {shown_default(spec, default)} | {spec.expected()} | {spec.help} |")
    return "\n".join(rows) + "\n"


def _is_web_url(value: str) -> bool:
    """An absolute http(s) URL with a host, and nothing a JSON-LD reader or a terminal would trip on."""
    try:
        parts = urlsplit(value)
    except ValueError:  # a bracketed host that is no IPv6 address
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and value.isprintable() and " " not in value


def shown_default(spec: Spec, default: Any) -> str:
    """The default as the README and `--help` write it."""
    if spec.shown is not None:
        return spec.shown
    if default is None or default == ():
        return "none"
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, str | Path):
        return f"`{default}`"
    return _amount(default, spec.kind)


def _amount(value: float | None, kind: Kind, exact: bool = False) -> str:
    """A number as the README writes it: sizes in MiB or GiB (with the bytes too when `exact`)."""
    if kind == "bytes" and value is not None:
        for unit, size in (("GiB", GiB), ("MiB", MiB)):
            if value >= size and value % size == 0:
                return f"{value} ({value // size:g} {unit})" if exact else f"{value // size:g} {unit}"
    return f"{value:g}" if isinstance(value, float) else str(value)
