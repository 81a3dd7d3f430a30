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
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from form4_assets.aggregates.effective import cites_10b5_1, footnote_ids
from form4_assets.aggregates.sources import sources_of
from form4_assets.aggregates.sql import fetch, table
from form4_assets.signals.adoption import adoption

OPEN_MARKET_CODES = ("P", "S")
CHECKBOX_MANDATORY = dt.date(2023, 4, 1)
AMENDMENTS_EFFECTIVE = dt.date(2023, 2, 27)
INSIDER_MIN_DAYS, INSIDER_MAX_DAYS, OTHER_MIN_DAYS = 90, 120, 30
PLAN, NOT_PLAN, UNKNOWN = "plan", "not_plan", "unknown"


#: Footnote and remark texts repeat from filing to filing (an insider's plan footnote is the same
#: every time): each distinct text is searched once per process.
_cites = lru_cache(maxsize=1 << 14)(cites_10b5_1)
_adoption = lru_cache(maxsize=1 << 14)(adoption)


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
    others = [f for f in sorted(footnotes, key=natural) if f not in bound_to_plan_rows and _cites(footnotes[f])]
    out = [(f, footnotes[f]) for f in (*bound, *others)]
    if remarks:
        out.append(("REMARKS", remarks))
    return out


#: The effective_transactions columns a filing's plan row reads.
_ROW_COLUMNS = ("FILING_DATE", "ACCESSION_NUMBER", "TRANS_TABLE", "TRANS_SK", "RPTOWNERCIK", "ISSUERCIK", "RPTOWNERNAME",
                "ISSUERTRADINGSYMBOL", "IS_DIRECTOR", "IS_OFFICER", "PLAN_10B5_1", "PLAN_EVIDENCE", "TRANS_DATE")

class PlanInputs:
    """What the trading_plans partitions of the filing dates `days` (ascending) read, one query per
    source and table for them all: the P/S rows, their filings' checkbox and remarks, and for the
    filings under a plan their footnotes and the footnote ids bound to each row. The checkbox,
    remarks and footnotes come from where a date's effective transactions came from
    (aggregates.sources: our parse, or the SEC's data set on a date never fetched)."""

    def __init__(self, conn: sa.Connection, days: list[dt.date]) -> None:
        self.last = days[-1]
        by_source = sources_of(conn, days)
        self.by_filing: dict[dt.date, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        self.filings: dict[str, dict[str, Any]] = {}
        self.notes: dict[str, dict[str, str]] = defaultdict(dict)
        self.row_ids: dict[tuple[str, str, int], set[str]] = {}
        et = table("effective_transactions")
        for source, filed in by_source.items():
            open_market = (et.c.FILING_DATE.in_(filed), et.c.TRANS_CODE.in_(OPEN_MARKET_CODES))
            rows = sa.select(*(et.c[c] for c in _ROW_COLUMNS)).where(*open_market).order_by(
                et.c.FILING_DATE, et.c.ACCESSION_NUMBER, et.c.TRANS_TABLE.desc(), et.c.TRANS_SK)
            for r in fetch(conn, rows):
                self.by_filing[r["FILING_DATE"]][r["ACCESSION_NUMBER"]].append(r)
            sub, fnt = table(source.submission), table(source.footnotes)
            filings = sa.select(et.c.ACCESSION_NUMBER).where(*open_market)
            q = sa.select(sub.c.ACCESSION_NUMBER, sub.c.AFF10B5ONE, sub.c.REMARKS).where(sub.c.ACCESSION_NUMBER.in_(filings))
            self.filings.update({r["ACCESSION_NUMBER"]: r for r in fetch(conn, q)})
            # Footnotes are read only for the filings under a plan: only their adoption dates are looked for.
            planned = filings.where(et.c.PLAN_10B5_1.is_(True))
            q = sa.select(fnt.c.ACCESSION_NUMBER, fnt.c.FOOTNOTE_ID, fnt.c.FOOTNOTE_TXT).where(fnt.c.ACCESSION_NUMBER.in_(planned))
            for r in fetch(conn, q):
                self.notes[r["ACCESSION_NUMBER"]][r["FOOTNOTE_ID"]] = r["FOOTNOTE_TXT"] or ""
            for name, trans in (("nonderiv", source.nonderiv), ("deriv", source.deriv)):
                src = table(trans)
                sk = f"{name.upper()}_TRANS_SK"
                columns = [src.c.ACCESSION_NUMBER, src.c[sk], *(c for c in src.c if c.name.endswith("_FN"))]
                q = sa.select(*columns).where(src.c.FILING_DATE.in_(filed), src.c.ACCESSION_NUMBER.in_(planned))
                for r in fetch(conn, q):
                    self.row_ids[(r["ACCESSION_NUMBER"], name, r[sk])] = footnote_ids(r)


def compute_trading_plans(conn: sa.Connection, day: dt.date, inputs: PlanInputs) -> list[dict[str, Any]]:
    """The trading_plans rows partition `day` writes: one per effective filing of the day with P/S rows."""
    if day > inputs.last:
        raise ValueError(f"plan inputs read up to {inputs.last}, not {day}")
    by_filing = inputs.by_filing.get(day, {})
    accessions = sorted(by_filing)
    filings, notes, row_ids = inputs.filings, inputs.notes, inputs.row_ids
    out: list[dict[str, Any]] = []
    for acc in accessions:
        rows = by_filing[acc]
        first = rows[0]
        filing = filings[acc]
        planned = [r for r in rows if r["PLAN_10B5_1"]]
        status = plan_status(len(planned), filing["AFF10B5ONE"], day)
        trade_dates = [r["TRANS_DATE"] for r in (planned or rows) if r["TRANS_DATE"]]
        first_trade = min(trade_dates) if trade_dates else None
        found, source = None, None
        if status == PLAN:
            bound = set().union(*(row_ids.get((acc, r["TRANS_TABLE"], r["TRANS_SK"]), set()) for r in planned))
            for source_id, text in adoption_candidates(bound, notes.get(acc, {}), filing["REMARKS"]):
                found = _adoption(text) if (_cites(text) or source_id in bound) else None
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
