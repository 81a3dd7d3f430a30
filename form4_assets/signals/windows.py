"""The window inputs of insider_signals, read once for a block of filing dates.

For each date D of the block the screens need, per issuer filing on D, the open-market
rows counting as of D (filed on or before D, not superseded by an amendment filed by
then) with transaction dates in the windows ending on D, the (owner, issuer, year)
classes insider_patterns had published by D, and the late rows of filing_timeliness
filed in the 90 days to D. `WindowInputs` reads all of these for the whole block at
once (transaction dates from the longest window before the block's first date to its
last date, filings up to its last date, with each accession's first supersession), and
`groups_as_of` gives for one date exactly the groups the per-date SQL statements gave:
per issuer and accession in filing order, the rows filed after D never counted.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections import defaultdict
from decimal import Decimal
from typing import Any, NamedTuple

import sqlalchemy as sa

from form4_assets.aggregates.sql import ZERO, fetch, table
from form4_assets.signals.patterns import OPPORTUNISTIC
from form4_assets.tables import WINDOWS

LONGEST = max(WINDOWS)


class _Row(NamedTuple):
    """One open-market non-derivative effective row, as the screens read it."""

    filing_date: dt.date
    accession: str
    owner: str
    code: str
    trans_date: dt.date
    shares: Decimal | None
    dollars: Decimal | None
    planned: bool | None
    name: str | None
    is_officer: Any
    is_director: Any
    is_ten_pct_owner: Any


def _first_superseded(conn: sa.Connection, accessions: sa.Select, last: dt.date) -> dict[str, dt.date]:
    """The first date (up to `last`) an amendment superseded each of `accessions` (absent: never by then)."""
    sup = table("supersessions")
    query = (sa.select(sup.c.SUPERSEDED_ACCESSION, sa.func.min(sup.c.FILING_DATE).label("ON"))
             .where(sup.c.SUPERSEDED_ACCESSION.in_(accessions), sup.c.FILING_DATE <= last)
             .group_by(sup.c.SUPERSEDED_ACCESSION))
    return {r["SUPERSEDED_ACCESSION"]: r["ON"] for r in fetch(conn, query)}


class WindowInputs:
    """What the windows of the filing dates `days` (ascending) read, taken in by a few queries."""

    def __init__(self, conn: sa.Connection, days: list[dt.date], span: int = LONGEST) -> None:
        self.last = days[-1]
        since = days[0] - dt.timedelta(days=max(LONGEST, span) - 1)
        et, ip, ft = table("effective_transactions"), table("insider_patterns"), table("filing_timeliness")
        rows = (
            sa.select(et.c.ISSUERCIK, et.c.FILING_DATE, et.c.ACCESSION_NUMBER, et.c.RPTOWNERCIK, et.c.TRANS_CODE,
                      et.c.TRANS_DATE, et.c.TRANS_SHARES, et.c.TRANS_DOLLARS, et.c.PLAN_10B5_1, et.c.RPTOWNERNAME,
                      et.c.IS_OFFICER, et.c.IS_DIRECTOR, et.c.IS_TEN_PCT_OWNER)
            .where(et.c.TRANS_DATE.between(since, self.last), et.c.FILING_DATE <= self.last,
                   et.c.TRANS_TABLE == "nonderiv", et.c.TRANS_CODE.in_(("P", "S")), et.c.RPTOWNERCIK.is_not(None),
                   et.c.ISSUERCIK.is_not(None))
        )
        by_issuer: dict[str, list[_Row]] = defaultdict(list)
        for issuer, *values in conn.execute(rows):
            by_issuer[issuer].append(_Row(*values))
        # Each issuer's rows by transaction date (a date's window is then one slice), and those dates.
        self.rows = {issuer: sorted(found, key=lambda r: r.trans_date) for issuer, found in by_issuer.items()}
        self.trans_dates = {issuer: [r.trans_date for r in found] for issuer, found in self.rows.items()}
        late = (
            sa.select(ft.c.ISSUERCIK, ft.c.FILING_DATE, ft.c.ACCESSION_NUMBER, sa.func.count().label("ROWS"))
            .where(ft.c.FILING_DATE.between(days[0] - dt.timedelta(days=LONGEST - 1), self.last),
                   ft.c.IS_LATE.is_(True), ft.c.ISSUERCIK.is_not(None))
            .group_by(ft.c.ISSUERCIK, ft.c.FILING_DATE, ft.c.ACCESSION_NUMBER)
            .order_by(ft.c.FILING_DATE, ft.c.ACCESSION_NUMBER)
        )
        self.late: dict[str, list[tuple[dt.date, str, int]]] = defaultdict(list)
        for issuer, filed, accession, count in conn.execute(late):
            self.late[issuer].append((filed, accession, int(count)))
        accessions = sa.union(sa.select(et.c.ACCESSION_NUMBER).where(rows.whereclause),
                              sa.select(ft.c.ACCESSION_NUMBER).where(late.whereclause)).subquery()
        self.superseded = _first_superseded(conn, sa.select(accessions.c.ACCESSION_NUMBER), self.last)
        classes = (
            sa.select(ip.c.RPTOWNERCIK, ip.c.ISSUERCIK, ip.c.YEAR, sa.func.min(ip.c.FILING_DATE).label("FIRST"))
            .where(ip.c.CLASS == OPPORTUNISTIC, ip.c.YEAR >= since.year, ip.c.FILING_DATE <= self.last)
            .group_by(ip.c.RPTOWNERCIK, ip.c.ISSUERCIK, ip.c.YEAR)
        )
        self.opportunistic: dict[tuple[str, str, int], dt.date] = {
            (owner, issuer, int(year)): first for owner, issuer, year, first in conn.execute(classes)
        }

    def _counts(self, accession: str, filing_date: dt.date, day: dt.date) -> bool:
        on = self.superseded.get(accession)
        return filing_date <= day and (on is None or on > day)

    def groups_as_of(self, day: dt.date, issuers: set[str], cluster_days: int) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """Per screen ("opportunistic", "cluster", "sales", "late"), per issuer of `issuers`, the groups
        the screens sum for partition `day` (in filing order, as the per-date statements gave them)."""
        if day > self.last:
            raise ValueError(f"window inputs read up to {self.last}, not {day}")
        since = {n: day - dt.timedelta(days=n - 1) for n in WINDOWS}
        cluster_since = day - dt.timedelta(days=cluster_days - 1)
        out: dict[str, dict[str, list[dict[str, Any]]]] = {k: {} for k in ("opportunistic", "cluster", "sales", "late")}
        for issuer in issuers:
            opportunistic, buyers, sales = self._issuer_groups(issuer, day, since, cluster_since)
            if opportunistic:
                out["opportunistic"][issuer] = [opportunistic[k] for k in sorted(opportunistic)]
            if buyers:
                out["cluster"][issuer] = [buyers[k] for k in sorted(buyers, key=lambda k: (k[1], k[2]))]
            if sales is not None:
                out["sales"][issuer] = [sales]
            late = [{"ACCESSION_NUMBER": a, "ROWS": n} for filed, a, n in self.late.get(issuer, ())
                    if since[LONGEST] <= filed and self._counts(a, filed, day)]
            if late:
                out["late"][issuer] = late
        return out

    def _issuer_groups(
        self, issuer: str, day: dt.date, since: dict[int, dt.date], cluster_since: dt.date
    ) -> tuple[dict[tuple, dict[str, Any]], dict[tuple, dict[str, Any]], dict[str, Decimal] | None]:
        """One issuer's opportunistic groups (by filing date and accession), cluster buyers (by buyer,
        filing date and accession) and 90-day sales (None without a sale) as of `day`."""
        opportunistic: dict[tuple, dict[str, Any]] = {}
        buyers: dict[tuple, dict[str, Any]] = {}
        sold, planned, any_sale = ZERO, ZERO, False
        superseded, classes, longest = self.superseded, self.opportunistic, since[LONGEST]
        rows, dates = self.rows.get(issuer, []), self.trans_dates.get(issuer, [])
        for r in rows[bisect_left(dates, min(longest, cluster_since)) : bisect_right(dates, day)]:
            on = superseded.get(r.accession)
            if r.filing_date > day or (on is not None and on <= day):
                continue  # not yet filed, or superseded by then
            buy = r.code == "P"
            if r.trans_date >= longest:
                if not buy:
                    any_sale = True
                    if r.shares is not None:
                        sold += r.shares
                        if r.planned is True:
                            planned += r.shares
                first = classes.get((r.owner, issuer, r.trans_date.year))
                if first is not None and first <= day:
                    g = opportunistic.get((r.filing_date, r.accession))
                    if g is None:
                        g = opportunistic[(r.filing_date, r.accession)] = _opportunistic_group(r.accession)
                    for n, (bought, sold_key, dollars) in _OPP_KEYS.items():
                        if r.trans_date >= since[n]:
                            if r.shares is not None:
                                g[bought if buy else sold_key] += r.shares
                            if r.dollars is not None:
                                g[dollars] += r.dollars if buy else -r.dollars
            if buy and r.trans_date >= cluster_since:
                key = (r.owner, r.filing_date, r.accession, r.name, r.is_officer, r.is_director, r.is_ten_pct_owner)
                g = buyers.get(key)
                if g is None:
                    g = buyers[key] = {
                        "ISSUERCIK": issuer, "RPTOWNERCIK": r.owner, "FILING_DATE": r.filing_date,
                        "ACCESSION_NUMBER": r.accession, "RPTOWNERNAME": r.name, "IS_OFFICER": r.is_officer,
                        "IS_DIRECTOR": r.is_director, "IS_TEN_PCT_OWNER": r.is_ten_pct_owner, "DOLLARS": None}
                if r.dollars is not None:
                    g["DOLLARS"] = r.dollars if g["DOLLARS"] is None else g["DOLLARS"] + r.dollars
        return opportunistic, buyers, {"SOLD": sold, "PLANNED": planned} if any_sale else None


#: Per window, the opportunistic group's purchase, sale and net-dollar columns.
_OPP_KEYS = {n: (f"OPP_BUY_SHARES_{n}D", f"OPP_SELL_SHARES_{n}D", f"OPP_NET_BUY_DOLLARS_{n}D") for n in WINDOWS}


def _opportunistic_group(accession: str) -> dict[str, Any]:
    group: dict[str, Any] = {"ACCESSION_NUMBER": accession}
    for n in WINDOWS:
        group.update({f"OPP_BUY_SHARES_{n}D": ZERO, f"OPP_SELL_SHARES_{n}D": ZERO, f"OPP_NET_BUY_DOLLARS_{n}D": ZERO})
    return group
