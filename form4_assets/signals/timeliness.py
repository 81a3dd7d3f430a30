"""filing_timeliness: was each transaction reported by the form's deadline?

Rule 16a-3(g): a Form 4 is due before the end of the second business day after the
execution date (the deemed execution date when the filing gives one, Rule 16a-3(g)(2)
and (3)); a Form 5 within 45 days after the issuer's fiscal year end; a Form 3 within
10 days after the event that made the filer an insider (its period of report). The
filer's own transactionTimeliness flag is blank on almost every row, so lateness is
computed: EDGAR business days from the execution date to the filing date, against the
business days the form allows.

An amendment is measured at its DATE_OF_ORIG_SUB when it gives one (it corrects a
filing made then). A date after the filing date is a data error: the row says so in
DATE_ERROR and the timeliness_dates_sane check reports it; no lateness is computed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from form4_assets.aggregates.effective import base_form, is_amendment
from form4_assets.aggregates.sources import FILINGS, Source, sources_of
from form4_assets.aggregates.sql import table
from form4_assets.signals.business_time import business_day_after, business_days_between, on_or_after

FORM4_BUSINESS_DAYS = 2
FORM5_DAYS_AFTER_FISCAL_YEAR_END = 45
FORM3_DAYS_AFTER_EVENT = 10

NO_EXECUTION_DATE, DATE_AFTER_FILING, NO_PERIOD = "no_execution_date", "date_after_filing", "no_period_of_report"


def fiscal_year_end_on_or_after(day: dt.date, mmdd: str | None) -> dt.date | None:
    """The issuer's fiscal year end (MMDD) on or after `day`; None when MMDD is absent or invalid."""
    if not mmdd or len(mmdd) != 4 or not mmdd.isdigit():
        return None
    month, dom = int(mmdd[:2]), int(mmdd[2:])
    for year in (day.year, day.year + 1):
        try:
            end = dt.date(year, month, dom)
        except ValueError:
            if (month, dom) != (2, 29):
                return None
            end = dt.date(year, 2, 28)  # a 0229 year end falls on 28 February in other years
        if end >= day:
            return end
    return None


def due_date(form: str, execution: dt.date, period: dt.date | None, fiscal_year_end: str | None) -> dt.date | None:
    """The last day to file `form` (base form: 3, 4 or 5) for a transaction executed on `execution`."""
    if form == "4":
        return business_day_after(execution, FORM4_BUSINESS_DAYS)
    if form == "5":
        year_end = fiscal_year_end_on_or_after(execution, fiscal_year_end) or period
        return on_or_after(year_end + dt.timedelta(days=FORM5_DAYS_AFTER_FISCAL_YEAR_END)) if year_end else None
    if form == "3":
        return on_or_after(period + dt.timedelta(days=FORM3_DAYS_AFTER_EVENT)) if period else None
    return None


def timeliness(
    document_type: str, trans_date: dt.date | None, deemed: dt.date | None, filing_date: dt.date,
    orig_sub: dt.date | None, period: dt.date | None, fiscal_year_end: str | None,
) -> dict[str, Any]:
    """The computed columns of one row (EXECUTION_DATE ... DATE_ERROR)."""
    execution = deemed or trans_date
    reported = orig_sub if is_amendment(document_type) and orig_sub and orig_sub <= filing_date else filing_date
    out: dict[str, Any] = {
        "EXECUTION_DATE": execution, "REPORTED_DATE": reported, "DUE_DATE": None, "BUSINESS_DAYS_TO_FILE": None,
        "DEADLINE_BUSINESS_DAYS": None, "IS_LATE": None, "DATE_ERROR": None,
    }
    form = base_form(document_type)
    if execution is None:
        out["DATE_ERROR"] = NO_EXECUTION_DATE
        return out
    if execution > filing_date:
        out["DATE_ERROR"] = DATE_AFTER_FILING
        return out
    due = due_date(form, execution, period, fiscal_year_end)
    if due is None:
        out["DATE_ERROR"] = NO_PERIOD
        return out
    took = business_days_between(execution, reported)
    allowed = business_days_between(execution, due)
    out.update(DUE_DATE=due, BUSINESS_DAYS_TO_FILE=took, DEADLINE_BUSINESS_DAYS=allowed, IS_LATE=took > allowed)
    return out


