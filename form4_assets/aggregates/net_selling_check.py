"""The net_insider_selling check: every date's windows against running totals of the issuer-days.

An independent route from the builder (form4_assets.aggregates.net_selling), which
re-sums each changed issuer's window from its versions: here each issuer-day's latest
version is added to a window when it enters it, taken out when it leaves, and swapped
when a newer version is filed, and every written row must equal those totals exactly
(Decimal equality; NET = SELL − BUY within each row too).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from form4_assets.aggregates.reconcile import DATE_BLOCK
from form4_assets.aggregates.sql import CHUNK, ZERO, fetch, table
from form4_assets.tables import WINDOWS
from form4_assets.warehouse.checks_sql import CheckOutcome

#: issuer_daily_activity columns the net-selling windows sum.
_WINDOW_UNITS = ("SELL_SHARES", "BUY_SHARES", "SELL_DOLLARS", "BUY_DOLLARS")
#: (sold, bought, net) columns of net_insider_selling compared, per window and unit.
_CHECKED = tuple((f"SELL_{unit}_{w}D", f"BUY_{unit}_{w}D", f"NET_SELL_{unit}_{w}D")
                 for w in WINDOWS for unit in ("SHARES", "DOLLARS"))


def amount(value: Decimal | None) -> Decimal:
    """A stored amount, NULL as zero."""
    return ZERO if value is None else value


def reconcile_net_selling(conn: sa.Connection, dates: Sequence[dt.date]) -> CheckOutcome:
    """net_insider_selling of all of `dates` (see reconcile_net_selling_by_date), as one finding."""
    finding = CheckOutcome()
    for day_finding in reconcile_net_selling_by_date(conn, dates).values():
        finding.extend(day_finding)
    return finding


def reconcile_net_selling_by_date(conn: sa.Connection, dates: Sequence[dt.date]) -> dict[dt.date, CheckOutcome]:
    """net_insider_selling of each of `dates` versus running Decimal totals over the latest issuer-day versions.

    The builder re-sums an issuer's window from its versions; this keeps running totals
    instead: walking the dates in order, an issuer-day's latest version is added to each
    window it enters, taken out of each window it leaves, and swapped when a newer version
    is filed; each date's totals must equal what was written, exactly. Every date of a
    backfill is checked (a date written but not checked would report as passed without
    being so), and each date's finding is its own, so each can be reported on its
    partition. Versions are read once, a block of dates at a time, and forgotten once they
    leave every later window, so a date costs what changed on it, not its whole window.

    Every row of every date is verified, but not every row is read: after the first date,
    an issuer whose totals did not move, whose written row equals (in SQL) its row of the
    previous date, and that passed there, is right by induction; the others (totals moved,
    row differs, or wrong before) are read and compared in full. The findings are those a
    full comparison gives.
    """
    wanted = sorted(set(dates))
    by_date: dict[dt.date, CheckOutcome] = {}
    if not wanted:
        return by_date
    ida = table("issuer_daily_activity")
    totals = _RunningTotals()
    read_to: dt.date | None = None
    previous: tuple[dt.date, set[str]] | None = None  # the last date checked and its failing issuers
    for block_start in range(0, len(wanted), DATE_BLOCK):
        block = wanted[block_start : block_start + DATE_BLOCK]
        query = sa.select(
            ida.c.FILING_DATE, ida.c.ISSUERCIK, ida.c.TRANS_DATE, *(ida.c[unit] for unit in _WINDOW_UNITS),
            ida.c.SELL_ROWS, ida.c.BUY_ROWS,
        ).where(ida.c.TRANS_DATE.between(block[0] - dt.timedelta(days=max(WINDOWS) - 1), wanted[-1]),
                ida.c.FILING_DATE <= block[-1])
        if read_to is not None:
            query = query.where(ida.c.FILING_DATE > read_to)
        versions = fetch(conn, query.order_by(ida.c.FILING_DATE))
        read_to = block[-1]
        position = 0
        for day in block:
            while position < len(versions) and versions[position]["FILING_DATE"] <= day:
                totals.file(versions[position])
                position += 1
            expected = totals.advance(day)
            if previous is None:
                written = _written(conn, day, None)
            else:
                suspects = totals.moved | previous[1] | _differing(conn, day, previous[0])
                written = _written(conn, day, suspects)
                expected = {i: expected[i] for i in suspects if i in expected}
            finding, failing = _compare_net_selling(day, expected, written)
            finding.checked = _count(conn, day)
            by_date[day] = finding
            previous = (day, failing)
    return by_date


_CHECKED_COLUMNS = tuple(c for cols in _CHECKED for c in cols)


def _count(conn: sa.Connection, day: dt.date) -> int:
    nis = table("net_insider_selling")
    return int(conn.execute(sa.select(sa.func.count()).where(nis.c.FILING_DATE == day)).scalar_one())


def _written(conn: sa.Connection, day: dt.date, issuers: set[str] | None) -> dict[str, dict[str, Any]]:
    """The checked columns of the rows of `day` (only `issuers`' when given), by issuer."""
    nis = table("net_insider_selling")
    query = sa.select(nis.c.ISSUERCIK, *(nis.c[c] for c in _CHECKED_COLUMNS)).where(nis.c.FILING_DATE == day)
    if issuers is not None and len(issuers) <= CHUNK:
        query = query.where(nis.c.ISSUERCIK.in_(sorted(issuers)))
    return {r["ISSUERCIK"]: r for r in fetch(conn, query) if issuers is None or r["ISSUERCIK"] in issuers}


def _differing(conn: sa.Connection, day: dt.date, before: dt.date) -> set[str]:
    """Issuers whose row of `day` differs from their row of `before` in a checked column, or is only in one."""
    nis = table("net_insider_selling")
    now, then = nis.alias("now"), nis.alias("then")
    moved = sa.select(now.c.ISSUERCIK).select_from(
        now.outerjoin(then, (then.c.FILING_DATE == before) & (then.c.ISSUERCIK == now.c.ISSUERCIK))
    ).where(now.c.FILING_DATE == day, then.c.ISSUERCIK.is_(None)
            | sa.or_(*(now.c[c].is_distinct_from(then.c[c]) for c in _CHECKED_COLUMNS)))
    gone = sa.select(then.c.ISSUERCIK).where(then.c.FILING_DATE == before, ~sa.exists().where(
        now.c.FILING_DATE == day, now.c.ISSUERCIK == then.c.ISSUERCIK))
    return set(conn.execute(moved).scalars()) | set(conn.execute(gone).scalars())


class _RunningTotals:
    """Per issuer, the 30- and 90-day sums of the latest issuer-day versions, kept by adding and
    taking out each issuer-day's contribution as it is filed, enters or leaves a window."""

    def __init__(self) -> None:
        self.latest: dict[tuple[str, dt.date], tuple[dict[str, Decimal], int]] = {}
        self.counted: dict[tuple[str, dt.date], tuple[dict[str, Decimal], int, tuple[int, ...]]] = {}
        self.on_date: dict[dt.date, set[str]] = {}
        self.sums: dict[str, dict[str, Decimal]] = {}
        self.rows: dict[str, int] = {}
        self.filed: set[tuple[str, dt.date]] = set()
        self.previous: dt.date | None = None
        self.moved: set[str] = set()  # the issuers whose sums may have changed on the latest date

    def file(self, r: dict[str, Any]) -> None:
        """A version filed by the coming date: it replaces the issuer-day's earlier one."""
        key = (r["ISSUERCIK"], r["TRANS_DATE"])
        self.latest[key] = ({unit: amount(r[unit]) for unit in _WINDOW_UNITS}, r["SELL_ROWS"] + r["BUY_ROWS"])
        self.on_date.setdefault(key[1], set()).add(key[0])
        self.filed.add(key)

    def _move(self, key: tuple[str, dt.date], day: dt.date) -> None:
        issuer, trans_date = key
        sums = self.sums.setdefault(issuer, {})
        old = self.counted.pop(key, None)
        if old is not None:
            amounts, rows, windows = old
            for window in windows:
                for unit, amount in amounts.items():
                    sums[f"{unit}_{window}D"] -= amount
            self.rows[issuer] -= rows
        windows = tuple(w for w in WINDOWS if day - dt.timedelta(days=w - 1) <= trans_date <= day)
        if windows and key in self.latest:
            amounts, rows = self.latest[key]
            for window in windows:
                for unit, amount in amounts.items():
                    sums[f"{unit}_{window}D"] = sums.get(f"{unit}_{window}D", ZERO) + amount
            self.rows[issuer] = self.rows.get(issuer, 0) + (rows if max(WINDOWS) in windows else 0)
            self.counted[key] = (amounts, rows if max(WINDOWS) in windows else 0, windows)

    def advance(self, day: dt.date) -> dict[str, dict[str, Decimal]]:
        """Move to `day`; per issuer with open-market rows in the 90 days, its window sums (by column)."""
        if self.previous is None:
            moved = set(self.latest)
        else:
            crossing = [self.previous + dt.timedelta(days=n) for n in range(1, (day - self.previous).days + 1)]
            for w in WINDOWS:
                left_from, left_to = self.previous - dt.timedelta(days=w - 1), day - dt.timedelta(days=w)
                crossing += [left_from + dt.timedelta(days=n) for n in range((left_to - left_from).days + 1)]
            moved = {(i, d) for d in crossing for i in self.on_date.get(d, ())} | self.filed
        for key in moved:
            self._move(key, day)
        self.moved = {issuer for issuer, _ in moved}
        self.filed = set()
        start = day - dt.timedelta(days=max(WINDOWS) - 1)
        for gone in [d for d in self.on_date if d < start]:
            for issuer in self.on_date.pop(gone):
                self.latest.pop((issuer, gone), None)
        self.previous = day
        return {issuer: self.sums[issuer] for issuer, rows in self.rows.items() if rows > 0}


def _compare_net_selling(
    day: dt.date, expected: dict[str, dict[str, Decimal]], written: dict[str, dict[str, Any]]
) -> tuple[CheckOutcome, set[str]]:
    """Exact equality of every window figure (NET expected as SELL − BUY of the expected sums),
    and NET = SELL − BUY within each written row; the finding and the issuers that failed."""
    finding = CheckOutcome(checked=len(written))
    failing: set[str] = set()

    def add(problem: dict[str, Any]) -> None:
        finding.add(problem)
        failing.add(problem["ISSUERCIK"])

    for issuer in sorted(set(expected) | set(written)):
        row, want = written.get(issuer), expected.get(issuer)
        if row is None or want is None:
            add({"FILING_DATE": day, "ISSUERCIK": issuer, "column": "(row)",
                 "written": row is not None, "expected": want is not None})
            continue
        for sell, buy, net in _CHECKED:
            sold, bought = want.get(sell, ZERO), want.get(buy, ZERO)
            for column, exp in ((sell, sold), (buy, bought), (net, sold - bought)):
                got = amount(row[column])
                if got != exp:
                    add({"FILING_DATE": day, "ISSUERCIK": issuer, "column": column, "written": got, "expected": exp})
            difference = amount(row[sell]) - amount(row[buy])
            if amount(row[net]) != difference:
                add({"FILING_DATE": day, "ISSUERCIK": issuer, "column": f"{net} = SELL - BUY",
                     "written": amount(row[net]), "expected": difference})
    return finding, failing
