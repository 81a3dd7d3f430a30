"""net_insider_selling: rolling 30- and 90-day net selling per issuer, as of a filing date.

As of date D, each issuer-day (ISSUERCIK, TRANS_DATE) of the 90 days to D counts in its
latest version filed on or before D; an issuer has a row when those versions hold
open-market rows, with the exact sums of both windows, the name and ticker of its latest
issuer-day and its latest open-market transaction date.

A run's dates are built by one `NetSellingSweep` in date order: it reads each issuer-day
version once (the versions filed since the previous date, by the (TRANS_DATE,
FILING_DATE) index), and re-sums only the issuers whose window changed (a new version,
or an issuer-day entering or leaving a window); every other issuer's row is the previous
date's. A date therefore costs what changed on it plus writing its rows, not a pass over
the 90-day window, and each date is still written in its own transaction. The
reconciliation check (form4_assets.aggregates.net_selling_check) re-derives every date by
running totals instead.

The sums are exact on both databases (decimals are NUMERIC on PostgreSQL and integer
counts of 10^-4 on SQLite, see form4_assets.warehouse.schema.ExactDecimal), summed as
Decimal and never rounded: every window figure is the exact sum of the issuer-day figures
it covers, and NET = SELL − BUY exactly (the only rounding in the aggregates is each
row's dollars, TRANS_DOLLARS, to 4 places).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from decimal import Decimal
from typing import Any, NamedTuple

import sqlalchemy as sa

from form4_assets.aggregates.sql import CHUNK, ZERO, fetch, table
from form4_assets.tables import WINDOWS
from form4_assets.warehouse.schema import PARTITION_VERSIONS_TABLE
from form4_assets.warehouse.store import Carried, bind_partition, bound_date, replace_partition_carrying_in

#: issuer_daily_activity columns summed per window: (sales, purchases) for each measure.
MEASURES: dict[str, tuple[str, str]] = {
    "SHARES": ("SELL_SHARES", "BUY_SHARES"),
    "DOLLARS": ("SELL_DOLLARS", "BUY_DOLLARS"),
    "SHARES_DISCRETIONARY": ("SELL_SHARES_DISCRETIONARY", "BUY_SHARES_DISCRETIONARY"),
    "DOLLARS_DISCRETIONARY": ("SELL_DOLLARS_DISCRETIONARY", "BUY_DOLLARS_DISCRETIONARY"),
}
_SUMMED = tuple(column for pair in MEASURES.values() for column in pair)
_VERSION_COLUMNS = ("ISSUERCIK", "TRANS_DATE", "FILING_DATE", "ISSUERNAME", "ISSUERTRADINGSYMBOL", "BUY_ROWS",
                    "SELL_ROWS", *_SUMMED)
#: The window columns a row carries besides the NET ones.
_WINDOW_SIDES = ("SELL_SHARES", "BUY_SHARES", "SELL_DOLLARS", "BUY_DOLLARS")
LONGEST = max(WINDOWS)
NAME = "net_insider_selling"
#: Where FILING_DATE is in a bound row (the column order of the table).
_FILING_DATE_AT = [c.name for c in table(NAME).columns].index("FILING_DATE")


class _Version(NamedTuple):
    """What the windows take from one issuer-day version: the summed columns (in `_SUMMED` order), its
    open-market rows, and the issuer's name and ticker on it."""

    amounts: tuple[Decimal, ...]
    open_market_rows: int
    name: str | None
    ticker: str | None


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    """Calendar days first .. last (empty when last < first)."""
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _changed_through(conn: sa.Connection, day: dt.date) -> int | None:
    """The last change in write order (partition_versions) of any issuer_daily_activity partition up to `day`."""
    v = PARTITION_VERSIONS_TABLE
    query = sa.select(sa.func.max(v.c.CHANGED_SEQ)).where(
        v.c.TABLE_NAME == "issuer_daily_activity", v.c.FILING_DATE <= day
    )
    return conn.execute(query).scalar_one()


def _digest_of(conn: sa.Connection, day: dt.date) -> str | None:
    """The recorded digest of the net_insider_selling partition `day` (partition_versions)."""
    v = PARTITION_VERSIONS_TABLE
    query = sa.select(v.c.DIGEST).where(v.c.TABLE_NAME == NAME, v.c.FILING_DATE == day)
    return conn.execute(query).scalar_one_or_none()


