"""The report's figures as PNG bytes, drawn by matplotlib's Agg canvas (no display, no global
pyplot state). Labels from the data are escaped and never parsed as math; the PNGs carry no
software version or date, so the same facts give the same bytes."""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Sequence

import numpy as np

from ..printable import printable

WIDTH = 8.0  # inches; at DPI, 800 pixels wide
DPI = 100
LABEL = 40  # characters of a source or value shown on an axis
EXTREME = 1e300  # a signal's values beyond +-EXTREME are drawn at it (the caption says how many)
BLUE, ORANGE, GREY = "#3b6ea8", "#d9822b", "#8c8c8c"
STYLE = {
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "svg.hashsalt": "corpuspack",
}


def _thousands(value: float, _position: object) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2g}"


def _plain(axis, ticks: int | None = None) -> None:
    """Counts written out (1,200,000), not as 1.2 with a 1e6 above the axis; at most `ticks` ticks."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_formatter(FuncFormatter(_thousands))
    if ticks:
        axis.set_major_locator(MaxNLocator(ticks, integer=True))


def render(draw: Callable, panels: int = 1, height: float = 3.2) -> bytes:
    """A figure of `panels` axes side by side, drawn by `draw(axes)`, as PNG bytes."""
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with mpl.rc_context(STYLE), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing")  # a script DejaVu lacks: boxes, not noise
        figure = Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.subplots(1, panels, squeeze=False)[0]
        draw(*axes)
        out = io.BytesIO()
        figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def label(text: object) -> str:
    """A data string for an axis: escaped, cut, and its dollar signs never read as math."""
    return printable(str(text), LABEL).replace("$", r"\$")


def empty(ax, what: str) -> None:
    ax.text(0.5, 0.5, what, ha="center", va="center", transform=ax.transAxes, color=GREY)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def bars(ax, names: Sequence[object], values: Sequence[float], title: str, color: str = BLUE) -> None:
    """Horizontal bars, the first name on top, each with its value."""
    ax.set_title(title)
    if not len(names):
        empty(ax, "none")
        return
    y = np.arange(len(names))
    ax.barh(y, values, color=color)
    ax.set_yticks(y, [label(n) for n in names])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    for yi, v in zip(y, values, strict=True):
        ax.annotate(f"{v:,.0f}", (v, yi), xytext=(3, 0), textcoords="offset points", va="center", fontsize=7)
    ax.margins(x=0.15)
    _plain(ax.xaxis, ticks=4)


def histogram(ax, values: np.ndarray, title: str, xlabel: str, log: bool = False, color: str = BLUE,
              name: str | None = None, bins: int | np.ndarray = 40) -> None:  # fmt: skip
    """A histogram of `values`; with `log`, logarithmic bins on a logarithmic axis (lengths)."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    values = values[np.isfinite(values)] if values.dtype.kind == "f" else values
    if not len(values):
        empty(ax, "none")
        return
    if log:
        top = max(float(values.max()), 1.0)
        bins = np.unique(np.geomspace(1, top + 1, 40))
        values = np.maximum(values, 1)
        ax.set_xscale("log")
    ax.hist(values, bins=bins, color=color, alpha=0.8, label=name)
    ax.set_ylabel("count")
    _plain(ax.yaxis)


def sources(rows: list[tuple[str, int, int, int]]) -> bytes:
    names = [r[0] for r in rows]

    def draw(left, right) -> None:
        bars(left, names, [r[1] for r in rows], "documents per source")
        bars(right, names, [r[2] for r in rows], "paragraphs: kept, dropped")
        if rows:
            right.barh(np.arange(len(rows)), [r[3] for r in rows], left=[r[2] for r in rows], color=ORANGE)
            right.set_yticks([])

    return render(draw, 2, max(2.5, 0.25 * len(rows) + 1))


