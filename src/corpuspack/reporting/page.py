"""The report's HTML page: one file that needs nothing else to be viewed (figures inlined as data
URIs, styles inline, no script, no font or stylesheet fetched). Every string from the data is
escaped with `html.escape` after `printable`, so a seed can neither inject markup nor hide text."""

from __future__ import annotations

import base64
import html
from typing import Any

import numpy as np

from ..printable import printable
from .facts import Facts

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:.8em 0}td,th{border:1px solid #ddd;padding:.25em .6em;vertical-align:top}
th{background:#f4f4f4;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1em 0}img{max-width:100%;height:auto}figcaption{color:#555;font-size:.9em}
.text{font-size:.9em;max-width:36em;overflow-wrap:anywhere}.muted{color:#777}
"""
# Nothing may be fetched when the page is viewed: images are data URIs, styles inline, no script.
POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def e(value: object, limit: int | None = None) -> str:
    """A data string for HTML: control characters shown as escapes, markup characters escaped."""
    return html.escape(printable(str(value), limit), quote=True)


def figure(name: str, png: bytes, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure id="fig-{e(name)}"><img src="data:image/png;base64,{data}" alt="{e(caption)}" '
        f'data-figure="{e(name)}"><figcaption>{e(caption)}</figcaption></figure>'
    )


def table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td class="n">{c:,}</td>' if isinstance(c, int) else f"<td>{c}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _stats(values: np.ndarray) -> list[Any]:
    """Count, mean and percentiles of the finite values (a signal's NaN and infinities are left out)."""
    values = values[np.isfinite(values)] if values.dtype.kind == "f" else values
    if not len(values):
        return [0, "", "", "", ""]
    # Halved, then doubled (exact in binary): the differences interpolation takes between values
    # near +-1e308 would overflow; the mean is a sum of shares for the same reason.
    half = values / 2 if values.dtype.kind == "f" else values
    q = np.percentile(half, [5, 50, 95]) * (2 if values.dtype.kind == "f" else 1)
    mean = float(np.sum(values / len(values)))
    return [len(values), f"{mean:,.3g}", *(f"{v:,.3g}" for v in q)]


def page(title: str, about: list[tuple[str, str]], facts: Facts, figures: dict[str, tuple[bytes, str]],
         changes: dict[str, Any] | None, parent: str | None) -> str:  # fmt: skip
    """The whole page. `figures`: name -> (PNG bytes, caption); `changes`: the diff summary since
    `parent`, or None when there is no earlier version to compare with."""
    c = facts.counts
    facts_about = "".join(f"<tr><th>{e(k)}</th><td>{e(v, 200)}</td></tr>" for k, v in about)
    parts = [f"<h1>{e(title)}</h1>", f"<table>{facts_about}</table>"]
    dropped = int(c.get("paragraphs", 0)) - int(c.get("paragraphs_kept", 0))
    parts.append(
        table(
            ["documents", "documents read", "left empty", "paragraphs", "kept", "dropped", "sources"],
            [[int(c.get("documents", 0)), int(c.get("documents_read", 0)), int(c.get("documents_emptied", 0)),
              int(c.get("paragraphs", 0)), int(c.get("paragraphs_kept", 0)), dropped,
              len(facts.sources) - 1 + facts.other_sources if facts.other_sources else len(facts.sources)]],
        )
    )  # fmt: skip

    def fig(name: str) -> str:
        png, caption = figures[name]
        return figure(name, png, caption)

    parts.append("<h2>Changes since the previous version</h2>")
    if changes is None:
        parts.append('<p class="muted">No earlier version to compare with.</p>')
    else:
        parts.append(f"<p>Since v{e(parent)}: suggested bump <b>{e(changes.get('suggested_bump') or 'none')}</b>; "
                     f"{int(changes.get('inputs_changed') or 0):,} input files or settings changed.</p>")  # fmt: skip
        parts.append(fig("changes"))
    parts.append("<h2>Sources</h2>" + fig("sources"))
    other = f" ({facts.other_sources:,} sources summed as “other”)" if facts.other_sources else ""
    parts.append(table([f"source{other}", "documents", "paragraphs kept", "paragraphs dropped"],
                       [[e(s, 200), n, k, d] for s, n, k, d in facts.sources]))  # fmt: skip
    if int(c.get("documents_emptied", 0)):
        parts.append(f'<p class="muted">The {int(c["documents_emptied"]):,} documents dedup left empty are not in the '
                     "documents table, so neither are their paragraphs in these rows.</p>")  # fmt: skip
    parts.append("<h2>Over time</h2>" + fig("months"))
    if facts.undated:
        parts.append(f'<p class="muted">{facts.undated:,} documents have no date.</p>')
    parts.append("<h2>Lengths</h2>" + fig("lengths"))
    parts.append(table(["", "count", "mean", "5th percentile", "median", "95th percentile"], [
        ["document characters", *_stats(facts.document_chars)],
        ["kept paragraphs per document", *_stats(facts.document_paragraphs)],
        ["kept paragraph characters", *_stats(facts.paragraph_chars["kept"])],
        ["dropped paragraph characters", *_stats(facts.paragraph_chars["dropped"])],
    ]))  # fmt: skip
    parts.append("<h2>Removals</h2>" + fig("removals"))
    parts.append(table(["reason", "paragraphs dropped"], [[e(k, 200), v] for k, v in facts.removals.items()]))
    parts.append("<h2>Near duplicates</h2>" + fig("similarity"))
    parts.append("<h2>Most repeated paragraphs</h2>")
    if facts.most_repeated:
        rows = [
            [int(r.get("count", 0)), e(r.get("reason") or "kept once", 200),
             f"{e(r.get('doc_id') or '', 200)} [{int(r.get('paragraph_index') or 0)}]",
             f'<span class="text">{e(r.get("text") or "", 300)}</span>']
            for r in facts.most_repeated
        ]  # fmt: skip
        parts.append(table(["copies", "decision", "first in", "text"], rows))
    else:
        parts.append('<p class="muted">No paragraph occurs twice.</p>')
    parts.append("<h2>Languages</h2>" + fig("languages"))
    parts.append("<h2>Signals</h2>")
    if facts.signals:
        parts.append(table(["signal", "documents", "mean", "5th percentile", "median", "95th percentile"],
                           [[e(n), *_stats(v)] for n, v in facts.signals.items()]))  # fmt: skip
        parts.extend(fig(name) for name in figures if name.startswith("signal-"))
    else:
        parts.append('<p class="muted">The documents table has no signal column.</p>')
    body = "\n".join(parts)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)}</title><style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n"
    )