class NetSellingSweep:
    """The net_insider_selling rows of ascending filing dates, carried from one date to the next.

    State: each issuer's latest known version of every issuer-day still inside some later
    window, and each issuer's current row. `rows_for(conn, day)` reads only the versions
    filed after the previous date (all versions up to `day` on the first), so it must be
    called in date order, each date after the issuer_daily_activity partitions up to it
    are written. `last` bounds the transaction dates read (nothing after the run's last
    date can count in any of its windows), so an early date costs the same however much
    history is loaded after it. When a partition already taken in has changed since
    (partition_versions: another run wrote it between two of this run's dates), the sweep
    starts over from the warehouse, so every date is what a one-date computation gives.

    Most issuers' rows are the previous date's: `write` binds only the rows that changed
    (keeping each issuer's bound row from date to date, the date swapped in) and `carried`
    copies the others in SQL from the previous partition (when it is still the one this
    sweep wrote, by its digest), so a date binds and sends only what changed, not the whole
    90-day window's issuers.
    """

    def __init__(self, last: dt.date) -> None:
        self.last = last
        self._start_over()

    def _start_over(self) -> None:
        self.previous: dt.date | None = None
        self.versions: dict[str, dict[dt.date, _Version]] = defaultdict(dict)
        self.issuers_on: dict[dt.date, set[str]] = defaultdict(set)
        self.current: dict[str, dict[str, Any]] = {}
        self.seen: int | None = None  # the write order of the issuer-day partitions taken in
        self.changed: set[str] = set()  # the issuers recomputed on the latest date (rows changed or gone)
        self.carry_from: dt.date | None = None  # the date the latest date's other rows are the same as
        self.written: tuple[dt.date, str | None] | None = None  # the last partition written, its digest
        self.bound: dict[str, tuple[Any, ...]] = {}  # each issuer's current row as bound when it last changed

    def _read(self, conn: sa.Connection, day: dt.date) -> set[str]:
        """Take in the versions filed since the previous date; the issuers they touch.

        The first date reads the transaction dates of its window (and up to `last`) by the
        (TRANS_DATE, FILING_DATE) index. Every later date reads only the versions filed since
        the previous one, by the FILING_DATE index, and drops those outside the transaction
        dates in Python: with the window's bounds in SQL the planner would walk the whole
        90-day window's index entries for a day's few hundred versions.
        """
        ida = table("issuer_daily_activity")
        first, last = day - dt.timedelta(days=LONGEST - 1), self.last
        query = sa.select(*(ida.c[c] for c in _VERSION_COLUMNS)).where(ida.c.FILING_DATE <= day)
        if self.previous is None:
            query = query.where(ida.c.TRANS_DATE.between(first, last))
        else:
            query = query.where(ida.c.FILING_DATE > self.previous)
        touched: set[str] = set()
        for r in fetch(conn, query.order_by(ida.c.FILING_DATE)):  # a later version replaces an earlier one
            issuer, trans_date = r["ISSUERCIK"], r["TRANS_DATE"]
            if trans_date is None or not first <= trans_date <= last:
                continue
            amounts = tuple(ZERO if r[c] is None else r[c] for c in _SUMMED)  # SUM skips NULL: as zero
            self.versions[issuer][trans_date] = _Version(amounts, r["BUY_ROWS"] + r["SELL_ROWS"], r["ISSUERNAME"],
                                                         r["ISSUERTRADINGSYMBOL"])
            self.issuers_on[trans_date].add(issuer)
            touched.add(issuer)
        return touched

    def _crossing(self, day: dt.date) -> set[str]:
        """Issuers with an issuer-day entering the range (TRANS_DATE reached) or leaving a window since
        the previous date."""
        if self.previous is None:
            return set(self.versions)
        prev = self.previous
        moved = _days(prev + dt.timedelta(days=1), day)
        for w in WINDOWS:
            moved += _days(prev - dt.timedelta(days=w - 1), day - dt.timedelta(days=w))
        return {issuer for d in moved for issuer in self.issuers_on.get(d, ())}

    def _row(self, issuer: str, day: dt.date) -> dict[str, Any] | None:
        """The issuer's row as of `day` from its versions, or None without open-market rows."""
        start = day - dt.timedelta(days=LONGEST - 1)
        versions = self.versions[issuer]
        for gone in [d for d in versions if d < start]:
            del versions[gone]
        active = sorted((d, v) for d, v in versions.items() if d <= day)
        open_market = [d for d, v in active if v.open_market_rows > 0]
        if not open_market:
            return None
        latest = active[-1][1]
        row: dict[str, Any] = {
            "FILING_DATE": day, "ISSUERCIK": issuer, "ISSUERNAME": latest.name,
            "ISSUERTRADINGSYMBOL": latest.ticker, "LAST_TRANS_DATE": open_market[-1],
        }
        for w in WINDOWS:
            first = day - dt.timedelta(days=w - 1)
            totals = [ZERO] * len(_SUMMED)
            for d, v in active:
                if d >= first:
                    totals = list(map(operator.add, totals, v.amounts))
            sums = dict(zip(_SUMMED, totals))
            for measure, (sell, buy) in MEASURES.items():
                row[f"NET_SELL_{measure}_{w}D"] = sums[sell] - sums[buy]
            for column in _WINDOW_SIDES:
                row[f"{column}_{w}D"] = sums[column]
        return row

    def _advance(self, conn: sa.Connection, day: dt.date) -> None:
        """Move the sweep to `day`: take in what changed and recompute the issuers it touches."""
        if self.previous is not None and day <= self.previous:
            raise ValueError(f"net selling dates must ascend: {day} after {self.previous}")
        if self.previous is not None and _changed_through(conn, self.previous) != self.seen:
            self._start_over()  # a partition taken in was rewritten since (another run): read it all again
        self.carry_from = self.previous
        changed = self._read(conn, day) | self._crossing(day)
        self.changed = changed
        self.seen = _changed_through(conn, day)
        for issuer in changed:
            self.bound.pop(issuer, None)
            row = self._row(issuer, day)
            if row is None:
                self.current.pop(issuer, None)
            else:
                self.current[issuer] = row
        start = day - dt.timedelta(days=LONGEST - 1)
        for gone in [d for d in self.issuers_on if d < start]:
            del self.issuers_on[gone]
        self.previous = day

    def rows_for(self, conn: sa.Connection, day: dt.date) -> list[dict[str, Any]]:
        """The rows partition `day` writes: issuers with open-market rows in the 90 days, by CIK."""
        self._advance(conn, day)
        return [{**self.current[i], "FILING_DATE": day} for i in sorted(self.current)]

    def write(self, conn: sa.Connection, day: dt.date) -> int:
        """Compute partition `day` and replace it (inside the caller's write transaction); rows written.

        Only the recomputed issuers' rows are bound; every other row is the bound tuple of its
        last change with `day` swapped in, and is copied in SQL from the previous partition when
        that is still the one this sweep wrote (`carried`), else inserted from those tuples.
        """
        self._advance(conn, day)
        fresh_issuers = sorted(i for i in self.current if i not in self.bound)
        fresh = bind_partition(conn, NAME, day, [{**self.current[i], "FILING_DATE": day} for i in fresh_issuers])
        self.bound.update(zip(fresh_issuers, fresh))
        self.changed.update(fresh_issuers)  # inserted, so not copied (rows_for leaves a changed issuer unbound)
        carried = self.carried(conn, day)
        stamp = _FILING_DATE_AT
        day_bound = bound_date(conn, day)
        rows = []
        for issuer in sorted(self.current):
            b = self.bound[issuer]
            if b[stamp] != day_bound:
                b = self.bound[issuer] = (*b[:stamp], day_bound, *b[stamp + 1:])
            rows.append(b)
        written = replace_partition_carrying_in(conn, NAME, day, rows, fresh if carried else rows, carried)
        self.wrote(conn, day)
        return written

    def carried(self, conn: sa.Connection, day: dt.date) -> Carried | None:
        """How to copy the rows of `day` not recomputed (`changed`) from the previous date's partition;
        None when there is none in this sweep, or it is no longer the partition this sweep wrote."""
        previous = self.carry_from
        if previous is None or self.written is None or self.written[0] != previous or len(self.changed) > CHUNK:
            return None
        if _digest_of(conn, previous) != self.written[1]:
            return None  # rewritten since by another run: bind every row
        nis = table(NAME)
        day_value = sa.literal(day, sa.Date())
        columns = [day_value.label("FILING_DATE") if c.name == "FILING_DATE" else c for c in nis.columns]
        copy = sa.select(*columns).where(nis.c.FILING_DATE == previous, nis.c.ISSUERCIK.not_in(sorted(self.changed)))
        return Carried(nis.insert().from_select([c.name for c in nis.columns], copy))

    def wrote(self, conn: sa.Connection, day: dt.date) -> None:
        """Remember the partition just written for `day` (its digest), to carry rows from it next."""
        self.written = (day, _digest_of(conn, day))


