"""An accession EDGAR lists on two filing dates (issue 14, finding 10).

The seed filing is listed on 2023-11-08 and again on 2023-11-09. Whatever order the two
days are loaded and re-loaded in, the tables end the same: parsed on 2023-11-08, a
duplicate_accession quarantine row on 2023-11-09 naming the first day, counted once by
the aggregates, and raw = parsed + quarantined on each day. (The aggregates and signals
are built once after the loads; out-of-order aggregates are test_out_of_order.py's subject.)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from form4_assets.defs.resources import EdgarSourceResource, WarehouseResource
from form4_assets.edgar.paths import daily_index_path, filing_path
from form4_assets.aggregates.staleness import INPUTS, stale_partitions
from form4_assets.runs import daily_job, execute_range, refresh_stale_aggregates, run_daily_job
from form4_assets.warehouse.checks_sql import raw_equals_parsed_plus_quarantined
from form4_assets.warehouse.engine import make_engine
from form4_assets.warehouse.schema import TABLES
from form4_assets.warehouse.store import read_partition

FIRST, LATER = dt.date(2023, 11, 8), dt.date(2023, 11, 9)
SEED = "0001628280-23-037880"
OTHER = "0000000001-23-000007"  # another filing of the later day, parsed there
INGEST = [dg.AssetKey(k) for k in ("raw_filings", "filing_headers", "ownership_documents", "transactions", "holdings", "quarantine")]
DERIVED = [dg.AssetKey(k) for k in INPUTS]  # the aggregates and the signals


def _index(day: dt.date, lines: list[str]) -> str:
    head = ["Description:           Daily Index of EDGAR Dissemination Feed", " ",
            "CIK|Company Name|Form Type|Date Filed|File Name", "-" * 80]
    return "\n".join(head + [f"{line}|{day:%Y%m%d}|{path}" for line, path in lines]) + "\n"


def lay_out_mirror(root: Path, seed_bytes: bytes) -> None:
    other = seed_bytes.replace(SEED.encode(), OTHER.encode()).replace(b"20231108", b"20231109")
    for cik, accession, data in (("1043219", SEED, seed_bytes), ("1043219", OTHER, other)):
        path = root / filing_path(cik, accession)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    listings = {
        FIRST: [("1043219|ANNALY CAPITAL MANAGEMENT INC|4", f"edgar/data/1043219/{SEED}.txt")],
        LATER: [("1043219|ANNALY CAPITAL MANAGEMENT INC|4", f"edgar/data/1043219/{SEED}.txt"),
                ("1043219|ANNALY CAPITAL MANAGEMENT INC|4", f"edgar/data/1043219/{OTHER}.txt")],
    }
    for day, lines in listings.items():
        index = root / daily_index_path(day)
        index.parent.mkdir(parents=True, exist_ok=True)
        index.write_text(_index(day, lines))


def dump(engine: sa.Engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {
            name: [tuple(r) for r in conn.execute(sa.select(t).order_by(*t.primary_key.columns))]
            for name, t in TABLES.items()
        }


ORDERS = {
    "in_order": [FIRST, LATER],
    "later_first_then_each_again": [LATER, FIRST, LATER, FIRST],
    "in_order_then_each_again_reversed": [FIRST, LATER, LATER, FIRST],
}


@pytest.fixture
def mirror(tmp_path: Path, seed_bytes: bytes) -> Path:
    lay_out_mirror(tmp_path / "mirror", seed_bytes)
    return tmp_path / "mirror"


def load(url: str, mirror: Path, days: list[dt.date]) -> sa.Engine:
    """Ingest the days in the given order (one run each), then the aggregates and signals once, in date order."""
    warehouse, edgar = WarehouseResource(url=url), EdgarSourceResource(mirror_dir=str(mirror))
    instance = dg.DagsterInstance.ephemeral()
    job = daily_job(warehouse, edgar)
    for day in days:
        result = execute_range(job, day.isoformat(), day.isoformat(), instance, asset_selection=INGEST)
        assert result.success, f"run of {day} failed"
    result = execute_range(job, FIRST.isoformat(), LATER.isoformat(), instance, asset_selection=DERIVED)
    assert result.success
    return make_engine(url)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_relisted_accession_same_tables_in_any_order(mirror: Path, tmp_path: Path, new_warehouse_url, backend: str) -> None:
    expected = None
    for name, days in ORDERS.items():
        engine = load(new_warehouse_url(backend, tmp_path / name, name), mirror, days)
        tables = dump(engine)
        for day in (FIRST, LATER):
            outcome = raw_equals_parsed_plus_quarantined(engine, [day])[day]
            assert outcome.passed, (name, day, outcome.examples)
        if expected is None:
            expected = tables
            _assert_first_listing_kept(engine)
        else:
            for table in TABLES:
                assert tables[table] == expected[table], f"{name}: {table} differs from the in-order run"
        engine.dispose()


def _assert_first_listing_kept(engine: sa.Engine) -> None:
    assert {r["ACCESSION_NUMBER"] for r in read_partition(engine, "raw_filings", LATER)} == {SEED, OTHER}
    assert [r["ACCESSION_NUMBER"] for r in read_partition(engine, "submission", FIRST)] == [SEED]
    assert [r["ACCESSION_NUMBER"] for r in read_partition(engine, "submission", LATER)] == [OTHER]
    (dup,) = read_partition(engine, "quarantine", LATER)
    assert (dup["ACCESSION_NUMBER"], dup["REASON_CODE"], dup["FIELD"]) == (SEED, "duplicate_accession", "ACCESSION_NUMBER")
    assert "first listed on 2023-11-08" in dup["MESSAGE"]
    et = TABLES["effective_transactions"]
    with engine.connect() as conn:
        seed_rows = conn.execute(sa.select(et.c.FILING_DATE).where(et.c.ACCESSION_NUMBER == SEED)).scalars().all()
    assert seed_rows and set(seed_rows) == {FIRST}, "the aggregates count the relisted filing once, on its first day"


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_later_listing_loaded_first_through_the_whole_graph(mirror: Path, tmp_path: Path, new_warehouse_url, backend: str) -> None:
    """The later day first, aggregates and all: the earlier day takes the filing over, the later
    day's aggregates are reported stale, and the remedy gives the in-order tables."""
    expected = dump(load(new_warehouse_url(backend, tmp_path / "ordered", "ordered"), mirror, [FIRST, LATER]))
    url = new_warehouse_url(backend, tmp_path / "reversed", "reversed")
    warehouse, edgar = WarehouseResource(url=url), EdgarSourceResource(mirror_dir=str(mirror))
    instance = dg.DagsterInstance.ephemeral()
    for day in (LATER, FIRST):
        assert run_daily_job(day.isoformat(), day.isoformat(), warehouse=warehouse, edgar=edgar, instance=instance).success
    engine = make_engine(url)
    with engine.connect() as conn:
        stale = {s.filing_date for rows in stale_partitions(conn).values() for s in rows}
    assert stale == {LATER}
    assert refresh_stale_aggregates(warehouse=warehouse, edgar=edgar, instance=instance).success
    assert dump(engine) == expected
    engine.dispose()
