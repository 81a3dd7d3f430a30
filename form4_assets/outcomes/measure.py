"""Forward returns of one event (a trade's filing, a signal) as known on a date.

The entry is the close of the filing date, the first price the public could act on: a
filing accepted after 16:00 New York time (the SEC header's ACCEPTANCE-DATETIME, Eastern)
enters at the next trading day's close, and a filing date that is not a trading day at
the next one. Horizons count trading days of the book's calendar after the entry. As of
a date D nothing after D is read: an entry after D is pending, a horizon whose exit day
is after D (or past the end of the data) is empty, and DAYS_AVAILABLE says how far the
prices reach.

Returns are ratios rounded half-even to `PLACES` (the warehouse's four: one basis
point); an excess return is the rounded return minus the rounded benchmark return,
exactly.
"""

from __future__ import annotations

import bisect
import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any

from form4_assets.prices.book import PriceBook
from form4_assets.tables import DECIMAL_PLACES, HORIZONS

PLACES = DECIMAL_PLACES
QUANTUM = Decimal(1).scaleb(-PLACES)
MARKET_CLOSE = dt.time(16, 0)
MEASURED, PENDING, NO_ENTRY_CLOSE, DATA_ENDS = "measured", "pending_entry", "no_entry_close", "data_ends"


def rounded(value: Decimal) -> Decimal:
    """A ratio at PLACES, half-even (the one rounding of the outcome tables)."""
    with localcontext() as ctx:
        ctx.prec = 34
        return value.quantize(QUANTUM, rounding=ROUND_HALF_EVEN)


def ratio_return(start: Decimal, end: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 34
        return rounded(end / start - 1)


def entry_start(filing_date: dt.date, accepted: dt.datetime | None) -> tuple[dt.date, str]:
    """(first day whose close may be the entry, rule): after 16:00 on the filing date, the next day."""
    if accepted is None:
        return filing_date, "no_acceptance_time"
    if accepted.date() >= filing_date and accepted.time() > MARKET_CLOSE:
        return accepted.date() + dt.timedelta(days=1), "after_close_next_day"
    return filing_date, "filing_date_close"


def empty_outcome() -> dict[str, Any]:
    """Every price column of an outcome row, empty."""
    row: dict[str, Any] = dict.fromkeys(("ENTRY_RULE", "ENTRY_DATE", "ENTRY_PRICE", "ENTRY_SOURCE", "BENCHMARK",
                                         "BENCH_ENTRY_PRICE", "DAYS_AVAILABLE", "PRICE_ISSUES"))
    for days in HORIZONS:
        row.update(dict.fromkeys((f"EXIT_DATE_{days}D", f"RETURN_{days}D", f"BENCH_RETURN_{days}D", f"EXCESS_{days}D")))
    return row


def measure(book: PriceBook, ticker: str, filing_date: dt.date, accepted: dt.datetime | None,
            as_of: dt.date) -> tuple[str, dict[str, Any]]:
    """(PRICE_STATUS, the price columns) of an event of `ticker` filed on `filing_date`, as of `as_of`."""
    row = empty_outcome()
    start, rule = entry_start(filing_date, accepted)
    calendar = book.calendar(ticker)
    row["BENCHMARK"] = book.benchmark
    first = bisect.bisect_left(calendar, start)
    if first < len(calendar) and calendar[first] > start and rule == "filing_date_close":
        rule = "next_trading_day"
    row["ENTRY_RULE"] = rule
    if start > as_of or (first < len(calendar) and calendar[first] > as_of):
        return PENDING, row
    if first == len(calendar):
        return DATA_ENDS, row
    entry_day = calendar[first]
    row["ENTRY_DATE"] = entry_day
    series = book.series[ticker]
    entry = series.on(entry_day)
    if entry is None:
        row["PRICE_ISSUES"] = _issues(book, ticker, entry_day, entry_day)
        return NO_ENTRY_CLOSE, row
    bench_series = book.series[book.benchmark] if book.benchmark else None
    bench_entry = bench_series.on(entry_day) if bench_series else None
    row.update(ENTRY_PRICE=entry.text, ENTRY_SOURCE=entry.source, BENCH_ENTRY_PRICE=bench_entry.text if bench_entry else None)
    reach = min(as_of, series.last)
    last = bisect.bisect_right(calendar, reach) - 1
    available = max(last - first, 0)
    row["DAYS_AVAILABLE"] = available
    for days in HORIZONS:
        if days > available:
            continue
        exit_day = calendar[first + days]
        h = f"{days}D"
        row[f"EXIT_DATE_{h}"] = exit_day
        end = series.on(exit_day)
        if end is not None:
            row[f"RETURN_{h}"] = ratio_return(entry.price, end.price)
        bench_end = bench_series.on(exit_day) if bench_series else None
        if bench_entry is not None and bench_end is not None:
            row[f"BENCH_RETURN_{h}"] = ratio_return(bench_entry.price, bench_end.price)
        if row[f"RETURN_{h}"] is not None and row[f"BENCH_RETURN_{h}"] is not None:
            row[f"EXCESS_{h}"] = row[f"RETURN_{h}"] - row[f"BENCH_RETURN_{h}"]
    row["PRICE_ISSUES"] = _issues(book, ticker, entry_day, calendar[first + min(available, max(HORIZONS))])
    return MEASURED, row


def _issues(book: PriceBook, ticker: str, first: dt.date, last: dt.date) -> str | None:
    found = book.issues_between(ticker, first, last)
    return "; ".join(f"{i.kind} {i.ticker} {i.day}: {i.detail}" for i in found) or None


def event_days(row: dict[str, Any], filed: dt.date) -> set[dt.date]:
    """The days on which something about the event becomes known: filing, entry, each horizon's exit."""
    days = {filed}
    if row.get("ENTRY_DATE"):
        days.add(row["ENTRY_DATE"])
    days.update(row[f"EXIT_DATE_{d}D"] for d in HORIZONS if row.get(f"EXIT_DATE_{d}D"))
    return days


def event_windows(book: PriceBook, day: dt.date, lookback: dt.timedelta) -> list[tuple[dt.date, dt.date]]:
    """Filing-date ranges whose events (filing, entry, a horizon's exit) can fall on `day`.

    With a benchmark every event is counted on its calendar: an entry on session j comes
    from a filing dated after session j − 1 (or on it, after the close) up to session j, so
    the filings whose entry or exit is `day` lie in ``[cal[j−1], cal[j]]`` for j = i, i − 5,
    i − 21, ... Without one each ticker has its own calendar: the whole lookback.
    """
    if book.benchmark is None:
        return [(day - lookback, day)]
    calendar = book.series[book.benchmark].days
    i = bisect.bisect_left(calendar, day)
    windows = [(day, day)]
    if i < len(calendar) and calendar[i] == day:
        for h in (0, *HORIZONS):
            j = i - h
            if j >= 0:
                windows.append((calendar[j - 1] if j > 0 else calendar[j] - lookback, calendar[j]))
    return windows
