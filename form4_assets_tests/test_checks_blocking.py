"""A failing ERROR check blocks the aggregates downstream; WARN checks do not."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg

from form4_assets.defs.resources import EdgarSourceResource, WarehouseResource
from form4_assets.runs import run_daily_job
from form4_assets_tests.test_assets_fetch_and_quarantine import SEED, lay_out_mirror


def run(tmp_path: Path, warehouse_url: str, seed_bytes: bytes):
    lay_out_mirror(tmp_path / "mirror", seed_bytes)
    return run_daily_job(
        "2023-11-08", "2023-11-08",
        warehouse=WarehouseResource(url=warehouse_url),
        edgar=EdgarSourceResource(mirror_dir=str(tmp_path / "mirror")),
        instance=dg.DagsterInstance.ephemeral(),
    )


def materialized(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def test_negative_shares_block_the_aggregates(tmp_path: Path, warehouse_url: str, seed_bytes: bytes) -> None:
    negative = seed_bytes.replace(b"<value>50000</value>", b"<value>-50000</value>", 1)
    assert negative != seed_bytes
    result = run(tmp_path, warehouse_url, negative)
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    failed = checks["non_negative_amounts"]
    assert not failed.passed and failed.severity == dg.AssetCheckSeverity.ERROR
    assert [(r["accession"], r["table"], r["sk"], r["column"], r["found"]) for r in failed.metadata["offending_rows_json"].value] == [
        (SEED, "nonderiv_trans", 1, "TRANS_SHARES", "-50000")
    ]
    assert "transactions" in materialized(result)  # the rows are written and visible ...
    assert "effective_transactions" not in materialized(result)  # ... but nothing is built on them
    assert not result.success


def test_clean_seed_reaches_the_aggregates(tmp_path: Path, warehouse_url: str, seed_bytes: bytes) -> None:
    result = run(tmp_path, warehouse_url, seed_bytes)
    assert result.success
    assert {"transactions", "effective_transactions", "issuer_daily_activity"} <= materialized(result)


def plant_negative_seed(mirror: Path) -> None:
    """Make the seed filing (filed on the middle date) report -50000 shares."""
    # Listed under every CIK of the filing: hard links to one file, so editing one edits all.
    path, *links = sorted(mirror.rglob(f"{SEED}.txt"))
    assert all(link.samefile(path) for link in links), links
    data = path.read_bytes()
    planted = data.replace(b"<value>50000</value>", b"<value>-50000</value>", 1)
    assert planted != data
    path.write_bytes(planted)


def test_a_failing_middle_date_fails_that_date_only_and_blocks_downstream(tmp_path: Path, warehouse_url: str) -> None:
    """One run over three dates: the check is evaluated on each date, fails on the planted
    one only, and the failure still stops the aggregates of the whole run."""
    from form4_assets.synthetic.mirror import make_mirror

    days = ["2023-11-07", "2023-11-08", "2023-11-09"]
    make_mirror(tmp_path / "mirror", dt.date(2023, 11, 7), dt.date(2023, 11, 9), per_day=8)
    plant_negative_seed(tmp_path / "mirror")
    instance = dg.DagsterInstance.ephemeral()
    result = run_daily_job(
        days[0], days[-1],
        warehouse=WarehouseResource(url=warehouse_url),
        edgar=EdgarSourceResource(mirror_dir=str(tmp_path / "mirror")),
        instance=instance,
    )
    assert not result.success
    verdicts = {
        e.partition: e.passed for e in result.get_asset_check_evaluations() if e.check_name == "non_negative_amounts"
    }
    assert verdicts == {"2023-11-07": True, "2023-11-08": False, "2023-11-09": True}
    key = dg.AssetCheckKey(dg.AssetKey("transactions"), "non_negative_amounts")
    stored = instance.event_log_storage.get_asset_check_execution_history(key, limit=10)
    assert sorted((r.partition, r.status.value) for r in stored) == [
        ("2023-11-07", "SUCCEEDED"), ("2023-11-08", "FAILED"), ("2023-11-09", "SUCCEEDED")
    ]
    assert {"transactions"} <= materialized(result)
    assert not materialized(result) & {"effective_transactions", "issuer_daily_activity", "net_insider_selling"}
