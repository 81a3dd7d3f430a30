"""trading_plans: the Rule 10b5-1 status of each filing's open-market trades, and the plan's cooling-off.

Which rows are under a plan is decided once, in `form4_assets.aggregates.effective`
(PLAN_10B5_1: the aff10b5One checkbox when the filing has it, else an affirming Rule
10b5-1 footnote bound to the row or the filing, or the remarks; negated, terminated and
adoption-only mentions do not count). This module adds what the 2023 amendments
(Release 33-11138) make readable:

- PLAN_STATUS: ``plan`` when a P/S row is under a plan; ``not_plan`` when the checkbox
  is false on a filing from 2023-04-01, when it became mandatory; ``unknown`` otherwise
  (before then, no checkbox says nothing about the trades).
- ADOPTION_DATE from the footnotes bound to the plan rows, then the filing's other
  10b5-1 footnotes, then the remarks (`form4_assets.signals.adoption`).
- COOLING_OFF_STATUS from the days between adoption and the first plan trade: directors
  and officers must wait the later of 90 days or two business days after the 10-Q/10-K
  of the adoption quarter, at most 120 days; anyone else 30 days. The 10-Q date is not
  in the filings, so 90–119 days is ``likely_met``. Plans adopted before 2023-02-27
  (the amendments' effective date) have no cooling-off: ``not_applicable``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from form4_assets.aggregates.effective import cites_10b5_1, footnote_ids
from form4_assets.aggregates.sources import Source, source_of
from form4_assets.aggregates.sql import chunks, fetch, table
from form4_assets.signals.adoption import adoption

OPEN_MARKET_CODES = ("P", "S")
CHECKBOX_MANDATORY = dt.date(2023, 4, 1)
AMENDMENTS_EFFECTIVE = dt.date(2023, 2, 27)
INSIDER_MIN_DAYS, INSIDER_MAX_DAYS, OTHER_MIN_DAYS = 90, 120, 30
PLAN, NOT_PLAN, UNKNOWN = "plan", "not_plan", "unknown"


def plan_status(plan_rows: int, aff10b5one: bool | None, filing_date: dt.date) -> str:
    if plan_rows:
        return PLAN
    if aff10b5one is False and filing_date >= CHECKBOX_MANDATORY:
        return NOT_PLAN
    return UNKNOWN


def cooling_off(adopted: dt.date | None, first_trade: dt.date | None, officer_or_director: bool) -> tuple[int | None, str | None]:
    """(DAYS_SINCE_ADOPTION, COOLING_OFF_STATUS) for a plan adopted on `adopted`."""
    if adopted is None or first_trade is None:
        return None, None
    days = (first_trade - adopted).days
    if adopted < AMENDMENTS_EFFECTIVE:
        return days, "not_applicable"
    if officer_or_director:
        status = "met" if days >= INSIDER_MAX_DAYS else "likely_met" if days >= INSIDER_MIN_DAYS else "too_early"
    else:
        status = "met" if days >= OTHER_MIN_DAYS else "too_early"
    return days, status


def adoption_candidates(
    bound_to_plan_rows: set[str], footnotes: Mapping[str, str], remarks: str | None
) -> list[tuple[str, str]]:
    """(source, text) in the order searched: footnotes bound to plan rows, other 10b5-1 footnotes, remarks."""
    def natural(fid: str) -> tuple[int, str]:
        digits = "".join(ch for ch in fid if ch.isdigit())
        return (int(digits) if digits else 0, fid)

    bound = [f for f in sorted(bound_to_plan_rows, key=natural) if f in footnotes]
    others = [f for f in sorted(footnotes, key=natural) if f not in bound_to_plan_rows and cites_10b5_1(footnotes[f])]
    out = [(f, footnotes[f]) for f in (*bound, *others)]
    if remarks:
        out.append(("REMARKS", remarks))
    return out


#: The effective_transactions columns a filing's plan row reads.
_ROW_COLUMNS = ("ACCESSION_NUMBER", "TRANS_TABLE", "TRANS_SK", "RPTOWNERCIK", "ISSUERCIK", "RPTOWNERNAME",
                "ISSUERTRADINGSYMBOL", "IS_DIRECTOR", "IS_OFFICER", "PLAN_10B5_1", "PLAN_EVIDENCE", "TRANS_DATE")


def _trans_footnote_ids(conn: sa.Connection, day: dt.date, accessions: list[str],
                        source: Source) -> dict[tuple[str, str, int], set[str]]:
    ids: dict[tuple[str, str, int], set[str]] = {}
    for name, trans in (("nonderiv", source.nonderiv), ("deriv", source.deriv)):
        src = table(trans)
        sk = f"{name.upper()}_TRANS_SK"
        columns = [src.c.ACCESSION_NUMBER, src.c[sk], *(c for c in src.c if c.name.endswith("_FN"))]
        for batch in chunks(accessions):
            q = sa.select(*columns).where(src.c.FILING_DATE == day, src.c.ACCESSION_NUMBER.in_(batch))
            for r in fetch(conn, q):
                ids[(r["ACCESSION_NUMBER"], name, r[sk])] = footnote_ids(r)
    return ids


def compute_trading_plans(conn: sa.Connection, day: dt.date) -> list[dict[str, Any]]:
    """The trading_plans rows partition `day` writes: one per effective filing of the day with P/S rows.

    The checkbox, remarks and footnotes come from where the day's effective transactions
    came from (aggregates.sources: our parse, or the SEC's data set on a date never fetched)."""
    source = source_of(conn, day)
    et, sub, fnt = table("effective_transactions"), table(source.submission), table(source.footnotes)
    query = (
        sa.select(*(et.c[c] for c in _ROW_COLUMNS))
        .where(et.c.FILING_DATE == day, et.c.TRANS_CODE.in_(OPEN_MARKET_CODES))
        .order_by(et.c.ACCESSION_NUMBER, et.c.TRANS_TABLE.desc(), et.c.TRANS_SK)
    )
    by_filing: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in fetch(conn, query):
        by_filing[r["ACCESSION_NUMBER"]].append(r)
    if not by_filing:
        return []
    accessions = sorted(by_filing)
    filings: dict[str, dict[str, Any]] = {}
    for batch in chunks(accessions):
        q = sa.select(sub.c.ACCESSION_NUMBER, sub.c.AFF10B5ONE, sub.c.REMARKS).where(sub.c.ACCESSION_NUMBER.in_(batch))
        filings.update({r["ACCESSION_NUMBER"]: r for r in fetch(conn, q)})
    statuses = {acc: plan_status(sum(1 for r in by_filing[acc] if r["PLAN_10B5_1"]), filings[acc]["AFF10B5ONE"], day)
                for acc in accessions}
    # Footnotes are read only for the filings under a plan: only their adoption dates are looked for.
    planned_filings = [acc for acc in accessions if statuses[acc] == PLAN]
    notes: dict[str, dict[str, str]] = defaultdict(dict)
    for batch in chunks(planned_filings):
        q = sa.select(fnt.c.ACCESSION_NUMBER, fnt.c.FOOTNOTE_ID, fnt.c.FOOTNOTE_TXT).where(fnt.c.ACCESSION_NUMBER.in_(batch))
        for r in fetch(conn, q):
            notes[r["ACCESSION_NUMBER"]][r["FOOTNOTE_ID"]] = r["FOOTNOTE_TXT"] or ""
    row_ids = _trans_footnote_ids(conn, day, planned_filings, source)

    out: list[dict[str, Any]] = []
    for acc in accessions:
        rows = by_filing[acc]
        first = rows[0]
        filing = filings[acc]
        planned = [r for r in rows if r["PLAN_10B5_1"]]
        status = statuses[acc]
        trade_dates = [r["TRANS_DATE"] for r in (planned or rows) if r["TRANS_DATE"]]
        first_trade = min(trade_dates) if trade_dates else None
        found, source = None, None
        if status == PLAN:
            bound = set().union(*(row_ids.get((acc, r["TRANS_TABLE"], r["TRANS_SK"]), set()) for r in planned))
            for source_id, text in adoption_candidates(bound, notes[acc], filing["REMARKS"]):
                found = adoption(text) if (cites_10b5_1(text) or source_id in bound) else None
                if found:
                    source = source_id
                    break
        days, cooling = cooling_off(found.date if found else None, first_trade, bool(first["IS_OFFICER"] or first["IS_DIRECTOR"]))
        out.append(
            {
                "FILING_DATE": day,
                "ACCESSION_NUMBER": acc,
                "RPTOWNERCIK": first["RPTOWNERCIK"],
                "ISSUERCIK": first["ISSUERCIK"],
                "RPTOWNERNAME": first["RPTOWNERNAME"],
                "ISSUERTRADINGSYMBOL": first["ISSUERTRADINGSYMBOL"],
                "IS_DIRECTOR": first["IS_DIRECTOR"],
                "IS_OFFICER": first["IS_OFFICER"],
                "AFF10B5ONE": filing["AFF10B5ONE"],
                "PLAN_STATUS": status,
                "PLAN_EVIDENCE": planned[0]["PLAN_EVIDENCE"] if planned else None,
                "PLAN_ROWS": len(planned),
                "OPEN_MARKET_ROWS": len(rows),
                "ADOPTION_DATE": found.date if found else None,
                "ADOPTION_TEXT": found.sentence if found else None,
                "ADOPTION_SOURCE": source,
                "TRANS_DATE": first_trade,
                "DAYS_SINCE_ADOPTION": days,
                "COOLING_OFF_STATUS": cooling,
            }
        )
    return out
