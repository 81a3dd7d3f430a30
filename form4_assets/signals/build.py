"""Compute and write the signal tables for a set of filing dates, one transaction per date and table.

As for the aggregates, dates go in ascending order and each is committed before the
next: insider_signals of D reads the insider_patterns and filing_timeliness rows of D
and of earlier dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import partial

import sqlalchemy as sa

from form4_assets.aggregates.build import per_day
from form4_assets.signals.patterns import compute_insider_patterns
from form4_assets.signals.plans import compute_trading_plans
from form4_assets.signals.screens import ScreenConfig, compute_insider_signals
from form4_assets.signals.timeliness import compute_filing_timeliness

def build_filing_timeliness(engine: sa.Engine, dates: Sequence[dt.date]) -> dict[str, int]:
    return per_day(engine, dates, "filing_timeliness", compute_filing_timeliness)


def build_trading_plans(engine: sa.Engine, dates: Sequence[dt.date]) -> dict[str, int]:
    return per_day(engine, dates, "trading_plans", compute_trading_plans)


def build_insider_patterns(engine: sa.Engine, dates: Sequence[dt.date]) -> dict[str, int]:
    return per_day(engine, dates, "insider_patterns", compute_insider_patterns)


def build_insider_signals(engine: sa.Engine, dates: Sequence[dt.date], config: ScreenConfig = ScreenConfig()) -> dict[str, int]:
    return per_day(engine, dates, "insider_signals", partial(compute_insider_signals, config=config))


def build_all_signals(engine: sa.Engine, dates: Sequence[dt.date], config: ScreenConfig = ScreenConfig()) -> dict[str, int]:
    """Every signal table for the dates, in dependency order (after the aggregates' effective_transactions)."""
    written: dict[str, int] = {}
    for step in (build_filing_timeliness, build_trading_plans, build_insider_patterns):
        written.update(step(engine, dates))
    written.update(build_insider_signals(engine, dates, config))
    return written
