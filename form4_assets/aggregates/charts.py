"""The net-selling plot attached to net_insider_selling, in two sizes.

- A PNG drawn with matplotlib's Agg backend, one tick per day (or per few days on a long
  window, never at hours): it renders in the Dagster UI inside a markdown metadata
  entry as a data URI, behind "[Show Markdown]", and the same file is kept under the
  data directory for reports. The figure is built on a `Figure` object, not pyplot, so
  no global state leaks between runs in one process.
- A small SVG of the same lines, for the asset's Overview: the Dagster UI (1.13) renders
  a markdown metadata entry inline in the Overview's metadata table only when it is
  shorter than 1,000 characters, which no PNG data URI is, and it shows path and URL
  entries as text and links, never as images. `overview_svg_markdown` fits within that budget by
  keeping every day's tick and thinning the points of long series.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

from matplotlib import dates as mdates
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

Series = Mapping[str, Sequence[tuple[dt.date, Decimal]]]

#: At most this many date ticks on the PNG's axis; they always fall on whole days.
MAX_DATE_TICKS = 10
#: The UI shows a markdown metadata entry inline only below this length.
INLINE_MARKDOWN_LIMIT = 1000
#: Line colours, one per issuer (matplotlib's default cycle).
COLOURS = ("1f77b4", "ff7f0e", "2ca02c", "d62728", "9467bd", "8c564b")


def net_selling_png(series: Series, title: str) -> bytes:
    """A line per issuer: 30-day net selling in dollars (positive = selling) by as-of date."""
    fig = Figure(figsize=(9, 4.5), dpi=96)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for label, points in series.items():
        if points:
            xs = [p[0] for p in points]
            ax.plot(xs, [float(p[1]) / 1e6 for p in points], marker=".", linewidth=1.5, label=label)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_title(title)
    ax.set_ylabel("30-day net selling, $ millions")
    ax.grid(True, alpha=0.3)
    if series:
        ax.legend(loc="upper left", fontsize="small")
    days = sorted({p[0] for points in series.values() for p in points})
    if days:
        _daily_ticks(ax, days[0], days[-1])
    fig.autofmt_xdate()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _daily_ticks(ax, first: dt.date, last: dt.date) -> None:  # type: ignore[no-untyped-def]
    """Ticks on whole days (every n-th day on a long window), labelled by date.

    matplotlib's automatic locator picks 12-hour ticks on a window of a few days, which
    for filing dates is noise; a single day gets one day either side.
    """
    span = (last - first).days
    interval = max(1, -(-(span + 1) // MAX_DATE_TICKS))
    ax.xaxis.set_major_locator(mdates.DayLocator(interval=interval))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    if span == 0:
        ax.set_xlim(first - dt.timedelta(days=1), last + dt.timedelta(days=1))


def _svg(series: Series, first: dt.date, days: int, step: int) -> str:
    """The lines on a 0..days × 0..100 canvas, one tick per day, every `step`-th point kept."""
    values = [float(v) for points in series.values() for _, v in points] + [0.0]
    low, high = min(values), max(values)
    scale = 96 / ((high - low) or 1)

    def y(value: float) -> int:
        return round(98 - (value - low) * scale)

    width = max(days, 1)
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} 100' width='460' height='130' "
        "preserveAspectRatio='none'><style>path{fill:none;vector-effect:non-scaling-stroke}</style>",
        "<pattern id='t' width='1' height='100' patternUnits='userSpaceOnUse'><path d='M0,96v4' stroke='#888'/></pattern>",
        f"<rect width='{width}' height='100' fill='url(#t)'/><path d='M0,{y(0)}H{width}' stroke='#aaa'/>",
    ]
    for colour, points in zip(COLOURS, series.values()):
        kept = list(points)[::-1][::step][::-1]  # thin from the start, keep the last day
        if kept:
            d = "L".join(f"{(day - first).days},{y(float(v))}" for day, v in kept)
            parts.append(f"<path d='M{d}' stroke='#{colour}' stroke-width='2'/>")
    return "".join(parts) + "</svg>"


def overview_svg_markdown(series: Series, title: str) -> str:
    """A markdown image (SVG data URI) of the lines plus a legend, under INLINE_MARKDOWN_LIMIT characters.

    x is the day (one tick per day), y the 30-day net selling; long series keep every
    n-th point (the smallest n that fits), always with their last day. Raises when even
    the first and last points do not fit, which would mean too many issuers.
    """
    series = {label: points for label, points in list(series.items())[: len(COLOURS)] if points}
    days = sorted({p[0] for points in series.values() for p in points})
    legend = ", ".join(f"{label} ({colour_name})" for label, colour_name in zip(series, _COLOUR_NAMES))
    if not days:
        return f"_{title}: no net selling to plot_"
    first, span = days[0], (days[-1] - days[0]).days
    longest = max(len(points) for points in series.values())
    for step in range(1, longest + 1):
        svg = _svg(series, first, span, step).replace(" ", "%20").replace("#", "%23")
        markdown = f"![{title}](data:image/svg+xml,{svg})\n\n{first} .. {days[-1]}: {legend}"
        if len(markdown) < INLINE_MARKDOWN_LIMIT:
            return markdown
    raise ValueError(f"the net-selling overview of {len(series)} issuers does not fit in {INLINE_MARKDOWN_LIMIT} characters")


_COLOUR_NAMES = ("blue", "orange", "green", "red", "purple", "brown")


def write_png(data: bytes, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
