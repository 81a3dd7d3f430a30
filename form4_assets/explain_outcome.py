"""Row-level lineage of a trade outcome: from its returns back to the price rows used.

`form4-assets explain-outcome ACCESSION` prints the accession's open-market trades as
effective_transactions holds them, every trade_outcomes row written for them (the
current one marked), and, for the current row, the price rows its returns came from:
ticker and benchmark on the entry day and on each horizon's exit day, each with its
file and line, re-read from the price source now. A stored ENTRY_PRICE that no longer
matches the file is a MISMATCH (exit status 2): the prices changed since the outcome
was measured, so re-materialize it.

Only SQL reads and the price file; no Dagster.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from form4_assets.explain import _fmt
from form4_assets.prices.book import PriceBook
from form4_assets.tables import HORIZONS
from form4_assets.warehouse.schema import TABLES

TRADE_SHOWN = ("TRANS_SK", "TRANS_CODE", "TRANS_DATE", "TRANS_SHARES", "TRANS_PRICEPERSHARE", "RPTOWNERNAME",
               "ISSUERTRADINGSYMBOL", "PLAN_10B5_1")
OUTCOME_SHOWN = ("FILING_DATE", "TRANS_SK", "TICKER", "TICKER_SOURCE", "PRICE_STATUS", "ENTRY_RULE", "ENTRY_DATE",
                 "ENTRY_PRICE", "DAYS_AVAILABLE", *(f"RETURN_{d}D" for d in HORIZONS), *(f"EXCESS_{d}D" for d in HORIZONS))


def _pairs(row: Mapping[str, Any], names: tuple[str, ...]) -> str:
    return "  ".join(f"{n}={_fmt(row.get(n))}" for n in names if row.get(n) is not None)


def explain_outcome(engine: sa.Engine, accession: str, book: PriceBook | None) -> tuple[str, int]:
    """(the text, exit status): 0 explained, 1 unknown accession or no outcome rows, 2 a price MISMATCH."""
    et, to = TABLES["effective_transactions"], TABLES["trade_outcomes"]
    with engine.connect() as conn:
        trades = [dict(r) for r in conn.execute(sa.select(et).where(
            et.c.ACCESSION_NUMBER == accession, et.c.TRANS_TABLE == "nonderiv", et.c.TRANS_CODE.in_(("P", "S"))
        ).order_by(et.c.TRANS_SK)).mappings()]
        outcomes = [dict(r) for r in conn.execute(sa.select(to).where(to.c.ACCESSION_NUMBER == accession).order_by(
            to.c.TRANS_SK, to.c.FILING_DATE)).mappings()]
    lines = [f"accession {accession}"]
    if not trades:
        lines.append("  no open-market trade (P or S) of this accession in effective_transactions")
    for t in trades:
        lines.append(f"  trade (effective_transactions, filed {t['FILING_DATE']}): {_pairs(t, TRADE_SHOWN)}")
    if not outcomes:
        lines.append("  no trade_outcomes rows: materialize the outcome assets with a price source (README: Insider track records)")
        return "\n".join(lines) + "\n", 1
    status = 0
    by_sk: dict[int, list[dict]] = {}
    for r in outcomes:
        by_sk.setdefault(r["TRANS_SK"], []).append(r)
    for sk, rows in by_sk.items():
        lines.append(f"  trade_outcomes of row {sk} (one per as-of date; the last is current):")
        lines += [f"    {'*' if r is rows[-1] else ' '} {_pairs(r, OUTCOME_SHOWN)}" for r in rows]
        current = rows[-1]
        lines.append(f"    entry: {current['ENTRY_RULE']} (accepted {_fmt(current['ACCEPTANCE_DATETIME'])}, "
                     f"filed {current['TRADE_FILING_DATE']})")
        if book is None:
            lines.append("    price rows: no price source given (--prices or FORM4_PRICES_PATH)")
            continue
        if current["ENTRY_DATE"] is None or current["TICKER"] is None:
            continue
        lines.append(f"    price rows used (re-read from {book.source}):")
        days = [("entry", current["ENTRY_DATE"])] + [(f"{d}d exit", current[f"EXIT_DATE_{d}D"]) for d in HORIZONS
                                                     if current[f"EXIT_DATE_{d}D"]]
        for ticker in (current["TICKER"], current["BENCHMARK"]):
            series = book.series.get(ticker) if ticker else None
            for label, day in days:
                if not ticker:
                    continue
                row = series.on(day) if series else None
                found = f"{row.text} at {row.source}" if row else "no close in the price source"
                lines.append(f"      {ticker:<8} {label:<9} {day}  {found}")
        entry = book.series.get(current["TICKER"]).on(current["ENTRY_DATE"]) if book.has(current["TICKER"]) else None
        verdict = "verified" if entry is not None and entry.text == current["ENTRY_PRICE"] else "MISMATCH"
        lines.append(f"    ENTRY_PRICE {current['ENTRY_PRICE']} against the file now: {verdict}")
        if verdict != "verified":
            status = 2
    return "\n".join(lines) + "\n", status
