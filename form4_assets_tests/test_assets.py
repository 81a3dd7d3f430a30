"""The whole graph on a generated mirror, with a real Dagster instance, on SQLite and PostgreSQL.

One single run covers several filing dates (as a single-run backfill does); the seed
filing's values land in the transactions table; re-materializing gives identical
tables; the checks pass on a clean day and, on the generator's deliberately
inconsistent filings, fail naming exactly the rows its manifest lists.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from form4_assets.defs.resources import EdgarSourceResource, WarehouseResource
from form4_assets.runs import run_daily_job
from form4_assets.synthetic.mirror import make_mirror
from form4_assets.warehouse.engine import make_engine
from form4_assets.warehouse.schema import TABLES
from form4_assets.warehouse.store import read_partition

FIRST, LAST = dt.date(2023, 11, 6), dt.date(2023, 11, 10)
SEED_DAY = dt.date(2023, 11, 8)
SEED = "0001628280-23-037880"
#: The manifest's check names → the warehouse checks that must catch them.
CHECK_FOR = {"share_chain": "share_chain", "ad_code": "acquired_disposed_matches_code"}


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    root = tmp_path_factory.mktemp("mirror") / "mirror"
    manifest = make_mirror(root, FIRST, LAST, per_day=30)
    return root, [json.loads(line) for line in manifest.read_text().splitlines()]


def run(warehouse_url: str, root: Path, first: dt.date, last: dt.date, instance: dg.DagsterInstance | None = None):
    return run_daily_job(
        first.isoformat(),
        last.isoformat(),
        warehouse=WarehouseResource(url=warehouse_url),
        edgar=EdgarSourceResource(mirror_dir=str(root)),
        instance=instance or dg.DagsterInstance.ephemeral(),
    )


def dump(engine: sa.Engine) -> dict[str, list[tuple]]:
    out = {}
    with engine.connect() as conn:
        for name, table in TABLES.items():
            out[name] = [tuple(r) for r in conn.execute(sa.select(table).order_by(*table.primary_key.columns))]
    return out


def checks_by_name(result) -> dict[str, dg.AssetCheckEvaluation]:
    """The evaluations of a one-date run, by check name."""
    evaluations = result.get_asset_check_evaluations()
    assert len({e.partition for e in evaluations}) == 1
    return {e.check_name: e for e in evaluations}


def evaluations_by_check_and_date(result) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    """The evaluations of a run by ("asset/check", partition); two on one date would be a bug."""
    found: dict[tuple[str, str], dg.AssetCheckEvaluation] = {}
    for e in result.get_asset_check_evaluations():
        key = (f"{e.asset_key.to_user_string()}/{e.check_name}", e.partition)
        assert key not in found, f"{key} evaluated twice"
        found[key] = e
    return found


def test_one_run_over_several_days(warehouse_url: str, mirror) -> None:
    root, manifest = mirror
    days = [FIRST, FIRST + dt.timedelta(1), SEED_DAY]
    instance = dg.DagsterInstance.ephemeral()
    result = run(warehouse_url, root, days[0], days[-1], instance)
    assert result.success
    assert len(instance.get_runs()) == 1

    progress = [e.user_message for e in instance.all_logs(result.run_id)]
    for i, day in enumerate(days, 1):
        assert any(f"{day} ({i}/3)" in (m or "") for m in progress), f"no progress line for {day}"

    engine = make_engine(warehouse_url)
    expected = defaultdict(set)
    broken = defaultdict(set)
    for record in manifest:
        expected[record["filing_date"]].add(record["accession"])
        if record["broken"]:
            broken[record["filing_date"]].add(record["accession"])
    for day in days:
        raw = {r["ACCESSION_NUMBER"] for r in read_partition(engine, "raw_filings", day)}
        parsed = {r["ACCESSION_NUMBER"] for r in read_partition(engine, "submission", day)}
        quarantined = {r["ACCESSION_NUMBER"] for r in read_partition(engine, "quarantine", day)}
        assert raw == expected[day.isoformat()]
        assert quarantined == broken[day.isoformat()]
        assert parsed == raw - quarantined

    seed_rows = [r for r in read_partition(engine, "nonderiv_trans", SEED_DAY) if r["ACCESSION_NUMBER"] == SEED]
    assert len(seed_rows) == 1
    seed = seed_rows[0]
    assert (seed["TRANS_CODE"], seed["TRANS_ACQUIRED_DISP_CD"], seed["DIRECT_INDIRECT_OWNERSHIP"]) == ("S", "D", "D")
    assert seed["TRANS_DATE"] == dt.date(2023, 11, 6)
    assert Decimal(seed["TRANS_SHARES"]) == Decimal("50000")
    assert Decimal(seed["TRANS_PRICEPERSHARE"]) == Decimal("17.04")
    assert Decimal(seed["SHRS_OWND_FOLWNG_TRANS"]) == Decimal("545259")
    assert seed["TRANS_PRICEPERSHARE_FN"] == "F2"
    submission = [r for r in read_partition(engine, "submission", SEED_DAY) if r["ACCESSION_NUMBER"] == SEED][0]
    assert submission["ISSUERTRADINGSYMBOL"] == "NLY"

    # Each filing date's partition carries its own facts, equal to SQL for that date; the
    # run's facts (table, schema, lineage) are on every one of them.
    keys = [d.isoformat() for d in days]
    materialized = {
        (e.asset_key.to_user_string(), e.partition): e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    assert {p for a, p in materialized if a == "transactions"} == set(keys)
    for day in days:
        tx = materialized[("transactions", day.isoformat())]
        rows = read_partition(engine, "nonderiv_trans", day)
        assert tx["dagster/row_count"].value == len(rows) > 0
        assert tx["row_count/deriv_trans"].value == len(read_partition(engine, "deriv_trans", day))
        assert tx["filing_date"].value == day.isoformat()
        assert tx["dagster/table_name"].value == "nonderiv_trans"
        assert "TRANS_SHARES" in {c.name for c in tx["dagster/column_schema"].schema.columns}
        assert "dagster/column_lineage" in tx
        others = {r["ACCESSION_NUMBER"] for d in days if d != day for r in read_partition(engine, "nonderiv_trans", d)}
        assert min(r["ACCESSION_NUMBER"] for r in rows) in tx["preview"].value
        assert not any(acc in tx["preview"].value for acc in others), day
        reasons = defaultdict(int)
        for row in read_partition(engine, "quarantine", day):
            reasons[row["REASON_CODE"]] += 1
        assert materialized[("quarantine", day.isoformat())]["quarantine_reasons"].value == dict(reasons)
        # The same through the instance, as the UI reads it.
        (record,) = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("transactions"), asset_partitions=[day.isoformat()]), limit=1
        ).records
        assert record.run_id == result.run_id
        assert record.asset_materialization.metadata["dagster/row_count"].value == len(rows)
    engine.dispose()

    # Every check has one evaluation per filing date, in the instance too, and names
    # exactly the manifest's deliberately inconsistent rows of that date.
    evaluations = evaluations_by_check_and_date(result)
    assert set(evaluations) == {(name, key) for name in {n for n, _ in evaluations} for key in keys}
    assert len(result.get_asset_check_evaluations()) == len(evaluations)
    planted = defaultdict(set)
    for record in manifest:
        if record["filing_date"] in keys:
            for row in record["inconsistent"]:
                planted[(CHECK_FOR[row["check"]], record["filing_date"])].add((record["accession"], row["table"], row["sk"]))
    assert planted, "the generator planted no inconsistent rows in these days; pick other days"
    for key in keys:
        for name in ("share_chain", "acquired_disposed_matches_code"):
            evaluation = evaluations[(f"transactions/{name}", key)]
            found = {(r["accession"], r["table"], r["sk"]) for r in evaluation.metadata["offending_rows_json"].value}
            assert found == planted[(name, key)], (name, key)
            assert evaluation.passed == (not planted[(name, key)])
            assert evaluation.severity == dg.AssetCheckSeverity.WARN
            assert evaluation.metadata["filing_date"].value == key
        for name in ("transactions/non_negative_amounts", "ownership_documents/header_ciks_match_xml",
                     "quarantine/raw_equals_parsed_plus_quarantined"):
            assert evaluations[(name, key)].passed, (name, key, evaluations[(name, key)].metadata)
    reconcile = dg.AssetCheckKey(dg.AssetKey("quarantine"), "raw_equals_parsed_plus_quarantined")
    stored = instance.event_log_storage.get_asset_check_execution_history(reconcile, limit=10)
    assert sorted((r.partition, r.status.value) for r in stored) == [(k, "SUCCEEDED") for k in keys]


def test_checks_pass_on_a_clean_day(warehouse_url: str, mirror) -> None:
    root, manifest = mirror
    dirty = {r["filing_date"] for r in manifest if r["inconsistent"]}
    clean = [d for d in (FIRST + dt.timedelta(i) for i in range(5)) if d.weekday() < 5 and d.isoformat() not in dirty]
    assert clean, "every generated day has planted inconsistencies"
    result = run(warehouse_url, root, clean[0], clean[0])
    assert result.success
    checks = checks_by_name(result)
    assert len(checks) >= 5
    assert all(c.passed for c in checks.values()), {n: c.metadata["offending_rows_json"].value for n, c in checks.items() if not c.passed}
    assert checks["share_chain"].metadata["checked"].value > 0


def test_rematerializing_gives_identical_tables(warehouse_url: str, mirror) -> None:
    root, _ = mirror
    assert run(warehouse_url, root, SEED_DAY, LAST).success
    engine = make_engine(warehouse_url)
    before = dump(engine)
    assert before["nonderiv_trans"]
    assert run(warehouse_url, root, SEED_DAY, SEED_DAY).success
    assert run(warehouse_url, root, SEED_DAY, LAST).success
    assert dump(engine) == before
    engine.dispose()
