"""issuer_daily_activity: insider activity per issuer and transaction date, as of a filing date.

What a partition D writes: every issuer-day (ISSUERCIK, TRANS_DATE) touched by D, that
is, the days of the non-derivative transactions filed on D and the days of the
transactions of filings that D's amendments supersede (so an amendment that moves or
removes a trade rewrites the earlier day too, possibly to zeros). Each is recomputed
from all effective transactions as of D, whatever partition they were filed in. The
current figures of an issuer-day are in its row with the latest FILING_DATE.

Only the non-derivative table is summed: it carries the issuer's shares changing hands
(an option exercise appears in both tables; counting both would double it). Open-market
purchases (P) and sales (S) are buying and selling; awards (A), tax withholding (F),
exercises and conversions (M, X, C) and gifts (G) have their own columns and never
count as either. Dollars are shares × price, summed exactly as Decimal; a row without
a price counts in shares and in *_ROWS_NO_PRICE, not in dollars. Roles follow the first
reporting owner with precedence officer > director > 10% owner > other, so the role
columns of a side add up to its total.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from form4_assets.aggregates.sql import ZERO, effective_as_of, fetch, table
from form4_assets.codes import AWARD, EXERCISE, GIFT, PURCHASE, SALE, TAX_WITHHOLDING
from form4_assets.tables import ISSUER_DAILY_ACTIVITY

IssuerDay = tuple[str, dt.date]
SIDES: dict[str, tuple[str, str]] = {PURCHASE: ("BUY", "BUYERS"), SALE: ("SELL", "SELLERS")}
_NEEDED = (
    "FILING_DATE", "ACCESSION_NUMBER", "ISSUERCIK", "ISSUERNAME", "ISSUERTRADINGSYMBOL", "RPTOWNERCIK",
    "ROLE", "TRANS_DATE", "TRANS_ACQUIRED_DISP_CD", "TRANS_SHARES", "TRANS_DOLLARS", "ACTIVITY", "PLAN_10B5_1",
)


def _nonderiv(et: sa.Table) -> sa.ColumnElement[bool]:
    return (et.c.TRANS_TABLE == "nonderiv") & et.c.TRANS_DATE.is_not(None) & et.c.ISSUERCIK.is_not(None)


def _touching(day: dt.date, *columns: str) -> tuple[sa.Select, sa.Select]:
    """The effective non-derivative rows through which the filings of `day` touch an issuer-day:
    the rows filed on `day`, and the rows of the filings `day`'s amendments supersede."""
    et, sup = table("effective_transactions"), table("supersessions")
    cols = [et.c[c] for c in columns]
    filed = sa.select(*cols).where(et.c.FILING_DATE == day, _nonderiv(et))
    replaced = (
        sa.select(*cols)
        .select_from(et.join(sup, sup.c.SUPERSEDED_ACCESSION == et.c.ACCESSION_NUMBER))
        .where(sup.c.FILING_DATE == day, _nonderiv(et))
    )
    return filed, replaced


def touched_issuer_days(conn: sa.Connection, day: dt.date) -> dict[IssuerDay, tuple[str | None, str | None]]:
    """Issuer-days whose figures the filings of `day` can change, with a name and ticker for each."""
    et = table("effective_transactions")
    filed, replaced = _touching(day, "ISSUERCIK", "TRANS_DATE", "ISSUERNAME", "ISSUERTRADINGSYMBOL", "FILING_DATE")
    touched: dict[IssuerDay, tuple[str | None, str | None]] = {}
    for query in (replaced, filed):  # names of the day's own filings win
        for r in fetch(conn, query.order_by(et.c.FILING_DATE)):
            touched[(r["ISSUERCIK"], r["TRANS_DATE"])] = (r["ISSUERNAME"], r["ISSUERTRADINGSYMBOL"])
    return touched


