"""Compute and write the outcome tables for a set of filing dates, one transaction per date and table.

Like the aggregates (form4_assets.aggregates.build.per_day): dates in ascending order,
each committed before the next, since a date's track records read the outcome rows of
earlier dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import partial

import sqlalchemy as sa

from form4_assets.aggregates.build import per_day
from form4_assets.outcomes.records import compute_insider_track_records
from form4_assets.outcomes.signals import compute_signal_outcomes
from form4_assets.outcomes.trades import compute_trade_outcomes
from form4_assets.prices.book import PriceBook


def build_trade_outcomes(engine: sa.Engine, dates: Sequence[dt.date], book: PriceBook) -> dict[str, int]:
    return per_day(engine, dates, "trade_outcomes", partial(compute_trade_outcomes, book=book))


def build_insider_track_records(engine: sa.Engine, dates: Sequence[dt.date]) -> dict[str, int]:
    return per_day(engine, dates, "insider_track_records", compute_insider_track_records)


def build_signal_outcomes(engine: sa.Engine, dates: Sequence[dt.date], book: PriceBook) -> dict[str, int]:
    return per_day(engine, dates, "signal_outcomes", partial(compute_signal_outcomes, book=book))


def build_all_outcomes(engine: sa.Engine, dates: Sequence[dt.date], book: PriceBook) -> dict[str, int]:
    """Every outcome table for the dates (after the aggregates and the signals)."""
    written = build_trade_outcomes(engine, dates, book)
    written.update(build_insider_track_records(engine, dates))
    written.update(build_signal_outcomes(engine, dates, book))
    return written
