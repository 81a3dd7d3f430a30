"""The net-selling plot attached to net_insider_selling: a PNG drawn with matplotlib's Agg backend.

A PNG renders in the Dagster UI inside a markdown metadata entry (as a data URI), with
no front-end plugin; the same file is kept under the data directory for reports.
The figure is built on a `Figure` object, not pyplot, so no global state leaks between
runs in one process.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

Series = Mapping[str, Sequence[tuple[dt.date, Decimal]]]


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
    fig.autofmt_xdate()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def write_png(data: bytes, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
