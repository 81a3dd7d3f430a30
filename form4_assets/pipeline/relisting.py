"""An accession listed on several filing dates is parsed on the first of them only.

EDGAR re-lists a filing on a later day now and then (a late dissemination). Every
listing stays a raw_filings row of its own day; the filing is parsed on the earliest
date that lists it, and each later listing is a quarantine row on its day
(`duplicate_accession`, naming the first date), so raw = parsed + quarantined holds on
every day and the parsed tables and aggregates hold the filing once.

"Earliest" is by filing date, not by load order, so the tables come out the same in any
order: a day loaded after a later day that holds the filing takes it over, turning the
later day's rows into the duplicate_accession row in the same transaction. The decision
and the writes happen under the warehouse write lock, so two runs loading both days at
once agree too. (The later day's aggregates and signals, if built, are then stale and
reported as such by the staleness check; its per-filing signal rows of the accession
leave with its parsed rows.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from form4_assets.pipeline.day import PARSED_PARTITION_TABLES, Row, is_refused_line, quarantine_row
from form4_assets.warehouse.relistings import ACCESSION_KEYED, other_listings, raw_listing, replace_accession_rows
from form4_assets.warehouse.store import replace_partitions_in, write_transaction

#: The accession was already listed on an earlier filing date, where it is parsed.
DUPLICATE_ACCESSION = "duplicate_accession"

#: What a later day's rows of an accession taken over by an earlier day leave: every table that
#: holds an accession once (else the earlier day's rows of it would collide), and the quarantine.
MOVED_OUT = tuple(dict.fromkeys([*PARSED_PARTITION_TABLES, *ACCESSION_KEYED]))


def duplicate_row(raw: Mapping[str, Any], first: dt.date) -> Row:
    """The quarantine row of a later listing of an accession first listed on `first`."""
    return quarantine_row(
        raw,
        DUPLICATE_ACCESSION,
        f"accession {raw['ACCESSION_NUMBER']} was first listed on {first.isoformat()}, where it is parsed; "
        f"EDGAR listed it again on {raw['FILING_DATE'].isoformat()}",
        "ACCESSION_NUMBER",
    )


def keep_first(
    tables: Mapping[str, Sequence[Row]], raw_rows: Sequence[Mapping[str, Any]], first_of: Mapping[str, dt.date]
) -> dict[str, list[Row]]:
    """The day's parsed tables without the accessions first listed earlier (`first_of`),
    each of which becomes one duplicate_accession quarantine row instead."""
    out = {name: [r for r in rows if r["ACCESSION_NUMBER"] not in first_of] for name, rows in tables.items()}
    out.setdefault("quarantine", [])
    for raw in raw_rows:
        if raw["ACCESSION_NUMBER"] in first_of:
            out["quarantine"].append(duplicate_row(raw, first_of[raw["ACCESSION_NUMBER"]]))
    return out


def write_parsed_day(
    engine: sa.Engine, day: dt.date, raw_rows: Sequence[Mapping[str, Any]], tables: Mapping[str, Sequence[Row]]
) -> dict[str, list[Row]]:
    """Write one day's parsed tables (its partition replaced whole), first listings only.

    Returns the rows written for the day. Later days that list one of the day's own
    accessions get their rows of it replaced by a duplicate_accession row.
    """
    listed = [r for r in raw_rows if not is_refused_line(r)]
    with write_transaction(engine) as conn:
        others = other_listings(conn, day, (r["ACCESSION_NUMBER"] for r in listed))
        first_of = {acc: dates[0] for acc, dates in others.items() if dates[0] < day}
        written = keep_first(tables, [r for r in listed if r["ACCESSION_NUMBER"] in first_of], first_of)
        for accession, dates in sorted(others.items()):
            if accession in first_of:
                continue
            for later in dates:
                duplicate = duplicate_row(raw_listing(conn, later, accession), day)
                replace_accession_rows(conn, later, accession, MOVED_OUT, {"quarantine": [duplicate]})
        replace_partitions_in(conn, [day], written)
    return written
