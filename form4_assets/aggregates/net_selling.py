"""net_insider_selling: rolling 30- and 90-day net selling per issuer, as of a filing date.

One SQL statement per date reads only the issuer-day rows of the 90-day window (by the
TRANS_DATE index): a ROW_NUMBER() window keeps each issuer-day's latest version known
on the date, a second one marks the latest name and ticker. It runs unchanged on
SQLite (3.25+) and PostgreSQL. The sums are then taken in Python as Decimal over those
few thousand rows, because SQLite would sum its REAL storage in floating point and a
half cent could round either way; dollars are rounded to cents once, after
subtracting (net = round(sales − purchases)).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from form4_assets.aggregates.sql import ZERO, fetch, money, table

WINDOWS: tuple[int, ...] = (30, 90)
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


def window_rows_query(day: dt.date) -> sa.Select:
    """The latest version, as of `day`, of every issuer-day in the 90 days ending on `day`."""
    ida = table("issuer_daily_activity")
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
        .where(ida.c.TRANS_DATE.between(day - dt.timedelta(days=max(WINDOWS) - 1), day), ida.c.FILING_DATE <= day)
        .subquery("versions")
    )
    return sa.select(versions).where(versions.c.version_rank == 1).order_by(versions.c.ISSUERCIK, versions.c.TRANS_DATE)


def compute_net_insider_selling(conn: sa.Connection, day: dt.date) -> list[dict[str, Any]]:
    """The net_insider_selling rows partition `day` writes: issuers with open-market rows in 90 days."""
    starts = {w: day - dt.timedelta(days=w - 1) for w in WINDOWS}
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    names: dict[str, tuple[str | None, str | None]] = {}
    last_trade: dict[str, dt.date] = {}
    for r in fetch(conn, window_rows_query(day)):
        issuer = r["ISSUERCIK"]
        if r["name_rank"] == 1:
            names[issuer] = (r["ISSUERNAME"], r["ISSUERTRADINGSYMBOL"])
        if not (r["BUY_ROWS"] or r["SELL_ROWS"]):
            continue
        last_trade[issuer] = max(r["TRANS_DATE"], last_trade.get(issuer, dt.date.min))
        for w, start in starts.items():
            if r["TRANS_DATE"] >= start:
                for columns in MEASURES.values():
                    for column in columns:
                        sums[issuer][f"{column}_{w}D"] += r[column] or ZERO
    out: list[dict[str, Any]] = []
    for issuer in sorted(last_trade):
        s = sums[issuer]
        name, ticker = names.get(issuer, (None, None))
        row: dict[str, Any] = {"FILING_DATE": day, "ISSUERCIK": issuer, "ISSUERNAME": name,
                               "ISSUERTRADINGSYMBOL": ticker, "LAST_TRANS_DATE": last_trade[issuer]}
        for w in WINDOWS:
            for measure, (sell, buy) in MEASURES.items():
                net = s[f"{sell}_{w}D"] - s[f"{buy}_{w}D"]
                row[f"NET_SELL_{measure}_{w}D"] = money(net) if "DOLLARS" in measure else net
            row[f"SELL_SHARES_{w}D"], row[f"BUY_SHARES_{w}D"] = s[f"SELL_SHARES_{w}D"], s[f"BUY_SHARES_{w}D"]
            row[f"SELL_DOLLARS_{w}D"], row[f"BUY_DOLLARS_{w}D"] = money(s[f"SELL_DOLLARS_{w}D"]), money(s[f"BUY_DOLLARS_{w}D"])
        out.append(row)
    return out


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
        out[r["ISSUERCIK"]].append((r["FILING_DATE"], money(r["NET_SELL_DOLLARS_30D"])))
    return out
