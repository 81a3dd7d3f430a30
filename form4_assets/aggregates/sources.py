"""Where a filing date's effective transactions come from: our parse, or the SEC's data set.

A date whose raw filings were fetched is built from the parsed tables. A date whose
filings were never fetched but whose rows were imported from the SEC's quarterly Form 345
data set (`form4-assets import-form345`) is built from the sec_* twins of the same
tables: the same column names and kinds, so the builder reads either alike. The
differences the SEC's set brings are its own: prices and shares rounded to two decimals
(so TRANS_DOLLARS can differ by up to a cent per 200 shares), its surrogate keys as
TRANS_SK, reporting owners in file order, no acceptance time (amendments are ordered by
filing date, then accession), and no AFF10B5ONE in quarters that lack the column (Rule
10b5-1 status then comes from the footnotes and remarks alone).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from form4_assets.aggregates.sql import table


@dataclass(frozen=True)
class Source:
    """The tables one source keeps a filing's submission, owners, transactions and footnotes in."""

    name: str  # effective_transactions.SOURCE
    submission: str
    owner: str
    nonderiv: str
    deriv: str
    footnotes: str
    owner_order: str  # the column that orders a filing's reporting owners (the first is attributed)


FILINGS = Source("filings", "submission", "reporting_owner", "nonderiv_trans", "deriv_trans", "footnotes",
                 "RPTOWNER_SK")
SEC_DATA_SET = Source("sec_form345", "sec_submission", "sec_reportingowner", "sec_nonderiv_trans",
                      "sec_deriv_trans", "sec_footnotes", "SOURCE_LINE")
SOURCES = (FILINGS, SEC_DATA_SET)


def source_of(conn: sa.Connection, day: dt.date) -> Source:
    """FILINGS when the date's raw filings were fetched (or nothing is known of it), else
    SEC_DATA_SET when the SEC's data set has submissions filed that day."""
    raw, sec = table("raw_filings"), table("sec_submission")
    if conn.execute(sa.select(sa.literal(1)).where(raw.c.FILING_DATE == day).limit(1)).first() is not None:
        return FILINGS
    if conn.execute(sa.select(sa.literal(1)).where(sec.c.FILING_DATE == day).limit(1)).first() is not None:
        return SEC_DATA_SET
    return FILINGS


def sources_of(conn: sa.Connection, days: Iterable[dt.date]) -> dict[Source, list[dt.date]]:
    """`days` grouped by `source_of`, each group in the order given."""
    out: dict[Source, list[dt.date]] = defaultdict(list)
    for day in days:
        out[source_of(conn, day)].append(day)
    return out


def first_owner(source: Source, owner: sa.Table, accession: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    """The condition that `owner` (the source's owner table) is the first reporting owner of the
    filing `accession`: RPTOWNER_SK 1 in our parse, the first line of the SEC's file otherwise."""
    if source is FILINGS:
        return owner.c.RPTOWNER_SK == 1
    earlier = owner.alias("earlier_owner")
    return owner.c[source.owner_order] == (
        sa.select(sa.func.min(earlier.c[source.owner_order])).where(earlier.c.ACCESSION_NUMBER == accession).scalar_subquery()
    )
