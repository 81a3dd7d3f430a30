"""The days the synthetic mirror publishes: EDGAR business days (edgar.business_days)
minus Good Friday, an exchange holiday on which insiders rarely trade or file, so that a
generated day is one on which both EDGAR and the US exchanges are open."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from functools import lru_cache

from pandas.tseries.holiday import GoodFriday

from form4_assets.edgar import business_days as edgar


@lru_cache(maxsize=None)
def good_friday(year: int) -> dt.date:
    return GoodFriday.dates(dt.date(year, 1, 1), dt.date(year, 12, 31))[0].date()


def is_business_day(day: dt.date) -> bool:
    """True when the synthetic mirror publishes an index for ``day``."""
    return edgar.is_business_day(day) and day != good_friday(day.year)


def business_days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """The mirror's publishing days from ``start`` to ``end`` inclusive, in order."""
    return (day for day in edgar.business_days(start, end) if day != good_friday(day.year))