def _source_query(days: list[dt.date], trans_table: str, source: Source = FILINGS) -> sa.Select:
    """The rows of `trans_table` filed on `days` with their filing's dates, from those days' source (our
    parse, or the SEC's data set, which has no SEC header and so no fiscal year end); by date, accession, row."""
    et, sub, parties = table("effective_transactions"), table(source.submission), table("header_parties")
    src = table(source.nonderiv if trans_table == "nonderiv" else source.deriv)
    sk = src.c[f"{trans_table.upper()}_TRANS_SK"]
    issuer_fye = (
        sa.select(sa.func.max(parties.c.FISCAL_YEAR_END))
        .where(parties.c.ACCESSION_NUMBER == et.c.ACCESSION_NUMBER, parties.c.ROLE == "ISSUER")
        .scalar_subquery()
    ) if source is FILINGS else sa.null()
    return (
        sa.select(
            et.c.FILING_DATE, et.c.ACCESSION_NUMBER, et.c.TRANS_TABLE, et.c.TRANS_SK, et.c.RPTOWNERCIK, et.c.ISSUERCIK,
            et.c.DOCUMENT_TYPE, et.c.TRANS_CODE, et.c.TRANS_DATE, et.c.PERIOD_OF_REPORT,
            src.c.DEEMED_EXECUTION_DATE, src.c.TRANS_TIMELINESS, sub.c.DATE_OF_ORIG_SUB,
            issuer_fye.label("FISCAL_YEAR_END"),
        )
        .select_from(
            et.join(src, (src.c.ACCESSION_NUMBER == et.c.ACCESSION_NUMBER) & (sk == et.c.TRANS_SK))
            .join(sub, sub.c.ACCESSION_NUMBER == et.c.ACCESSION_NUMBER)
        )
        .where(et.c.FILING_DATE.in_(days), et.c.TRANS_TABLE == trans_table)
        .order_by(et.c.FILING_DATE, et.c.ACCESSION_NUMBER, et.c.TRANS_SK)
    )


TRANS_TABLES = ("nonderiv", "deriv")  # a partition's rows: the non-derivative ones first

#: The columns a filing_timeliness row takes from its source row (DATE_OF_ORIG_SUB only decides REPORTED_DATE).
_KEPT = ("FILING_DATE", "ACCESSION_NUMBER", "TRANS_TABLE", "TRANS_SK", "RPTOWNERCIK", "ISSUERCIK", "DOCUMENT_TYPE",
         "TRANS_CODE", "TRANS_DATE", "PERIOD_OF_REPORT", "DEEMED_EXECUTION_DATE", "TRANS_TIMELINESS", "FISCAL_YEAR_END")


@lru_cache(maxsize=1 << 16)  # a filing's rows share their dates: one computation per distinct set of them
def _computed(*dates_and_form: Any) -> tuple[tuple[str, Any], ...]:
    return tuple(timeliness(*dates_and_form).items())


class TimelinessInputs:
    """The source rows of the filing dates `days` (ascending), one query per source and table for them all."""

    def __init__(self, conn: sa.Connection, days: list[dt.date]) -> None:
        self.last = days[-1]
        by_source = sources_of(conn, days)
        self.rows: dict[tuple[dt.date, str], list[tuple[Any, ...]]] = defaultdict(list)
        for source, filed in by_source.items():
            for trans_table in TRANS_TABLES:
                for r in conn.execute(_source_query(filed, trans_table, source)):
                    self.rows[(r[0], trans_table)].append(tuple(r))


_ORIG_SUB = 12  # DATE_OF_ORIG_SUB's place in _source_query's columns


def compute_filing_timeliness(conn: sa.Connection, day: dt.date, inputs: TimelinessInputs) -> list[dict[str, Any]]:
    """The filing_timeliness rows partition `day` writes: one per effective transaction row filed that day."""
    if day > inputs.last:
        raise ValueError(f"timeliness inputs read up to {inputs.last}, not {day}")
    out: list[dict[str, Any]] = []
    for trans_table in TRANS_TABLES:
        for r in inputs.rows.get((day, trans_table), ()):
            row = dict(zip(_KEPT, (*r[:_ORIG_SUB], r[_ORIG_SUB + 1])))
            row.update(_computed(row["DOCUMENT_TYPE"] or "", row["TRANS_DATE"], row["DEEMED_EXECUTION_DATE"],
                                 row["FILING_DATE"], r[_ORIG_SUB], row["PERIOD_OF_REPORT"], row["FISCAL_YEAR_END"]))
            out.append(row)
    return out
