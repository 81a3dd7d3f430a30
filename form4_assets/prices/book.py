"""A set of daily price series, the trading calendar and what is wrong with the data.

The calendar is the benchmark's dates when a benchmark is configured (an index ETF trades
every session, so a date it has and a stock lacks is a gap in the stock), else each
ticker's own dates. Issues are found once, when the book is built: a benchmark session a
ticker lacks inside its own first..last (`gap`, consecutive sessions as one issue), a row
whose close is empty or "null" (`missing_close`, as Yahoo writes for a missing day), and
a day's price at most 0.55 or at least 1.8 times the previous (`split_like_jump`: a 2:1
split in an unadjusted close is 0.5). Without a benchmark a gap is a step of more than
four calendar days between consecutive rows (a long weekend is at most four).
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

JUMP_DOWN, JUMP_UP = Decimal("0.55"), Decimal("1.8")
MAX_STEP_DAYS = 4


class PriceFileError(ValueError):
    """A price source that cannot be read: which file, line and field, and why."""

    def __init__(self, file: str, line: int | str | None, field: str | None, reason: str) -> None:
        where = ", ".join(p for p in (file, f"line {line}" if isinstance(line, int) else line, field and f"field {field}") if p)
        super().__init__(f"{where}: {reason}")
        self.file, self.line, self.field, self.reason = file, line, field, reason


@dataclass(frozen=True)
class PriceRow:
    """One day's price of one ticker, with where it was read."""

    day: dt.date
    price: Decimal  # the adjusted close when the source has one, else the close
    text: str  # the price exactly as written
    source: str  # file:line (CSV) or file:row (Parquet)


@dataclass(frozen=True)
class PriceIssue:
    kind: str  # gap, missing_close, split_like_jump
    ticker: str
    day: dt.date
    detail: str
    source: str

    def describe(self) -> str:
        return f"{self.kind} {self.ticker} {self.day}: {self.detail} ({self.source})"


@dataclass
class Series:
    """One ticker's rows in date order."""

    ticker: str
    rows: list[PriceRow]
    adjusted: bool  # prices are adjusted closes
    _by_day: dict[dt.date, PriceRow] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.rows.sort(key=lambda r: r.day)
        self._by_day = {r.day: r for r in self.rows}

    @property
    def days(self) -> list[dt.date]:
        return [r.day for r in self.rows]

    @property
    def first(self) -> dt.date:
        return self.rows[0].day

    @property
    def last(self) -> dt.date:
        return self.rows[-1].day

    def on(self, day: dt.date) -> PriceRow | None:
        return self._by_day.get(day)


@dataclass
class PriceBook:
    """Every series of a price source, its benchmark, and the issues found in them."""

    series: dict[str, Series]
    source: str
    benchmark: str | None = None
    issues: list[PriceIssue] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.benchmark is not None and self.benchmark not in self.series:
            raise PriceFileError(self.source, None, "benchmark", f"benchmark {self.benchmark} is not in the price source")
        self.issues.extend(self._find_issues())
        self._issues_by_ticker: dict[str, list[PriceIssue]] = {}
        for issue in sorted(self.issues, key=lambda i: (i.ticker, i.day)):
            self._issues_by_ticker.setdefault(issue.ticker, []).append(issue)

    def has(self, ticker: str) -> bool:
        return ticker in self.series

    def calendar(self, ticker: str) -> list[dt.date]:
        """The trading days returns are counted in (see the module docstring)."""
        return self.series[self.benchmark or ticker].days

    def issues_between(self, ticker: str, first: dt.date, last: dt.date) -> list[PriceIssue]:
        """Issues of `ticker` (and of the benchmark) dated first..last."""
        out = []
        for name in dict.fromkeys(t for t in (ticker, self.benchmark) if t):
            found = self._issues_by_ticker.get(name, [])
            days = [i.day for i in found]
            out += found[bisect.bisect_left(days, first) : bisect.bisect_right(days, last)]
        return out

    def _find_issues(self) -> list[PriceIssue]:
        out: list[PriceIssue] = []
        bench = self.series[self.benchmark].days if self.benchmark else None
        for ticker, series in sorted(self.series.items()):
            rows = series.rows
            for before, after in zip(rows, rows[1:]):
                ratio = after.price / before.price
                if ratio <= JUMP_DOWN or ratio >= JUMP_UP:
                    out.append(PriceIssue("split_like_jump", ticker, after.day,
                                          f"{before.text} on {before.day} to {after.text} (x{ratio:.4f})", after.source))
                if bench is None and (after.day - before.day).days > MAX_STEP_DAYS:
                    out.append(PriceIssue("gap", ticker, before.day + dt.timedelta(days=1),
                                          f"no row from {before.day} to {after.day}", after.source))
            if bench is not None and ticker != self.benchmark and rows:
                out += _gaps(ticker, series, bench)
        return out


def _gaps(ticker: str, series: Series, calendar: list[dt.date]) -> list[PriceIssue]:
    """Runs of benchmark sessions inside the ticker's first..last without a row."""
    start, end = bisect.bisect_left(calendar, series.first), bisect.bisect_right(calendar, series.last)
    missing = [i for i in range(start, end) if series.on(calendar[i]) is None]
    out: list[PriceIssue] = []
    run: list[int] = []
    for i in missing + [-1]:
        if run and (i < 0 or i != run[-1] + 1):
            first, last = calendar[run[0]], calendar[run[-1]]
            after = series.rows[bisect.bisect_right(series.days, last)]
            out.append(PriceIssue("gap", ticker, first, f"{len(run)} trading day(s) without a close: {first}..{last}",
                                  after.source))
            run = []
        if i >= 0:
            run.append(i)
    return out
