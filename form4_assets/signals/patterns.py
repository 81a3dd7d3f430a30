"""insider_patterns: routine versus opportunistic insiders (Cohen, Malloy & Pomorski 2012).

"Decoding Inside Information" (Journal of Finance 67(3)) classifies an insider at the
start of each calendar year Y from the open-market trades of the three prior years:
*routine* when the insider traded in the same calendar month in each of Y-1, Y-2 and
Y-3; *opportunistic* when the insider traded in each of those years but never in such
a month; otherwise *unclassified* (not enough history). The opportunistic trades carry
the information (about 82 bp a month value-weighted); the routine ones carry none.

Point in time: the prior years' trades are those filed before Y began, with the
amendments filed by then applied (as known on 31 December of Y-1), so a late filing
or an amendment made during Y never changes Y's class. Counts of Y itself are as known
on the partition date. Open-market trades are non-derivative rows with code P or S,
attributed to the filing's first reporting owner (effective_transactions).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from form4_assets.aggregates.sql import chunks, fetch, table

CODES = ("P", "S")
LOOKBACK_YEARS = 3
ROUTINE, OPPORTUNISTIC, UNCLASSIFIED = "routine", "opportunistic", "unclassified"


def classify(prior_months: Mapping[int, set[int]], year: int) -> tuple[list[int], str]:
    """(routine months, CLASS) for `year` from the months traded in each prior year (known before `year`)."""
    months = [prior_months.get(year - k, set()) for k in range(1, LOOKBACK_YEARS + 1)]
    if not all(months):
        return [], UNCLASSIFIED
    common = sorted(set.intersection(*months))
    return common, ROUTINE if common else OPPORTUNISTIC


def superseded_dates(conn: sa.Connection, accessions: Iterable[str]) -> dict[str, dt.date]:
    """The first date each accession was superseded by an amendment (absent: never)."""
    sup = table("supersessions")
    found: dict[str, dt.date] = {}
    for batch in chunks(accessions):
        q = (
            sa.select(sup.c.SUPERSEDED_ACCESSION, sa.func.min(sup.c.FILING_DATE).label("ON"))
            .where(sup.c.SUPERSEDED_ACCESSION.in_(batch))
            .group_by(sup.c.SUPERSEDED_ACCESSION)
        )
        found.update({r["SUPERSEDED_ACCESSION"]: r["ON"] for r in fetch(conn, q)})
    return found


def open_market(et: sa.Table) -> sa.ColumnElement[bool]:
    return (et.c.TRANS_TABLE == "nonderiv") & et.c.TRANS_CODE.in_(CODES) & et.c.RPTOWNERCIK.is_not(None)


def compute_insider_patterns(conn: sa.Connection, day: dt.date) -> list[dict[str, Any]]:
    """The insider_patterns rows partition `day` writes: each (owner, issuer, year) of the day's open-market trades."""
    et = table("effective_transactions")
    cols = (et.c.ACCESSION_NUMBER, et.c.FILING_DATE, et.c.RPTOWNERCIK, et.c.ISSUERCIK, et.c.TRANS_DATE, et.c.TRANS_CODE)
    today = fetch(conn, sa.select(*cols).where(et.c.FILING_DATE == day, open_market(et), et.c.TRANS_DATE.is_not(None)))
    touched = {(r["RPTOWNERCIK"], r["ISSUERCIK"], r["TRANS_DATE"].year) for r in today}
    if not touched:
        return []
    first_year = min(y for _, _, y in touched) - LOOKBACK_YEARS
    last_year = max(y for _, _, y in touched)
    pairs = {(o, i) for o, i, _ in touched}
    history: list[dict[str, Any]] = []
    # By issuer: the (ISSUERCIK, TRANS_DATE, FILING_DATE) index reads the issuers' rows of these years
    # only (by owner, the transaction-date index would read every issuer's rows of four years, each date).
    for batch in chunks(i for _, i in pairs):
        q = sa.select(*cols, et.c.RPTOWNERNAME, et.c.ISSUERTRADINGSYMBOL).where(
            open_market(et), et.c.ISSUERCIK.in_(batch), et.c.FILING_DATE <= day,
            et.c.TRANS_DATE.between(dt.date(first_year, 1, 1), dt.date(last_year, 12, 31)),
        ).order_by(et.c.FILING_DATE, et.c.ACCESSION_NUMBER)
        history += [r for r in fetch(conn, q) if (r["RPTOWNERCIK"], r["ISSUERCIK"]) in pairs]
    superseded = superseded_dates(conn, {r["ACCESSION_NUMBER"] for r in history})

    def counts_as_of(r: dict[str, Any], as_of: dt.date) -> bool:
        on = superseded.get(r["ACCESSION_NUMBER"])
        return r["FILING_DATE"] <= as_of and (on is None or on > as_of)

    by_pair: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in history:
        by_pair[(r["RPTOWNERCIK"], r["ISSUERCIK"])].append(r)
    out: list[dict[str, Any]] = []
    for owner, issuer, year in sorted(touched):
        rows = by_pair[(owner, issuer)]
        year_start = dt.date(year - 1, 12, 31)
        known = [r for r in rows if r["TRANS_DATE"].year == year and counts_as_of(r, day)]
        prior = [r for r in rows if r["TRANS_DATE"].year < year and counts_as_of(r, year_start)]
        months: dict[int, set[int]] = defaultdict(set)
        for r in prior:
            months[r["TRANS_DATE"].year].add(r["TRANS_DATE"].month)
        routine_months, cls = classify(months, year)
        latest = rows[-1]
        row: dict[str, Any] = {
            "FILING_DATE": day, "RPTOWNERCIK": owner, "ISSUERCIK": issuer, "YEAR": year,
            "RPTOWNERNAME": latest["RPTOWNERNAME"], "ISSUERTRADINGSYMBOL": latest["ISSUERTRADINGSYMBOL"],
            "ROUTINE_MONTHS": ",".join(str(m) for m in routine_months) or None, "CLASS": cls,
        }
        for label, subset in (("Y", known), *((f"Y{k}", [r for r in prior if r["TRANS_DATE"].year == year - k])
                                                for k in range(1, LOOKBACK_YEARS + 1))):
            row[f"PURCHASES_{label}"] = sum(1 for r in subset if r["TRANS_CODE"] == "P")
            row[f"SALES_{label}"] = sum(1 for r in subset if r["TRANS_CODE"] == "S")
        out.append(row)
    return out
