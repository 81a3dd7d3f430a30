"""cluster_buys: three or more insiders buying the same stock on the open market within 10 days.

As of filing date D the window is the 10 transaction dates D-9 … D, read from the
effective transactions known on D (amendments filed by D applied). Insiders are the
first reporting owners of the filings, so a fund and its general partner filing jointly
are one buyer. Purchases with transaction dates further back that are only reported
later (late filings, Form 5) fall outside every window ending on a filing date; the
window follows the filing date because that is when the market learns of the buys.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from form4_assets.aggregates.sql import ZERO, effective_as_of, fetch, table
from form4_assets.codes import PURCHASE

WINDOW_DAYS = 10
MIN_INSIDERS = 3


def compute_cluster_buys(conn: sa.Connection, day: dt.date) -> list[dict[str, Any]]:
    """The cluster_buys rows partition `day` writes: one per buyer of each clustered issuer."""
    et = table("effective_transactions")
    start = day - dt.timedelta(days=WINDOW_DAYS - 1)
    query = effective_as_of(
        day, "ACCESSION_NUMBER", "FILING_DATE", "ISSUERCIK", "ISSUERNAME", "ISSUERTRADINGSYMBOL",
        "RPTOWNERCIK", "RPTOWNERNAME", "ROLE", "TRANS_DATE", "TRANS_SHARES", "TRANS_DOLLARS",
    ).where(
        et.c.TRANS_TABLE == "nonderiv",
        et.c.ACTIVITY == PURCHASE,
        et.c.TRANS_DATE.between(start, day),
        et.c.RPTOWNERCIK.is_not(None),
    ).order_by(et.c.FILING_DATE, et.c.ACCESSION_NUMBER, et.c.TRANS_SK)
    buys: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for r in fetch(conn, query):
        buys[r["ISSUERCIK"]][r["RPTOWNERCIK"]].append(r)
    out: list[dict[str, Any]] = []
    for issuer in sorted(buys):
        buyers = buys[issuer]
        if len(buyers) < MIN_INSIDERS:
            continue
        for owner in sorted(buyers):
            rows = buyers[owner]
            latest = rows[-1]
            out.append(
                {
                    "FILING_DATE": day,
                    "ISSUERCIK": issuer,
                    "RPTOWNERCIK": owner,
                    "ISSUERNAME": latest["ISSUERNAME"],
                    "ISSUERTRADINGSYMBOL": latest["ISSUERTRADINGSYMBOL"],
                    "RPTOWNERNAME": latest["RPTOWNERNAME"],
                    "ROLE": latest["ROLE"],
                    "WINDOW_START": start,
                    "CLUSTER_INSIDERS": len(buyers),
                    "BUY_SHARES": sum((r["TRANS_SHARES"] or ZERO for r in rows), ZERO),
                    "BUY_DOLLARS": sum((r["TRANS_DOLLARS"] or ZERO for r in rows), ZERO),
                    "FIRST_TRANS_DATE": min(r["TRANS_DATE"] for r in rows),
                    "LAST_TRANS_DATE": max(r["TRANS_DATE"] for r in rows),
                    "ACCESSIONS": ",".join(dict.fromkeys(r["ACCESSION_NUMBER"] for r in rows)),
                }
            )
    return out