def months(rows: list[tuple[str, int, int]]) -> bytes:
    def draw(top, bottom) -> None:
        for ax, column, what in ((top, 1, "documents"), (bottom, 2, "paragraphs kept")):
            ax.set_title(f"{what} per {'month' if rows and len(rows[0][0]) == 7 else 'year'}")
            if not rows:
                empty(ax, "no dated document")
                continue
            x = np.arange(len(rows))
            width = 0.8 if len(rows) < 60 else 1.0  # many thin bars with gaps alias into stripes
            ax.bar(x, [r[column] for r in rows], width=width, color=BLUE if column == 1 else ORANGE)
            step = max(1, len(rows) // 12)
            ax.set_xticks(x[::step], [r[0] for r in rows][::step], rotation=45, ha="right")
            _plain(ax.yaxis)

    return render(draw, 2)


def lengths(document_chars: np.ndarray, document_paragraphs: np.ndarray,
            paragraph_chars: dict[str, np.ndarray]) -> bytes:  # fmt: skip
    def draw(docs, pars, paragraph) -> None:
        histogram(docs, document_chars, "document length", "characters (log)", log=True)
        histogram(pars, document_paragraphs, "paragraphs per document", "kept paragraphs",
                  bins=np.arange(0, max(int(document_paragraphs.max(initial=1)), 1) + 2) - 0.5)  # fmt: skip
        paragraph.set_title("paragraph length")
        for (name, values), color in zip(paragraph_chars.items(), (BLUE, ORANGE), strict=False):
            if len(values):
                histogram(paragraph, values, "paragraph length", "characters (log)", log=True, color=color, name=name)
        if any(len(v) for v in paragraph_chars.values()):
            paragraph.legend()
        else:
            empty(paragraph, "none")

    return render(draw, 3)


def removals(counts: dict[str, int]) -> bytes:
    shown = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return render(lambda ax: bars(ax, [k for k, _ in shown], [v for _, v in shown], "paragraphs dropped, by reason",
                                  ORANGE), height=max(2.2, 0.3 * len(shown) + 1))  # fmt: skip


def similarity(values: np.ndarray, threshold: float | None) -> bytes:
    def draw(ax) -> None:
        histogram(ax, values, f"near duplicates: similarity to the paragraph kept ({len(values):,})",
                  "word 5-gram Jaccard", bins=np.linspace(min(threshold or 0.5, 0.5), 1.0, 41))  # fmt: skip
        if threshold is not None and len(values):
            ax.axvline(threshold, color=GREY, linestyle="--")

    return render(draw)


def languages(columns: dict[str, dict[str, int]], top: int = 15) -> bytes:
    def draw(*axes) -> None:
        for ax, (column, counts) in zip(axes, columns.items(), strict=True):
            shown = list(counts.items())[:top]
            bars(ax, [k for k, _ in shown], [v for _, v in shown], f"documents per {column}")

    return render(draw, max(1, len(columns)), max(2.2, 0.25 * min(top, max((len(c) for c in columns.values()),
                                                                            default=1)) + 1))  # fmt: skip


def shown_values(values: np.ndarray) -> tuple[np.ndarray, int, int]:
    """The finite values of a signal, clipped to +-`EXTREME`: (values, non-finite dropped, clipped).
    A range wider than float64 holds (-1e308 to 1e308) leaves no finite bin width."""
    finite = values[np.isfinite(values)]
    clipped = int(np.count_nonzero(np.abs(finite) > EXTREME))
    return np.clip(finite, -EXTREME, EXTREME), len(values) - len(finite), clipped


def signal(name: str, values: np.ndarray) -> bytes:
    """One numeric signal's distribution (its finite values, clipped: `shown_values`): bars per
    value when it takes few integer values, each exactly representable with its half steps."""
    values = shown_values(values)[0]

    def draw(ax) -> None:
        integral = len(values) and np.all(np.abs(values) < 2**52) and np.all(values == np.round(values))
        distinct = np.unique(values) if integral else np.zeros(0)
        if integral and 0 < len(distinct) <= 40:
            histogram(ax, values, label(name), label(name), bins=np.append(distinct, distinct[-1] + 1) - 0.5)
        else:
            histogram(ax, values, label(name), label(name))

    return render(draw, height=2.6)


def changes(summary: dict[str, dict[str, int]]) -> bytes:
    names, values = [], []
    for table in ("documents", "paragraphs"):
        for what, n in (summary.get(table) or {}).items():
            names.append(f"{table} {what.replace('_', ' ')}")
            values.append(int(n))
    return render(lambda ax: bars(ax, names, values, "changes since the previous version"), height=2.8)
