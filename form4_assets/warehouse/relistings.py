"""SQL for accessions EDGAR lists on more than one filing date (a late dissemination).

raw_filings keeps every listing (its key is FILING_DATE + ACCESSION_NUMBER); the parsed
tables keep an accession once. These queries find a day's accessions listed on other
days and move a later day's parsed rows of an accession out (form4_assets.pipeline.relisting
decides when). Index lines refused as unsafe are not listings of an accession.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from form4_assets.warehouse.schema import TABLES
from form4_assets.warehouse.store import mark_rewritten

#: The partitioned tables that hold an accession once (keyed by it without the filing date): the
#: parsed tables and the signals' per-filing rows.
ACCESSION_KEYED = tuple(
    name
    for name, table in TABLES.items()
    if "ACCESSION_NUMBER" in table.primary_key.columns
    and "FILING_DATE" not in table.primary_key.columns
    and "FILING_DATE" in table.columns
    and name not in {"raw_filings", "quarantine"}
)

#: How raw_filings.FETCH_ERROR starts for a refused index line (form4_assets.pipeline.day).
REFUSED_LINE_PATTERN = "index line refused: %"
CHUNK = 5000


def other_listings(conn: sa.Connection, day: dt.date, accessions: Iterable[str]) -> dict[str, list[dt.date]]:
    """For each accession, the other filing dates whose raw_filings list it, ascending."""
    raw = TABLES["raw_filings"]
    wanted = sorted(set(accessions))
    found: dict[str, list[dt.date]] = defaultdict(list)
    for start in range(0, len(wanted), CHUNK):
        query = (
            sa.select(raw.c.ACCESSION_NUMBER, raw.c.FILING_DATE)
            .where(
                raw.c.ACCESSION_NUMBER.in_(wanted[start : start + CHUNK]),
                raw.c.FILING_DATE != day,
                sa.or_(raw.c.FETCH_ERROR.is_(None), ~raw.c.FETCH_ERROR.like(REFUSED_LINE_PATTERN)),
            )
            .order_by(raw.c.ACCESSION_NUMBER, raw.c.FILING_DATE)
        )
        for accession, filed in conn.execute(query):
            found[accession].append(filed)
    return dict(found)


def raw_listing(conn: sa.Connection, day: dt.date, accession: str) -> dict[str, Any]:
    raw = TABLES["raw_filings"]
    query = sa.select(raw).where(raw.c.FILING_DATE == day, raw.c.ACCESSION_NUMBER == accession)
    return dict(conn.execute(query).mappings().one())


def replace_accession_rows(
    conn: sa.Connection, day: dt.date, accession: str, tables: Sequence[str], rows: Mapping[str, Sequence[Mapping[str, Any]]]
) -> None:
    """Delete `accession`'s rows of `day` from each of `tables` and insert `rows` instead,
    inside the caller's write transaction; the partitions are recorded as rewritten."""
    for name in tables:
        table = TABLES[name]
        conn.execute(table.delete().where(table.c.FILING_DATE == day, table.c.ACCESSION_NUMBER == accession))
        if rows.get(name):
            conn.execute(table.insert(), [dict(r) for r in rows[name]])
    mark_rewritten(conn, [(name, day) for name in tables])