TOP_COLUMNS = ("ISSUERTRADINGSYMBOL", "ISSUERNAME", "ISSUERCIK", "NET_SELL_DOLLARS_30D", "NET_SELL_SHARES_30D",
               "NET_SELL_DOLLARS_DISCRETIONARY_30D", "NET_SELL_DOLLARS_90D")


def top_movers(conn: sa.Connection, day: dt.date, n: int = 10) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The `n` largest 30-day net sellers and net buyers (by dollars) as of `day`."""
    nis = table(NAME)
    base = sa.select(*(nis.c[c] for c in TOP_COLUMNS)).where(nis.c.FILING_DATE == day)
    sellers = base.where(nis.c.NET_SELL_DOLLARS_30D > 0).order_by(nis.c.NET_SELL_DOLLARS_30D.desc(), nis.c.ISSUERCIK)
    buyers = base.where(nis.c.NET_SELL_DOLLARS_30D < 0).order_by(nis.c.NET_SELL_DOLLARS_30D, nis.c.ISSUERCIK)
    return fetch(conn, sellers.limit(n)), fetch(conn, buyers.limit(n))


def history(conn: sa.Connection, issuers: list[str], start: dt.date, end: dt.date) -> dict[str, list[tuple[dt.date, Decimal]]]:
    """30-day net selling dollars per issuer over the as-of dates start … end."""
    nis = table(NAME)
    query = (
        sa.select(nis.c.ISSUERCIK, nis.c.FILING_DATE, nis.c.NET_SELL_DOLLARS_30D)
        .where(nis.c.ISSUERCIK.in_(issuers), nis.c.FILING_DATE.between(start, end))
        .order_by(nis.c.ISSUERCIK, nis.c.FILING_DATE)
    )
    out: dict[str, list[tuple[dt.date, Decimal]]] = {i: [] for i in issuers}
    for r in fetch(conn, query):
        out[r["ISSUERCIK"]].append((r["FILING_DATE"], r["NET_SELL_DOLLARS_30D"]))
    return out
