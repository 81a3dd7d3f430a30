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

from form4_assets.aggregates.sql import chunks, fetch, superseded_as_of, table

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


def _year_range(first: int, last: int) -> tuple[dt.date, dt.date]:
    return dt.date(first, 1, 1), dt.date(last, 12, 31)


Key = tuple[str, str, int]  # (owner, issuer, year)


class PatternInputs:
    """What the insider_patterns partitions of the filing dates `days` (ascending) read, by a few queries.

    - the open-market rows filed on the block's dates (the (owner, issuer, year) keys each writes);
    - per key, the year's rows filed up to the block's last date, with each accession's first
      supersession: the year's counts as of each date are taken from them;
    - per key, the prior years' trades as known when the year began (filed by 31 December of
      the year before, not superseded by then): counted per transaction date by SQL, once per
      block, since they are the same on every date of the year.
    """

    def __init__(self, conn: sa.Connection, days: list[dt.date]) -> None:
        et = table("effective_transactions")
        self.last = days[-1]
        filed = sa.select(et.c.FILING_DATE, et.c.ACCESSION_NUMBER, et.c.RPTOWNERCIK, et.c.ISSUERCIK, et.c.TRANS_DATE,
                          et.c.TRANS_CODE, et.c.RPTOWNERNAME, et.c.ISSUERTRADINGSYMBOL).where(
            et.c.FILING_DATE.between(days[0], self.last), open_market(et), et.c.TRANS_DATE.is_not(None))
        self.filed: dict[dt.date, list[dict[str, Any]]] = defaultdict(list)
        issuers_of: dict[int, set[str]] = defaultdict(set)
        for r in fetch(conn, filed.order_by(et.c.ACCESSION_NUMBER)):
            self.filed[r["FILING_DATE"]].append(r)
            issuers_of[r["TRANS_DATE"].year].add(r["ISSUERCIK"])
        self.year_rows: dict[Key, list[tuple[dt.date, str, str]]] = defaultdict(list)
        self.prior: dict[Key, dict[int, dict[str, Any]]] = defaultdict(dict)  # key -> prior year -> months, counts
        accessions: set[str] = set()
        # By issuer, each year apart: the (ISSUERCIK, TRANS_DATE, FILING_DATE) index reads those issuers'
        # rows of those years only, and a late trade of a distant year does not widen the others' range.
        for year in sorted(issuers_of):
            year_start = dt.date(year - 1, 12, 31)
            for batch in chunks(issuers_of[year]):
                current = sa.select(et.c.RPTOWNERCIK, et.c.ISSUERCIK, et.c.FILING_DATE, et.c.ACCESSION_NUMBER,
                                    et.c.TRANS_CODE).where(
                    open_market(et), et.c.ISSUERCIK.in_(batch), et.c.FILING_DATE <= self.last,
                    et.c.TRANS_DATE.between(*_year_range(year, year)))
                for owner, issuer, filing_date, accession, code in conn.execute(current):
                    self.year_rows[(owner, issuer, year)].append((filing_date, accession, code))
                    accessions.add(accession)
                prior = sa.select(et.c.RPTOWNERCIK, et.c.ISSUERCIK, et.c.TRANS_DATE, et.c.TRANS_CODE,
                                  sa.func.count().label("ROWS")).where(
                    open_market(et), et.c.ISSUERCIK.in_(batch), et.c.FILING_DATE <= year_start,
                    et.c.TRANS_DATE.between(*_year_range(year - LOOKBACK_YEARS, year - 1)),
                    ~superseded_as_of(et.c.ACCESSION_NUMBER, year_start),
                ).group_by(et.c.RPTOWNERCIK, et.c.ISSUERCIK, et.c.TRANS_DATE, et.c.TRANS_CODE)
                for owner, issuer, trans_date, code, rows in conn.execute(prior):
                    seen = self.prior[(owner, issuer, year)].setdefault(
                        trans_date.year, {"months": set(), "P": 0, "S": 0})
                    seen["months"].add(trans_date.month)
                    seen[code] += int(rows)
        self.superseded = superseded_dates(conn, accessions)

    def year_counts(self, key: Key, day: dt.date) -> tuple[int, int]:
        """(purchases, sales) of the key's year as known on `day`: filed by then, not superseded by then."""
        counts = {"P": 0, "S": 0}
        for filing_date, accession, code in self.year_rows.get(key, ()):
            on = self.superseded.get(accession)
            if filing_date <= day and (on is None or on > day):
                counts[code] += 1
        return counts["P"], counts["S"]


def compute_insider_patterns(conn: sa.Connection, day: dt.date, inputs: PatternInputs) -> list[dict[str, Any]]:
    """The insider_patterns rows partition `day` writes: each (owner, issuer, year) of the day's open-market trades."""
    if day > inputs.last:
        raise ValueError(f"pattern inputs read up to {inputs.last}, not {day}")
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    touched: set[Key] = set()
    for r in inputs.filed.get(day, ()):  # in accession order: the pair's last is its latest filing of the day
        latest[(r["RPTOWNERCIK"], r["ISSUERCIK"])] = r
        touched.add((r["RPTOWNERCIK"], r["ISSUERCIK"], r["TRANS_DATE"].year))
    out: list[dict[str, Any]] = []
    for owner, issuer, year in sorted(touched):
        prior = inputs.prior.get((owner, issuer, year), {})
        routine_months, cls = classify({y: seen["months"] for y, seen in prior.items()}, year)
        named = latest[(owner, issuer)]
        row: dict[str, Any] = {
            "FILING_DATE": day, "RPTOWNERCIK": owner, "ISSUERCIK": issuer, "YEAR": year,
            "RPTOWNERNAME": named["RPTOWNERNAME"], "ISSUERTRADINGSYMBOL": named["ISSUERTRADINGSYMBOL"],
            "ROUTINE_MONTHS": ",".join(str(m) for m in routine_months) or None, "CLASS": cls,
        }
        row["PURCHASES_Y"], row["SALES_Y"] = inputs.year_counts((owner, issuer, year), day)
        for k in range(1, LOOKBACK_YEARS + 1):
            seen = prior.get(year - k, {"P": 0, "S": 0})
            row[f"PURCHASES_Y{k}"], row[f"SALES_Y{k}"] = seen["P"], seen["S"]
        out.append(row)
    return out
