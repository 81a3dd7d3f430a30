"""Invariants of the outcome tables, each recomputed by another route.

- trade_outcomes (`outcomes_reconcile`): every open-market row of effective_transactions
  filed on D has its row on D; no row reads a price after its FILING_DATE (entry and
  exit days on or before it: no look-ahead); each return recomputes from the price
  book's closes on ENTRY_DATE and EXIT_DATE, and EXCESS = RETURN − BENCH_RETURN.
- trade_outcomes (`prices_mapped`, a warning): the rows of D whose trade could not be
  measured (no symbol, a symbol the price source lacks, no close on the entry day, data
  ending before it), listed: the mapping misses.
- insider_track_records (`records_reconcile`): per insider, TRADES of the ALL/all row
  equals a SQL COUNT of the insider's distinct trades in trade_outcomes filed by D and
  not superseded by D; PURCHASES + SALES = TRADES; plan + discretionary = all; the
  class segments add up to at most all.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa

from form4_assets.warehouse.checks_sql import CheckOutcome
from form4_assets.aggregates.sql import fetch, superseded_as_of, table
from form4_assets.outcomes.measure import MEASURED, PENDING, ratio_return
from form4_assets.outcomes.records import ALL_ISSUERS
from form4_assets.prices.book import PriceBook
from form4_assets.tables import HORIZONS


def _returns_wrong(row: dict, book: PriceBook) -> list[str]:
    wrong = []
    series = book.series.get(row["TICKER"] or "")
    bench = book.series.get(book.benchmark) if book.benchmark else None
    entry = series.on(row["ENTRY_DATE"]) if series and row["ENTRY_DATE"] else None
    if row["PRICE_STATUS"] == MEASURED and (entry is None or entry.text != row["ENTRY_PRICE"]):
        wrong.append("ENTRY_PRICE")
    for days in HORIZONS:
        h = f"{days}D"
        exit_day = row[f"EXIT_DATE_{h}"]
        if exit_day is not None and (exit_day > row["FILING_DATE"] or (row["ENTRY_DATE"] and exit_day <= row["ENTRY_DATE"])):
            wrong.append(f"EXIT_DATE_{h}")
        end = series.on(exit_day) if series and exit_day else None
        expected = ratio_return(entry.price, end.price) if entry and end else None
        if row[f"RETURN_{h}"] != expected:
            wrong.append(f"RETURN_{h}")
        if row[f"RETURN_{h}"] is not None and row[f"BENCH_RETURN_{h}"] is not None:
            if row[f"EXCESS_{h}"] != row[f"RETURN_{h}"] - row[f"BENCH_RETURN_{h}"]:
                wrong.append(f"EXCESS_{h}")
        elif row[f"EXCESS_{h}"] is not None:
            wrong.append(f"EXCESS_{h}")
        bench_start = bench.on(row["ENTRY_DATE"]) if bench and row["ENTRY_DATE"] else None
        bench_end = bench.on(exit_day) if bench and exit_day else None
        if bench_start and bench_end and row[f"BENCH_RETURN_{h}"] != ratio_return(bench_start.price, bench_end.price):
            wrong.append(f"BENCH_RETURN_{h}")
    if row["ENTRY_DATE"] is not None and row["ENTRY_DATE"] > row["FILING_DATE"]:
        wrong.append("ENTRY_DATE")
    return wrong


def outcomes_reconcile(conn: sa.Connection, dates: Sequence[dt.date], book: PriceBook) -> CheckOutcome:
    et, to = table("effective_transactions"), table("trade_outcomes")
    finding = CheckOutcome()
    for day in sorted(set(dates)):
        source = {(r["ACCESSION_NUMBER"], r["TRANS_SK"]) for r in fetch(conn, sa.select(
            et.c.ACCESSION_NUMBER, et.c.TRANS_SK).where(
            et.c.FILING_DATE == day, et.c.TRANS_TABLE == "nonderiv", et.c.TRANS_CODE.in_(("P", "S")),
            et.c.RPTOWNERCIK.is_not(None)))}
        rows = fetch(conn, sa.select(to).where(to.c.FILING_DATE == day))
        finding.checked += len(rows)
        filed_today = {(r["ACCESSION_NUMBER"], r["TRANS_SK"]) for r in rows if r["TRADE_FILING_DATE"] == day}
        for accession, sk in sorted(source - filed_today):
            finding.add({"accession": accession, "table": "nonderiv", "sk": sk, "filing_date": day, "found": "missing"})
        for r in rows:
            wrong = _returns_wrong(r, book)
            if wrong:
                finding.add({"accession": r["ACCESSION_NUMBER"], "table": r["TRANS_TABLE"], "sk": r["TRANS_SK"],
                             "column": ",".join(wrong), "ticker": r["TICKER"]})
    return finding


def prices_mapped(conn: sa.Connection, dates: Sequence[dt.date]) -> CheckOutcome:
    to = table("trade_outcomes")
    finding = CheckOutcome()
    for day in sorted(set(dates)):
        rows = fetch(conn, sa.select(to.c.ACCESSION_NUMBER, to.c.TRANS_TABLE, to.c.TRANS_SK, to.c.ISSUERCIK,
                                     to.c.ISSUERTRADINGSYMBOL, to.c.PRICE_STATUS, to.c.ENTRY_DATE)
                     .where(to.c.FILING_DATE == day))
        finding.checked += len(rows)
        for r in rows:
            if r["PRICE_STATUS"] not in (MEASURED, PENDING):
                finding.add({"accession": r["ACCESSION_NUMBER"], "table": r["TRANS_TABLE"], "sk": r["TRANS_SK"],
                             "code": r["PRICE_STATUS"], "found": r["ISSUERTRADINGSYMBOL"], "issuer": r["ISSUERCIK"]})
    return finding


def records_reconcile(conn: sa.Connection, dates: Sequence[dt.date]) -> CheckOutcome:
    to, tr = table("trade_outcomes"), table("insider_track_records")
    finding = CheckOutcome()
    for day in sorted(set(dates)):
        rows = fetch(conn, sa.select(tr).where(tr.c.FILING_DATE == day))
        finding.checked += len(rows)
        owners = sorted({r["RPTOWNERCIK"] for r in rows})
        trades = sa.select(to.c.RPTOWNERCIK, to.c.ACCESSION_NUMBER, to.c.TRANS_TABLE, to.c.TRANS_SK).where(
            to.c.FILING_DATE <= day, to.c.RPTOWNERCIK.in_(owners), ~superseded_as_of(to.c.ACCESSION_NUMBER, day),
        ).distinct().subquery()
        counted = {r["RPTOWNERCIK"]: r["N"] for r in fetch(conn, sa.select(
            trades.c.RPTOWNERCIK, sa.func.count().label("N")).group_by(trades.c.RPTOWNERCIK))} if owners else {}
        by_group: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
        for r in rows:
            by_group[(r["RPTOWNERCIK"], r["ISSUERCIK"])][r["SEGMENT"]] = r["TRADES"]
            if r["PURCHASES"] + r["SALES"] != r["TRADES"]:
                finding.add({"issuer": r["ISSUERCIK"], "owner": r["RPTOWNERCIK"], "column": "TRADES", "segment": r["SEGMENT"]})
        for (owner, issuer), seg in sorted(by_group.items()):
            total = seg.get("all", 0)
            if issuer == ALL_ISSUERS and total != counted.get(owner, 0):
                finding.add({"owner": owner, "issuer": issuer, "column": "TRADES", "expected": counted.get(owner, 0),
                             "found": total})
            if seg.get("plan", 0) + seg.get("discretionary", 0) != total or \
                    sum(seg.get(c, 0) for c in ("routine", "opportunistic", "unclassified")) > total:
                finding.add({"owner": owner, "issuer": issuer, "column": "SEGMENT", "found": seg})
    return finding
