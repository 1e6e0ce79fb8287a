"""Text from seeds, manifests and configuration written into the card's Markdown: shown as written,
never as markup of its own (a source named `![x](https://...)` would load an image on the Hub)."""

from __future__ import annotations

import re

from ..printable import printable


def cell(text: object) -> str:
    """A table cell of data the seeds supplied: one line, no markup of its own."""
    return plain(text, 200).replace("|", "\\|")


def plain(text: object, limit: int) -> str:
    """Text the seeds or the configuration supplied, shown as written: one line, its HTML and
    Markdown characters escaped (a source named `![x](https://...)` would load an image, links and
    emphasis would be made), cut to `limit` characters."""
    escaped = _MARKDOWN.sub(r"\\\g<0>", printable(str(text).replace("\\", "\\\\"), limit))
    return escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# A backslash before ASCII punctuation shows it as itself. Without brackets no link or image can
# be made (so parentheses and `!` may stay); backticks, emphasis and strike-through are the rest.
_MARKDOWN = re.compile(r"[`*_\[\]~]")


def code(text: object, table: bool = True) -> str:
    """Text shown as inline code, which makes no link or emphasis: one line, its backticks made
    quotes, its HTML characters escaped all the same (a renderer that passes HTML through a code
    span must not get a tag), and in a table its pipes escaped (GFM splits cells even there)."""
    shown = printable(str(text), 200).replace("`", "'")
    shown = shown.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"`{shown.replace('|', chr(92) + '|') if table else shown}`"


def prose(text: object) -> str:
    """A description: its `code` spans as code, the rest `cell` text (an odd backtick: all text)."""
    parts = str(text).split("`")
    if len(parts) % 2 == 0:
        return cell(text)
    return "".join(code(part) if i % 2 else cell(part) for i, part in enumerate(parts))
