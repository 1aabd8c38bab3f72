"""The report's charts, drawn with matplotlib at build time as inline SVG (no external request).

Each chart takes already-aggregated counts and returns an ``<svg>`` string ready to inline.
Small counts are drawn as a hatched bar up to the masking threshold and labelled "< 10",
so neither the label nor the bar's length gives the exact number away.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Sequence

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from fuite.report.masking import MASKED, SMALL_COUNT, is_small  # noqa: E402

__all__ = ["bar_chart", "timeline_chart", "INK", "ACCENT", "SEVERITY_COLOURS"]

INK = "#1f2a44"
ACCENT = "#2f6690"
MUTED = "#9aa5b1"
SEVERITY_COLOURS = ("#5b9b5b", "#e0b341", "#e07b39", "#c0392b")

_RC = {
    "svg.fonttype": "none",  # text stays text (selectable, searchable), drawn with system fonts
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def bar_chart(name: str, title: str, labels: Sequence[str], counts: Sequence[int], fmt,
              colours: Sequence[str] | None = None, width_in: float = 6.6) -> str:
    """Horizontal bars, first label on top; ``fmt`` formats a count for the bar's label."""
    shown = [SMALL_COUNT if is_small(n) else n for n in counts]
    height_in = 0.4 + (0.27 if len(labels) <= 8 else 0.2) * max(len(labels), 1)
    with plt.rc_context(_RC | {"svg.hashsalt": name}):
        fig = Figure(figsize=(width_in, height_in))
        ax = fig.add_subplot()
        ys = list(range(len(labels)))[::-1]
        colour = list(colours) if colours else [ACCENT] * len(labels)
        bars = ax.barh(ys, shown, color=colour, height=0.7)
        top = max(shown, default=0) or 1
        for bar, n in zip(bars, counts, strict=True):
            if is_small(n):
                bar.set_hatch("////")
                bar.set_facecolor("white")
                bar.set_edgecolor(MUTED)
            ax.text(bar.get_width() + top * 0.01, bar.get_y() + bar.get_height() / 2,
                    MASKED if is_small(n) else fmt(n), va="center", fontsize=8, color=INK)
        ax.set_yticks(ys, labels)
        ax.set_xlim(0, top * 1.18)
        ax.xaxis.set_visible(False)
        ax.spines["bottom"].set_visible(False)
        ax.tick_params(axis="y", length=0)
        fig.tight_layout(pad=0.3)
        return _svg(fig, name, title)


def timeline_chart(name: str, title: str, months: Sequence[str], counts: Sequence[int], axis_fmt,
                   month_label) -> str:
    """Vertical monthly bars; ``axis_fmt`` writes the scale, ``month_label("2019-01")`` the months."""
    shown = [SMALL_COUNT if is_small(n) else n for n in counts]
    with plt.rc_context(_RC | {"svg.hashsalt": name}):
        fig = Figure(figsize=(6.6, 2.4))
        ax = fig.add_subplot()
        xs = list(range(len(months)))
        bars = ax.bar(xs, shown, color=ACCENT, width=0.85)
        for bar, n in zip(bars, counts, strict=True):
            if is_small(n):
                bar.set_hatch("////")
                bar.set_facecolor("white")
                bar.set_edgecolor(MUTED)
        step = 1 if len(months) <= 12 else 3 if len(months) <= 36 else 12
        ticks = [i for i, m in enumerate(months) if step == 1 or (step == 3 and m[5:] in ("01", "04", "07", "10"))
                 or (step == 12 and m.endswith("-01"))] or xs[:1]
        ax.set_xticks(ticks, [month_label(months[i]) for i in ticks])
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: axis_fmt(int(v))))
        ax.grid(axis="y", color="#e5e8ec", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_xlim(-0.6, max(len(months), 1) - 0.4)
        fig.tight_layout(pad=0.3)
        return _svg(fig, name, title)


def _svg(fig: Figure, name: str, title: str) -> str:
    """The figure as an inline ``<svg>`` element: no XML prolog, no metadata, ids made unique."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    text = re.sub(r'id="([^"]+)"', lambda m: f'id="{name}-{m.group(1)}"', text)
    text = re.sub(r'(href="#|url\(#)([^")]+)', lambda m: f"{m.group(1)}{name}-{m.group(2)}", text)
    return text.replace("<svg ", f'<svg role="img" aria-label="{html.escape(title)}" ', 1)
