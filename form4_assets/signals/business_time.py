"""EDGAR business-day arithmetic, vectorised with numpy's business-day functions.

An EDGAR business day is a weekday that is not a US federal holiday (Good Friday is
one). The holidays come from `form4_assets.edgar.business_days.holidays_in()`, so the
calendar is defined once.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np

from form4_assets.edgar.business_days import holidays_in

#: Years covered by the calendar: EDGAR ownership filings start in 2003; generous margins.
FIRST_YEAR, LAST_YEAR = 1990, 2100


@lru_cache(maxsize=1)
def edgar_calendar() -> np.busdaycalendar:
    return np.busdaycalendar(holidays=np.array(holidays_in(FIRST_YEAR, LAST_YEAR), dtype="datetime64[D]"))


def _in_range(day: dt.date) -> bool:
    return FIRST_YEAR <= day.year <= LAST_YEAR


@lru_cache(maxsize=1 << 16)  # a day's rows repeat a few hundred (execution, filing) pairs
def business_days_between(start: dt.date, end: dt.date) -> int:
    """EDGAR business days d with start < d <= end (0 when end <= start)."""
    if end <= start:
        return 0
    if not (_in_range(start) and _in_range(end)):
        raise ValueError(f"business days between {start} and {end}: outside {FIRST_YEAR}..{LAST_YEAR}")
    one = np.timedelta64(1, "D")
    return int(np.busday_count(np.datetime64(start) + one, np.datetime64(end) + one, busdaycal=edgar_calendar()))


@lru_cache(maxsize=1 << 14)
def on_or_after(day: dt.date) -> dt.date:
    """The first EDGAR business day on or after `day` (a deadline on a holiday moves forward)."""
    return np.busday_offset(np.datetime64(day), 0, roll="forward", busdaycal=edgar_calendar()).astype(dt.date)


@lru_cache(maxsize=1 << 14)
def business_day_after(day: dt.date, n: int) -> dt.date:
    """The n-th EDGAR business day after `day` (a weekend or holiday `day` counts from the day before)."""
    return np.busday_offset(np.datetime64(day), n, roll="backward", busdaycal=edgar_calendar()).astype(dt.date)

