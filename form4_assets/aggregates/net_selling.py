"""net_insider_selling: rolling 30- and 90-day net selling per issuer, as of a filing date.

One SQL statement per date reads only the issuer-day rows of the 90-day window: a
ROW_NUMBER() window picks each issuer-day's latest version known on the date, a second
one the latest name and ticker, then conditional SUMs give both windows at once. It
runs unchanged on SQLite (3.25+) and PostgreSQL. PostgreSQL sums NUMERIC exactly;
SQLite sums its REAL storage, so sums are rounded on the way out: dollars to cents,
shares to the schema's 8 decimals.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from form4_assets.aggregates.sql import ZERO, fetch, money, table

WINDOWS: tuple[int, ...] = (30, 90)
_SHARE_PLACES = Decimal("0.00000001")
#: (output stem, issuer_daily_activity column) summed per window.
_SUMMED: tuple[tuple[str, str], ...] = (
    ("SELL_SHARES", "SELL_SHARES"),
    ("BUY_SHARES", "BUY_SHARES"),
    ("SELL_DOLLARS", "SELL_DOLLARS"),
    ("BUY_DOLLARS", "BUY_DOLLARS"),
    ("SELL_SHARES_DISC", "SELL_SHARES_DISCRETIONARY"),
    ("BUY_SHARES_DISC", "BUY_SHARES_DISCRETIONARY"),
    ("SELL_DOLLARS_DISC", "SELL_DOLLARS_DISCRETIONARY"),
    ("BUY_DOLLARS_DISC", "BUY_DOLLARS_DISCRETIONARY"),
)


_VERSION_COLUMNS = (
    "ISSUERCIK", "TRANS_DATE", "FILING_DATE", "ISSUERNAME", "ISSUERTRADINGSYMBOL", "BUY_ROWS", "SELL_ROWS",
    *(column for _, column in _SUMMED),
)


def window_query(day: dt.date) -> sa.Select:
    """Per issuer with open-market rows in the 90 days to `day`: both windows' sums."""
    ida = table("issuer_daily_activity")
    start = {w: day - dt.timedelta(days=w - 1) for w in WINDOWS}
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
        .where(ida.c.TRANS_DATE.between(start[max(WINDOWS)], day), ida.c.FILING_DATE <= day)
        .subquery("versions")
    )
    v = versions.c
    sums = []
    for w in WINDOWS:
        in_window = v.TRANS_DATE >= start[w]
        for stem, column in _SUMMED:
            sums.append(sa.func.sum(sa.case((in_window, v[column]), else_=0)).label(f"{stem}_{w}D"))
    latest_open_market = sa.case(((v.BUY_ROWS + v.SELL_ROWS) > 0, v.TRANS_DATE))
    return (
        sa.select(
            v.ISSUERCIK,
            sa.func.max(sa.case((v.name_rank == 1, v.ISSUERNAME))).label("ISSUERNAME"),
            sa.func.max(sa.case((v.name_rank == 1, v.ISSUERTRADINGSYMBOL))).label("ISSUERTRADINGSYMBOL"),
            sa.func.max(latest_open_market).label("LAST_TRANS_DATE"),
            *sums,
        )
        .where(v.version_rank == 1)
        .group_by(v.ISSUERCIK)
        .having(sa.func.sum(v.BUY_ROWS + v.SELL_ROWS) > 0)
        .order_by(v.ISSUERCIK)
    )


def _number(value: Any) -> Decimal:
    return ZERO if value is None else Decimal(str(value))


def compute_net_insider_selling(conn: sa.Connection, day: dt.date) -> list[dict[str, Any]]:
    """The net_insider_selling rows partition `day` writes."""
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
            s = {stem: _number(r[f"{stem}_{w}D"]) for stem, _ in _SUMMED}
            shares = {k: v.quantize(_SHARE_PLACES) for k, v in s.items() if "SHARES" in k}
            cash = {k: money(v) for k, v in s.items() if "DOLLARS" in k}
            row.update(
                {
                    f"SELL_SHARES_{w}D": shares["SELL_SHARES"],
                    f"BUY_SHARES_{w}D": shares["BUY_SHARES"],
                    f"NET_SELL_SHARES_{w}D": shares["SELL_SHARES"] - shares["BUY_SHARES"],
                    f"SELL_DOLLARS_{w}D": cash["SELL_DOLLARS"],
                    f"BUY_DOLLARS_{w}D": cash["BUY_DOLLARS"],
                    f"NET_SELL_DOLLARS_{w}D": cash["SELL_DOLLARS"] - cash["BUY_DOLLARS"],
                    f"NET_SELL_SHARES_DISCRETIONARY_{w}D": shares["SELL_SHARES_DISC"] - shares["BUY_SHARES_DISC"],
                    f"NET_SELL_DOLLARS_DISCRETIONARY_{w}D": cash["SELL_DOLLARS_DISC"] - cash["BUY_DOLLARS_DISC"],
                }
            )
        out.append(row)
    return out


def _as_date(value: Any) -> dt.date | None:
    """MAX() over a CASE loses the DATE type on SQLite (a string comes back)."""
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
        out[r["ISSUERCIK"]].append((r["FILING_DATE"], money(r["NET_SELL_DOLLARS_30D"])))
    return out
