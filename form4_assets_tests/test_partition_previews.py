"""A run's per-date previews and counts come from one read each, and equal each date read alone."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from form4_assets.defs.metadata import PREVIEW_ROWS, partition_metadata
from form4_assets.warehouse.store import count_rows_by_date, preview_rows, preview_rows_by_date, replace_partitions

MON, TUE, WED = dt.date(2023, 11, 6), dt.date(2023, 11, 7), dt.date(2023, 11, 8)
COLUMNS = ["ACCESSION_NUMBER", "FILING_DATE", "FORM_TYPE"]


def raw(day: dt.date, n: int) -> dict:
    return {"FILING_DATE": day, "ACCESSION_NUMBER": f"0000000001-23-{n:06d}", "FORM_TYPE": "4"}


def test_previews_of_all_dates_at_once_equal_each_date_alone(engine: sa.Engine) -> None:
    # Accessions interleave across the days, so a preview that ignored the date would show others' rows.
    rows = [raw(MON if n % 2 else TUE, n) for n in range(20, 0, -1)]
    replace_partitions(engine, [MON, TUE, WED], {"raw_filings": rows})
    together = preview_rows_by_date(engine, "raw_filings", [WED, TUE, MON], COLUMNS, limit=PREVIEW_ROWS)
    assert sorted(together) == [MON, TUE, WED]
    for day in (MON, TUE, WED):
        assert together[day] == preview_rows(engine, "raw_filings", [day], COLUMNS, limit=PREVIEW_ROWS), day
    assert len(together[MON]) == PREVIEW_ROWS and together[WED] == []
    assert {r["FILING_DATE"] for r in together[TUE]} == {TUE}


def test_counts_a_step_already_knows_are_used_as_given(engine: sa.Engine) -> None:
    replace_partitions(engine, [MON, TUE], {"raw_filings": [raw(MON, 1), raw(MON, 2), raw(TUE, 3)]})
    read = partition_metadata(engine, "raw_filings", [MON, TUE])
    known = partition_metadata(engine, "raw_filings", [MON, TUE], counts={"raw_filings": count_rows_by_date(engine, "raw_filings", [MON, TUE])})
    assert {d: m["dagster/row_count"] for d, m in read.items()} == {MON: 2, TUE: 1}
    assert known == read
