"""The net-selling plot: ticks on whole days, and an Overview version the UI shows inline."""

from __future__ import annotations

import datetime as dt
import random
import re
from decimal import Decimal

from matplotlib.figure import Figure

from form4_assets.aggregates.charts import (
    INLINE_MARKDOWN_LIMIT,
    _daily_ticks,
    net_selling_png,
    overview_svg_markdown,
)

START = dt.date(2023, 5, 1)


def series(issuers: int, days: int) -> dict[str, list[tuple[dt.date, Decimal]]]:
    rng = random.Random(7)
    dates = [START + dt.timedelta(d) for d in range(days) if (START + dt.timedelta(d)).weekday() < 5]
    return {f"T{i}": [(d, Decimal(rng.randint(-5_000_000, 9_000_000))) for d in dates] for i in range(issuers)}


def test_ticks_fall_on_whole_days_for_short_and_long_windows() -> None:
    for first, last in ((START, START), (START, START + dt.timedelta(4)), (START, START + dt.timedelta(180))):
        ax = Figure().add_subplot()
        ax.plot([first, last], [0, 1])
        _daily_ticks(ax, first, last)
        ticks = ax.get_xticks()
        assert len(ticks) >= 1
        assert all(float(t).is_integer() for t in ticks), (first, last, ticks)  # matplotlib dates count days
        assert len([t for t in ticks if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]) <= 11
    assert net_selling_png(series(3, 5), "t").startswith(b"\x89PNG")


def test_the_overview_plot_fits_the_inline_limit_and_keeps_every_line() -> None:
    for issuers, days in ((1, 1), (5, 5), (5, 181)):
        markdown = overview_svg_markdown(series(issuers, days), "30-day net insider selling")
        assert len(markdown) < INLINE_MARKDOWN_LIMIT, (issuers, days, len(markdown))
        assert markdown.startswith("![30-day net insider selling](data:image/svg+xml,<svg")
        assert len(re.findall(r"stroke-width='2'", markdown)) == issuers  # one line per issuer
        assert "patternUnits='userSpaceOnUse'" in markdown  # the daily ticks
        assert all(f"T{i} (" in markdown for i in range(issuers))  # the legend
    assert overview_svg_markdown({}, "t") == "_t: no net selling to plot_"
