"""EDGAR business days: the days EDGAR is open and publishes a daily index.

Monday to Friday except US federal holidays, as pandas' `USFederalHolidayCalendar`
computes them (with the federal observation rule: a holiday on Saturday is observed the
Friday before, one on Sunday the Monday after, so New Year's Day on a Saturday is
observed on 31 December of the previous year; Juneteenth from 2021). Good Friday is an
EDGAR business day: the exchanges close, EDGAR does not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from functools import lru_cache

from pandas.tseries.holiday import USFederalHolidayCalendar

_CALENDAR = USFederalHolidayCalendar()


@lru_cache(maxsize=None)
def _holidays_named(year: int) -> tuple[tuple[dt.date, str], ...]:
    # A margin around the year: an observed date can fall in the year before its holiday's.
    named = _CALENDAR.holidays(start=f"{year - 1}-12-01", end=f"{year + 1}-01-31", return_name=True)
    return tuple(sorted((ts.date(), str(name)) for ts, name in named.items() if ts.year == year))


def holidays(year: int) -> dict[dt.date, str]:
    """The weekday federal holidays of ``year`` (EDGAR closed), with their names."""
    return dict(_holidays_named(year))


def holidays_in(first_year: int, last_year: int) -> list[dt.date]:
    """The weekday federal holidays of the years ``first_year`` to ``last_year``, in order.

    One calendar query for the whole span: pandas spends about 10 ms per query whatever
    its span, so a century of years queried one by one (`holidays`) costs a second.
    """
    found = _CALENDAR.holidays(start=f"{first_year - 1}-12-01", end=f"{last_year + 1}-01-31")
    return [ts.date() for ts in found if first_year <= ts.year <= last_year]


@lru_cache(maxsize=None)
def _holiday_set(year: int) -> frozenset[dt.date]:
    return frozenset(d for d, _ in _holidays_named(year))


def is_business_day(day: dt.date) -> bool:
    """True when EDGAR is open on ``day`` (and publishes a daily index for it)."""
    return day.weekday() < 5 and day not in _holiday_set(day.year)


def business_days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """EDGAR business days from ``start`` to ``end`` inclusive, in order."""
    day = start
    while day <= end:
        if is_business_day(day):
            yield day
        day += dt.timedelta(days=1)
