"""Which days the synthetic mirror publishes a daily index for.

EDGAR publishes a daily index only on days it is open: Monday to Friday except US
federal holidays. The synthetic mirror additionally skips Good Friday (an exchange
holiday on which insiders rarely trade or file), so that a generated day is one on which
both EDGAR and the US exchanges are open. Federal holidays follow the federal
observation rule: a holiday falling on Saturday is observed on the Friday before, one
falling on Sunday on the Monday after (New Year's Day on a Saturday is therefore observed
on 31 December of the previous year).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from functools import lru_cache


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th (1-based) given weekday (Mon=0) of a month; n=-1 is the last one."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _easter(year: int) -> dt.date:
    """Gregorian Easter Sunday (anonymous Gregorian / Meeus–Jones–Butcher algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _observed(day: dt.date) -> dt.date:
    if day.weekday() == 5:
        return day - dt.timedelta(days=1)
    if day.weekday() == 6:
        return day + dt.timedelta(days=1)
    return day


@lru_cache(maxsize=None)
def _holidays_named(year: int) -> tuple[tuple[dt.date, str], ...]:
    fixed = [
        (dt.date(year, 1, 1), "New Year's Day"),
        (dt.date(year, 7, 4), "Independence Day"),
        (dt.date(year, 11, 11), "Veterans Day"),
        (dt.date(year, 12, 25), "Christmas Day"),
    ]
    if year >= 2021:
        fixed.append((dt.date(year, 6, 19), "Juneteenth"))
    days = [(_observed(d), name) for d, name in fixed]
    # New Year's Day of the next year observed on this year's 31 December.
    if _observed(dt.date(year + 1, 1, 1)).year == year:
        days.append((dt.date(year, 12, 31), "New Year's Day (observed)"))
    days += [
        (_nth_weekday(year, 1, 0, 3), "Martin Luther King Jr. Day"),
        (_nth_weekday(year, 2, 0, 3), "Presidents' Day"),
        (_easter(year) - dt.timedelta(days=2), "Good Friday"),
        (_nth_weekday(year, 5, 0, -1), "Memorial Day"),
        (_nth_weekday(year, 9, 0, 1), "Labor Day"),
        (_nth_weekday(year, 10, 0, 2), "Columbus Day"),
        (_nth_weekday(year, 11, 3, 4), "Thanksgiving Day"),
    ]
    return tuple(sorted((d, n) for d, n in days if d.year == year))


def holidays(year: int) -> dict[dt.date, str]:
    """Weekday holidays of ``year`` with no synthetic daily index, with their names."""
    return dict(_holidays_named(year))


@lru_cache(maxsize=None)
def _holiday_set(year: int) -> frozenset[dt.date]:
    return frozenset(d for d, _ in _holidays_named(year))


def is_business_day(day: dt.date) -> bool:
    """True when the synthetic mirror publishes an index for ``day``."""
    return day.weekday() < 5 and day not in _holiday_set(day.year)


def business_days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """Business days from ``start`` to ``end`` inclusive, in order."""
    day = start
    while day <= end:
        if is_business_day(day):
            yield day
        day += dt.timedelta(days=1)
