"""trade_outcomes: forward returns after each open-market purchase and sale, as known on a date.

Partition D reads the open-market rows (non-derivative, code P or S) of
effective_transactions that count as of D and were filed where an event of theirs can
fall on D (measure.event_windows: with a benchmark, the sessions 0, 5, 21, 63 and 126
before D; without, the `LOOKBACK_DAYS` before it, long enough for 126 trading days with
holidays), measures each
as of D (form4_assets.outcomes.measure), and writes the row of each trade for which D is
an event day: its filing date, its entry day, or the exit day of a horizon. A trade's
current row is its latest; an amendment that supersedes it stops its rows (the track
records leave superseded trades out as of their date).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from form4_assets.aggregates.sql import chunks, effective_as_of, fetch, table
from form4_assets.outcomes.measure import empty_outcome, event_days, event_windows, measure
from form4_assets.outcomes.tickers import TickerMap
from form4_assets.prices.book import PriceBook

LOOKBACK_DAYS = 200
TRADE_COLUMNS = ("ACCESSION_NUMBER", "TRANS_TABLE", "TRANS_SK", "FILING_DATE", "RPTOWNERCIK", "RPTOWNERNAME",
                 "ISSUERCIK", "ISSUERTRADINGSYMBOL", "TRANS_CODE", "TRANS_DATE", "PLAN_10B5_1")


def open_market_trades(conn: sa.Connection, day: dt.date, windows: list[tuple[dt.date, dt.date]]) -> list[dict[str, Any]]:
    """Open-market rows effective as of `day`, filed in one of the windows, with the filing's acceptance time."""
    et, fh = table("effective_transactions"), table("filing_headers")
    base = effective_as_of(day, *TRADE_COLUMNS).where(
        sa.or_(*(et.c.FILING_DATE.between(lo, hi) for lo, hi in windows)),
        et.c.TRANS_TABLE == "nonderiv", et.c.TRANS_CODE.in_(("P", "S")),
        et.c.RPTOWNERCIK.is_not(None),
    ).subquery()
    q = (sa.select(base, fh.c.ACCEPTANCE_DATETIME)
         .select_from(base.outerjoin(fh, fh.c.ACCESSION_NUMBER == base.c.ACCESSION_NUMBER))
         .order_by(base.c.FILING_DATE, base.c.ACCESSION_NUMBER, base.c.TRANS_SK))
    return fetch(conn, q)


def classes_as_of(conn: sa.Connection, day: dt.date, owners: set[str]) -> dict[tuple[str, str, int], str]:
    """insider_patterns CLASS per (owner, issuer, year), from the latest row filed by `day`."""
    ip = table("insider_patterns")
    out: dict[tuple[str, str, int], tuple[dt.date, str]] = {}
    for batch in chunks(owners):
        q = sa.select(ip.c.RPTOWNERCIK, ip.c.ISSUERCIK, ip.c.YEAR, ip.c.FILING_DATE, ip.c.CLASS).where(
            ip.c.RPTOWNERCIK.in_(batch), ip.c.FILING_DATE <= day)
        for r in fetch(conn, q):
            key = (r["RPTOWNERCIK"], r["ISSUERCIK"], r["YEAR"])
            if key not in out or r["FILING_DATE"] > out[key][0]:
                out[key] = (r["FILING_DATE"], r["CLASS"])
    return {k: c for k, (_, c) in out.items()}


def compute_trade_outcomes(conn: sa.Connection, day: dt.date, book: PriceBook) -> list[dict[str, Any]]:
    """The trade_outcomes rows partition `day` writes."""
    trades = open_market_trades(conn, day, event_windows(book, day, dt.timedelta(days=LOOKBACK_DAYS)))
    if not trades:
        return []
    tickers = TickerMap(conn, day, {t["ISSUERCIK"] for t in trades})
    classes = classes_as_of(conn, day, {t["RPTOWNERCIK"] for t in trades})
    out: list[dict[str, Any]] = []
    for t in trades:
        ticker, source, miss = tickers.resolve(book, t["ISSUERCIK"], t["ISSUERTRADINGSYMBOL"])
        if ticker is None:
            status, prices = miss, empty_outcome()
        else:
            status, prices = measure(book, ticker, t["FILING_DATE"], t["ACCEPTANCE_DATETIME"], day)
        if day not in event_days(prices, t["FILING_DATE"]):
            continue
        year = t["TRANS_DATE"].year if t["TRANS_DATE"] else None
        out.append({
            **{c: t[c] for c in TRADE_COLUMNS if c != "FILING_DATE"}, **prices,
            "FILING_DATE": day, "TRADE_FILING_DATE": t["FILING_DATE"], "ACCEPTANCE_DATETIME": t["ACCEPTANCE_DATETIME"],
            "CLASS": classes.get((t["RPTOWNERCIK"], t["ISSUERCIK"], year)), "TICKER": ticker, "TICKER_SOURCE": source,
            "PRICE_STATUS": status,
        })
    return out


def current_outcomes(conn: sa.Connection, day: dt.date, owners: set[str]) -> list[dict[str, Any]]:
    """Each trade's current trade_outcomes row as of `day` (latest FILING_DATE), for these owners,
    leaving out trades an amendment filed by `day` superseded."""
    from form4_assets.signals.patterns import superseded_dates

    to = table("trade_outcomes")
    latest: dict[tuple[str, str, int], dict[str, Any]] = {}
    for batch in chunks(owners):
        for r in fetch(conn, sa.select(to).where(to.c.RPTOWNERCIK.in_(batch), to.c.FILING_DATE <= day)):
            key = (r["ACCESSION_NUMBER"], r["TRANS_TABLE"], r["TRANS_SK"])
            if key not in latest or r["FILING_DATE"] > latest[key]["FILING_DATE"]:
                latest[key] = r
    superseded = superseded_dates(conn, {k[0] for k in latest})
    by_owner: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for key, r in sorted(latest.items()):
        on = superseded.get(key[0])
        if on is None or on > day:
            by_owner[r["RPTOWNERCIK"]].append(r)
    return [r for owner in sorted(by_owner) for r in by_owner[owner]]
