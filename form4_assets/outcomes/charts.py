"""The outcome plot: mean excess return (in the trade's direction) by horizon, per insider class.

The shape of Cohen, Malloy & Pomorski's result on the user's own data: opportunistic
trades' line above the routine ones'. Two sizes, as for the net-selling plot
(form4_assets.aggregates.charts): a small SVG under the UI's 1,000-character inline limit
for the asset's Overview, and a matplotlib PNG with axes and legend behind "[Show Markdown]".
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from form4_assets.aggregates.charts import INLINE_MARKDOWN_LIMIT
from form4_assets.outcomes.records import edge
from form4_assets.tables import HORIZONS

#: The lines, in legend order, with their colours.
LINES = (("opportunistic", "d62728", "red"), ("routine", "1f77b4", "blue"), ("unclassified", "7f7f7f", "grey"),
         ("all", "2ca02c", "green"))
Curves = Mapping[str, Sequence[tuple[int, Decimal | None, int]]]  # label → (horizon, mean edge, trades measured)


def class_curves(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[tuple[int, Decimal | None, int]]]:
    """Mean edge per horizon of current outcome rows, per CLASS and for all."""
    groups: dict[str, list[Mapping[str, Any]]] = {label: [] for label, _, _ in LINES}
    for r in rows:
        groups["all"].append(r)
        if r.get("CLASS") in groups:
            groups[r["CLASS"]].append(r)
    out = {}
    for label, members in groups.items():
        points = []
        for days in HORIZONS:
            edges = [e for e in (edge(dict(r), days) for r in members) if e is not None]
            points.append((days, sum(edges, Decimal(0)) / len(edges) if edges else None, len(edges)))
        out[label] = points
    return out


def horizon_svg_markdown(curves: Curves, title: str) -> str:
    """A markdown SVG image of the curves (x: horizon index, y: mean excess) and a legend, inline-sized."""
    values = [float(v) for pts in curves.values() for _, v, _ in pts if v is not None] + [0.0]
    low, high = min(values), max(values)
    scale = 90 / ((high - low) or 1)

    def y(v: float) -> int:
        return round(95 - (v - low) * scale)

    parts = ["<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 300 100' width='300' height='100'>",
             f"<path d='M0,{y(0)}H300' stroke='%23aaa'/>"]
    legend = []
    for label, colour, name in LINES:
        pts = [(k, float(v)) for k, (_, v, _) in enumerate(curves.get(label, ())) if v is not None]
        if pts:
            d = "L".join(f"{20 + 85 * k},{y(v)}" for k, v in pts)
            parts.append(f"<path d='M{d}' stroke='%23{colour}' fill='none' stroke-width='2'/>")
            last = curves[label][-1]
            legend.append(f"{label} ({name}, n={last[2]} at {last[0]}d)")
    if not legend:
        return f"_{title}: no measured returns yet_"
    svg = "".join(parts).replace(" ", "%20") + "</svg>"
    markdown = f"![{title}](data:image/svg+xml,{svg})\n\nx: {', '.join(f'{d}d' for d in HORIZONS)}; " + "; ".join(legend)
    if len(markdown) >= INLINE_MARKDOWN_LIMIT:
        markdown = f"![{title}](data:image/svg+xml,{svg})"
    return markdown


def horizon_png(curves: Curves, title: str) -> bytes:
    fig = Figure(figsize=(7, 4), dpi=96)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for label, colour, _ in LINES:
        pts = [(d, float(v) * 100) for d, v, _ in curves.get(label, ()) if v is not None]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", color=f"#{colour}", label=label)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_xticks(list(HORIZONS))
    ax.set_xlabel("trading days after the entry close")
    ax.set_ylabel("mean excess return in the trade's direction, %")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small")
    else:
        ax.text(0.5, 0.5, "no measured returns yet", ha="center", transform=ax.transAxes)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
