"""net_insider_selling: rolling 30- and 90-day net selling per issuer, as of a filing date.

One SQL statement per date, over only the issuer-day rows of the 90-day window (by the
TRANS_DATE index): a ROW_NUMBER() window keeps each issuer-day's latest version known
on the date, a second one marks the latest name and ticker, and conditional SUMs give
both windows per issuer. It runs unchanged on SQLite (3.25+) and PostgreSQL and returns
one row per issuer, however long the history.

The sums are exact on both databases (decimals are NUMERIC on PostgreSQL and integer
counts of 10^-4 on SQLite, see form4_assets.warehouse.schema.ExactDecimal) and nothing is
rounded here: every window figure is the exact sum of the issuer-day figures it covers,
and NET = SELL − BUY exactly (the only rounding in the aggregates is each row's dollars,
TRANS_DOLLARS, to 4 places).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from form4_assets.aggregates.sql import ZERO, fetch, table
from form4_assets.tables import WINDOWS

#: issuer_daily_activity columns summed per window: (sales, purchases) for each measure.
MEASURES: dict[str, tuple[str, str]] = {
    "SHARES": ("SELL_SHARES", "BUY_SHARES"),
    "DOLLARS": ("SELL_DOLLARS", "BUY_DOLLARS"),
    "SHARES_DISCRETIONARY": ("SELL_SHARES_DISCRETIONARY", "BUY_SHARES_DISCRETIONARY"),
    "DOLLARS_DISCRETIONARY": ("SELL_DOLLARS_DISCRETIONARY", "BUY_DOLLARS_DISCRETIONARY"),
}
_VERSION_COLUMNS = (
    "ISSUERCIK", "TRANS_DATE", "FILING_DATE", "ISSUERNAME", "ISSUERTRADINGSYMBOL", "BUY_ROWS", "SELL_ROWS",
    *(column for pair in MEASURES.values() for column in pair),
)


def window_query(day: dt.date) -> sa.Select:
    """Per issuer with open-market rows in the 90 days to `day`: both windows' exact sums."""
    ida = table("issuer_daily_activity")
    starts = {w: day - dt.timedelta(days=w - 1) for w in WINDOWS}
    versions = (
        sa.select(
            *(ida.c[c] for c in _VERSION_COLUMNS),
            sa.func.row_number()
            .over(partition_by=(ida.c.ISSUERCIK, ida.c.TRANS_DATE), order_by=ida.c.FILING_DATE.desc())
            .label("version_rank"),
            sa.func.row_number()
            .over(partition_by=ida.c.ISSUERCIK, order_by=(ida.c.TRANS_DATE.desc(), ida.c.FILING_DATE.desc()))
            .label("name_rank"),
        )
        .where(ida.c.TRANS_DATE.between(starts[max(WINDOWS)], day), ida.c.FILING_DATE <= day)
        .subquery("versions")
    )
    v = versions.c
    sums = [
        sa.func.sum(sa.case((v.TRANS_DATE >= starts[w], v[column]), else_=0)).label(f"{column}_{w}D")
        for w in WINDOWS
        for pair in MEASURES.values()
        for column in pair
    ]
    open_market = (v.BUY_ROWS + v.SELL_ROWS) > 0
    return (
        sa.select(
            v.ISSUERCIK,
            sa.func.max(sa.case((v.name_rank == 1, v.ISSUERNAME))).label("ISSUERNAME"),
            sa.func.max(sa.case((v.name_rank == 1, v.ISSUERTRADINGSYMBOL))).label("ISSUERTRADINGSYMBOL"),
            sa.func.max(sa.case((open_market, v.TRANS_DATE))).label("LAST_TRANS_DATE"),
            *sums,
        )
        .where(v.version_rank == 1)
        .group_by(v.ISSUERCIK)
        .having(sa.func.sum(v.BUY_ROWS + v.SELL_ROWS) > 0)
        .order_by(v.ISSUERCIK)
    )


def compute_net_insider_selling(conn: sa.Connection, day: dt.date) -> list[dict[str, Any]]:
    """The net_insider_selling rows partition `day` writes: issuers with open-market rows in 90 days."""
    out: list[dict[str, Any]] = []
    for r in fetch(conn, window_query(day)):
        row: dict[str, Any] = {
            "FILING_DATE": day,
            "ISSUERCIK": r["ISSUERCIK"],
            "ISSUERNAME": r["ISSUERNAME"],
            "ISSUERTRADINGSYMBOL": r["ISSUERTRADINGSYMBOL"],
            "LAST_TRANS_DATE": _as_date(r["LAST_TRANS_DATE"]),
        }
        for w in WINDOWS:
            for measure, (sell, buy) in MEASURES.items():
                row[f"NET_SELL_{measure}_{w}D"] = (r[f"{sell}_{w}D"] or ZERO) - (r[f"{buy}_{w}D"] or ZERO)
            for column in ("SELL_SHARES", "BUY_SHARES", "SELL_DOLLARS", "BUY_DOLLARS"):
                row[f"{column}_{w}D"] = r[f"{column}_{w}D"] or ZERO
        out.append(row)
    return out


def _as_date(value: Any) -> dt.date | None:
    """MAX() over a CASE comes back as text on SQLite, as a date on PostgreSQL."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


TOP_COLUMNS = ("ISSUERTRADINGSYMBOL", "ISSUERNAME", "ISSUERCIK", "NET_SELL_DOLLARS_30D", "NET_SELL_SHARES_30D",
               "NET_SELL_DOLLARS_DISCRETIONARY_30D", "NET_SELL_DOLLARS_90D")


def top_movers(conn: sa.Connection, day: dt.date, n: int = 10) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The `n` largest 30-day net sellers and net buyers (by dollars) as of `day`."""
    nis = table("net_insider_selling")
    base = sa.select(*(nis.c[c] for c in TOP_COLUMNS)).where(nis.c.FILING_DATE == day)
    sellers = base.where(nis.c.NET_SELL_DOLLARS_30D > 0).order_by(nis.c.NET_SELL_DOLLARS_30D.desc(), nis.c.ISSUERCIK)
    buyers = base.where(nis.c.NET_SELL_DOLLARS_30D < 0).order_by(nis.c.NET_SELL_DOLLARS_30D, nis.c.ISSUERCIK)
    return fetch(conn, sellers.limit(n)), fetch(conn, buyers.limit(n))


def history(conn: sa.Connection, issuers: list[str], start: dt.date, end: dt.date) -> dict[str, list[tuple[dt.date, Decimal]]]:
    """30-day net selling dollars per issuer over the as-of dates start … end."""
    nis = table("net_insider_selling")
    query = (
        sa.select(nis.c.ISSUERCIK, nis.c.FILING_DATE, nis.c.NET_SELL_DOLLARS_30D)
        .where(nis.c.ISSUERCIK.in_(issuers), nis.c.FILING_DATE.between(start, end))
        .order_by(nis.c.ISSUERCIK, nis.c.FILING_DATE)
    )
    out: dict[str, list[tuple[dt.date, Decimal]]] = {i: [] for i in issuers}
    for r in fetch(conn, query):
        out[r["ISSUERCIK"]].append((r["FILING_DATE"], r["NET_SELL_DOLLARS_30D"]))
    return out