def effective_rows_for(conn: sa.Connection, day: dt.date) -> dict[IssuerDay, list[dict[str, Any]]]:
    """Effective non-derivative rows as of `day` of the issuer-days the filings of `day` touch.

    One join of those issuer-days (computed in SQL, `_touching`) with the effective
    transactions, which SQLite and PostgreSQL answer by the (ISSUERCIK, TRANS_DATE,
    FILING_DATE) index, stopping at FILING_DATE <= day inside it: exactly the touched
    issuer-days' rows are read (a late Form 5 reaching a year back does not pull in the
    year, and rows filed after `day` are never read).
    """
    et = table("effective_transactions")
    keys = sa.union(*_touching(day, "ISSUERCIK", "TRANS_DATE")).subquery("touched")
    query = (
        effective_as_of(day, *_NEEDED)
        .join_from(et, keys, (keys.c.ISSUERCIK == et.c.ISSUERCIK) & (keys.c.TRANS_DATE == et.c.TRANS_DATE))
        .where(et.c.TRANS_TABLE == "nonderiv")
        .order_by(et.c.FILING_DATE, et.c.ACCESSION_NUMBER, et.c.TRANS_SK)
    )
    found: dict[IssuerDay, list[dict[str, Any]]] = defaultdict(list)
    for r in fetch(conn, query):
        found[(r["ISSUERCIK"], r["TRANS_DATE"])].append(r)
    return found


#: An issuer-day without transactions: zero amounts and counts (copied for each row).
_EMPTY: dict[str, Any] = {
    col.name: ZERO if col.kind == "decimal" else 0 if col.kind == "int" else None
    for col in ISSUER_DAILY_ACTIVITY.columns
}


def empty_activity(day: dt.date, key: IssuerDay, name: str | None, ticker: str | None) -> dict[str, Any]:
    row = dict(_EMPTY)
    row.update(FILING_DATE=day, ISSUERCIK=key[0], TRANS_DATE=key[1], ISSUERNAME=name, ISSUERTRADINGSYMBOL=ticker)
    return row


def summarize(day: dt.date, key: IssuerDay, name: str | None, ticker: str | None, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One issuer_daily_activity row from the issuer-day's effective transactions."""
    out = empty_activity(day, key, name, ticker)
    people: dict[str, set[str]] = {kind: set() for kind in SIDES}
    for r in rows:
        shares = r["TRANS_SHARES"] or ZERO
        kind = r["ACTIVITY"]
        if kind in SIDES:
            side, _ = SIDES[kind]
            value = r["TRANS_DOLLARS"]
            plan = "PLAN" if r["PLAN_10B5_1"] else "DISCRETIONARY"
            out[f"{side}_ROWS"] += 1
            if r["RPTOWNERCIK"]:
                people[kind].add(r["RPTOWNERCIK"])
            for suffix in ("", f"_{plan}", f"_{r['ROLE']}"):
                out[f"{side}_SHARES{suffix}"] += shares
                if value is not None:
                    out[f"{side}_DOLLARS{suffix}"] += value
            if value is None:
                out[f"{side}_ROWS_NO_PRICE"] += 1
        elif kind == AWARD:
            out["AWARD_SHARES"] += shares
        elif kind == TAX_WITHHOLDING:
            out["TAX_WITHHOLDING_SHARES"] += shares
        elif kind == EXERCISE:
            out["EXERCISE_SHARES"] += shares
        elif kind == GIFT:
            given = (r["TRANS_ACQUIRED_DISP_CD"] or "").upper() == "D"
            out["GIFT_SHARES_GIVEN" if given else "GIFT_SHARES_RECEIVED"] += shares
        else:
            out["OTHER_ROWS"] += 1
    for kind, (_, count) in SIDES.items():
        out[count] = len(people[kind])
    out["NET_SELL_SHARES"] = out["SELL_SHARES"] - out["BUY_SHARES"]
    out["NET_SELL_DOLLARS"] = out["SELL_DOLLARS"] - out["BUY_DOLLARS"]
    out["TRANSACTION_ROWS"] = len(rows)
    out["ACCESSIONS"] = ",".join(dict.fromkeys(r["ACCESSION_NUMBER"] for r in rows)) or None
    if rows:
        latest = rows[-1]
        out["ISSUERNAME"], out["ISSUERTRADINGSYMBOL"] = latest["ISSUERNAME"], latest["ISSUERTRADINGSYMBOL"]
    return out


def compute_issuer_daily_activity(conn: sa.Connection, day: dt.date) -> list[dict[str, Any]]:
    """The issuer_daily_activity rows partition `day` writes."""
    touched = touched_issuer_days(conn, day)
    rows = effective_rows_for(conn, day)
    return [summarize(day, key, *touched[key], rows.get(key, [])) for key in sorted(touched)]
