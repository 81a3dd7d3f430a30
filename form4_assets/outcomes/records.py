"""insider_track_records: did following this insider pay, as known on a date?

Partition D summarises, for every insider with a trade_outcomes row written on D, all of
that insider's trades' current outcome rows as of D (form4_assets.outcomes.trades), per
insider (ISSUERCIK 'ALL') and per insider and issuer, in segments: all trades; by
insider_patterns class (routine, opportunistic, unclassified: Cohen, Malloy & Pomorski
find the information in the opportunistic trades); by Rule 10b5-1 plan vs discretionary.

A trade's *edge* is its excess return in the direction it bet: EXCESS for a purchase,
−EXCESS for a sale (a sale before the price fell was right). The hit rate is the share
of measured trades with a positive edge; mean and median are of the edges. All are
ratios rounded half-even to four places (form4_assets.outcomes.measure.rounded).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from form4_assets.aggregates.sql import fetch, table
from form4_assets.outcomes.measure import rounded
from form4_assets.outcomes.trades import current_outcomes
from form4_assets.tables import HORIZONS, TRACK_SEGMENTS

ALL_ISSUERS = "ALL"


def edge(row: dict[str, Any], days: int) -> Decimal | None:
    """The trade's excess return in its direction over `days` (None when not measured)."""
    excess = row.get(f"EXCESS_{days}D")
    if excess is None:
        return None
    return excess if row["TRANS_CODE"] == "P" else -excess


def segments_of(row: dict[str, Any]) -> list[str]:
    """The segments a trade counts in: all, its class (when classified), plan or discretionary."""
    out = ["all"]
    if row.get("CLASS") in TRACK_SEGMENTS:
        out.append(row["CLASS"])
    out.append("plan" if row.get("PLAN_10B5_1") else "discretionary")
    return out


def summarise(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Counts, hit rate, mean and median edge per horizon of some trades' outcome rows."""
    out: dict[str, Any] = {
        "TRADES": len(rows),
        "PURCHASES": sum(r["TRANS_CODE"] == "P" for r in rows),
        "SALES": sum(r["TRANS_CODE"] == "S" for r in rows),
    }
    for days in HORIZONS:
        edges = [e for e in (edge(r, days) for r in rows) if e is not None]
        h = f"{days}D"
        out[f"MEASURED_{h}"] = len(edges)
        out[f"HIT_RATE_{h}"] = rounded(Decimal(sum(e > 0 for e in edges)) / len(edges)) if edges else None
        out[f"MEAN_EXCESS_{h}"] = rounded(sum(edges, Decimal(0)) / len(edges)) if edges else None
        out[f"MEDIAN_EXCESS_{h}"] = rounded(statistics.median(edges)) if edges else None
    return out


def track_records(day: dt.date, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The insider_track_records rows of `day` from the current outcome rows of some insiders."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        for segment in segments_of(r):
            groups[(r["RPTOWNERCIK"], ALL_ISSUERS, segment)].append(r)
            groups[(r["RPTOWNERCIK"], r["ISSUERCIK"], segment)].append(r)
    out = []
    order = {s: i for i, s in enumerate(TRACK_SEGMENTS)}
    for (owner, issuer, segment), members in sorted(groups.items(), key=lambda g: (g[0][0], g[0][1], order[g[0][2]])):
        latest = max(members, key=lambda r: (r["TRADE_FILING_DATE"], r["ACCESSION_NUMBER"]))
        out.append({
            "FILING_DATE": day, "RPTOWNERCIK": owner, "ISSUERCIK": issuer, "SEGMENT": segment,
            "RPTOWNERNAME": latest["RPTOWNERNAME"],
            "ISSUERTRADINGSYMBOL": None if issuer == ALL_ISSUERS else latest["ISSUERTRADINGSYMBOL"],
            **summarise(members),
        })
    return out


def compute_insider_track_records(conn: sa.Connection, day: dt.date) -> list[dict[str, Any]]:
    """The rows partition `day` writes: the insiders whose outcomes it wrote, over all their trades."""
    to = table("trade_outcomes")
    owners = {r["RPTOWNERCIK"] for r in fetch(conn, sa.select(to.c.RPTOWNERCIK).where(to.c.FILING_DATE == day).distinct())}
    if not owners:
        return []
    return track_records(day, current_outcomes(conn, day, owners))
