"""signal_outcomes: the returns after the cluster buys and CEO/CFO buys of insider_signals.

A signal is an insider_signals row with IS_CLUSTER (a cluster buy as configured there) or
with EXEC_BUY_ROWS > 0 (an open-market purchase by a CEO, CFO, president or chair). It
is measured like a trade (form4_assets.outcomes.measure) from its SIGNAL_DATE, with the
latest acceptance time among its accessions filed that day: the signal is complete only
when its last filing is public. Partition D writes the row of each signal of the
days where one of its events can fall on D (measure.event_windows) for which D is an
event day (signal date, entry, a horizon).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from form4_assets.aggregates.sql import chunks, fetch, table
from form4_assets.outcomes.measure import empty_outcome, event_days, event_windows, measure
from form4_assets.outcomes.tickers import TickerMap
from form4_assets.outcomes.trades import LOOKBACK_DAYS
from form4_assets.prices.book import PriceBook

SIGNALS = (("cluster_buy", "CLUSTER_ACCESSIONS"), ("exec_buy", "EXEC_BUY_ACCESSIONS"))


def _signals(conn: sa.Connection, day: dt.date, windows: list[tuple[dt.date, dt.date]]) -> list[dict[str, Any]]:
    s = table("insider_signals")
    q = sa.select(s.c.FILING_DATE, s.c.ISSUERCIK, s.c.ISSUERTRADINGSYMBOL, s.c.IS_CLUSTER, s.c.EXEC_BUY_ROWS,
                  s.c.CLUSTER_ACCESSIONS, s.c.EXEC_BUY_ACCESSIONS).where(
        sa.or_(*(s.c.FILING_DATE.between(lo, hi) for lo, hi in windows)),
        sa.or_(s.c.IS_CLUSTER.is_(True), s.c.EXEC_BUY_ROWS > 0),
    ).order_by(s.c.FILING_DATE, s.c.ISSUERCIK)
    out = []
    for r in fetch(conn, q):
        for name, column in SIGNALS:
            if (r["IS_CLUSTER"] if name == "cluster_buy" else (r["EXEC_BUY_ROWS"] or 0) > 0) and r[column]:
                out.append({"SIGNAL_DATE": r["FILING_DATE"], "ISSUERCIK": r["ISSUERCIK"], "SIGNAL": name,
                            "ISSUERTRADINGSYMBOL": r["ISSUERTRADINGSYMBOL"], "ACCESSIONS": r[column]})
    return out


def _acceptance(conn: sa.Connection, signals: list[dict[str, Any]]) -> dict[tuple[str, dt.date], dt.datetime]:
    """Acceptance time of each (accession, filing date) the signals list."""
    fh = table("filing_headers")
    wanted = {a for s in signals for a in s["ACCESSIONS"].split(",")}
    out: dict[tuple[str, dt.date], dt.datetime] = {}
    for batch in chunks(wanted):
        q = sa.select(fh.c.ACCESSION_NUMBER, fh.c.FILING_DATE, fh.c.ACCEPTANCE_DATETIME).where(
            fh.c.ACCESSION_NUMBER.in_(batch), fh.c.ACCEPTANCE_DATETIME.is_not(None))
        out.update({(r["ACCESSION_NUMBER"], r["FILING_DATE"]): r["ACCEPTANCE_DATETIME"] for r in fetch(conn, q)})
    return out


def compute_signal_outcomes(conn: sa.Connection, day: dt.date, book: PriceBook) -> list[dict[str, Any]]:
    """The signal_outcomes rows partition `day` writes."""
    signals = _signals(conn, day, event_windows(book, day, dt.timedelta(days=LOOKBACK_DAYS)))
    if not signals:
        return []
    accepted = _acceptance(conn, signals)
    tickers = TickerMap(conn, day, {s["ISSUERCIK"] for s in signals})
    out = []
    for s in signals:
        times = [accepted[(a, s["SIGNAL_DATE"])] for a in s["ACCESSIONS"].split(",") if (a, s["SIGNAL_DATE"]) in accepted]
        latest = max(times) if times else None
        ticker, source, miss = tickers.resolve(book, s["ISSUERCIK"], s["ISSUERTRADINGSYMBOL"])
        if ticker is None:
            status, prices = miss, empty_outcome()
        else:
            status, prices = measure(book, ticker, s["SIGNAL_DATE"], latest, day)
        if day in event_days(prices, s["SIGNAL_DATE"]):
            out.append({**s, **prices, "FILING_DATE": day, "ACCEPTANCE_DATETIME": latest, "TICKER": ticker,
                        "TICKER_SOURCE": source, "PRICE_STATUS": status})
    return out
