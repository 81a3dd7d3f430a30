"""A failing ERROR check blocks the aggregates downstream; WARN checks do not."""

from __future__ import annotations

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
