"""The code location loads from workspace.yaml and from the package, env-independent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import dagster as dg
import pytest

from form4_assets_tests.conftest import REPO_ROOT

CORE_ASSETS = {"raw_filings", "filing_headers", "ownership_documents", "transactions", "holdings", "quarantine"}


def test_definitions_have_the_graph_checks_job_and_schedule() -> None:
    from form4_assets.definitions import defs

    repo = defs.get_repository_def()
    graph = repo.asset_graph
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert CORE_ASSETS <= keys
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    assert {
        ("transactions", "share_chain"),
        ("transactions", "non_negative_amounts"),
        ("transactions", "acquired_disposed_matches_code"),
        ("ownership_documents", "header_ciks_match_xml"),
        ("quarantine", "raw_equals_parsed_plus_quarantined"),
    } <= checks
    assert repo.get_job("daily_filings_job") is not None
    assert repo.get_schedule_def("previous_business_day_schedule").cron_schedule == "0 21 * * 1-5"

    expected_parents = {
        "filing_headers": {"raw_filings"},
        "ownership_documents": {"filing_headers"},
        "transactions": {"ownership_documents"},
        "holdings": {"ownership_documents"},
        "quarantine": {"raw_filings"},
    }
    for asset, parents in expected_parents.items():
        node = graph.get(dg.AssetKey(asset))
        assert {p.to_user_string() for p in node.parent_keys} == parents, asset

    for key in CORE_ASSETS:
        spec = graph.get(dg.AssetKey(key))
        assert spec.partitions_def is not None
        assert spec.backfill_policy == dg.BackfillPolicy.single_run()
        assert spec.description
        assert spec.owners == ["team:form4-data"]
        assert isinstance(spec.metadata["dagster/column_schema"], dg.TableSchema)
        assert spec.metadata["dagster/table_name"]
    schema = graph.get(dg.AssetKey("transactions")).metadata["dagster/column_schema"]
    assert "TRANS_SHARES" in {c.name for c in schema.columns}
    lineage = graph.get(dg.AssetKey("transactions")).metadata["dagster/column_lineage"]
    assert {d.asset_key.to_user_string() for d in lineage.deps_by_column["TRANS_SHARES"]} == {"raw_filings"}
    assert [d.asset_key.to_user_string() for d in lineage.deps_by_column["ACCESSION_NUMBER"]] == ["ownership_documents"]


def _clean_env() -> dict[str, str]:
    """The environment minus every FORM4_ setting: loading must not need any of them."""
    return {k: v for k, v in os.environ.items() if not k.startswith("FORM4_")}


@pytest.mark.parametrize(
    "target", [["-w", str(REPO_ROOT / "workspace.yaml")], ["-m", "form4_assets.definitions"]], ids=["workspace", "module"]
)
def test_code_location_validates(target: list[str], tmp_path: Path) -> None:
    """What `dagster dev` (workspace.yaml) and `dagster dev -m form4_assets.definitions` load, with no FORM4_* set."""
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", *target],
        cwd=REPO_ROOT, env={**_clean_env(), "DAGSTER_HOME": str(tmp_path)}, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation successful" in result.stdout + result.stderr


def test_package_root_does_not_import_dagster() -> None:
    """The library parts load without Dagster (the command line's `parse` stays fast)."""
    code = "import sys, form4_assets, form4_assets.parsing.filing; assert 'dagster' not in sys.modules; print('ok')"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=_clean_env(), capture_output=True, text=True, timeout=300)
    assert result.stdout.strip() == "ok", result.stderr


def _assets_and_checks(defs: dg.Definitions) -> tuple[set[str], set[str]]:
    graph = defs.get_repository_def().asset_graph
    return ({k.to_user_string() for k in graph.get_all_asset_keys()},
            {f"{c.asset_key.to_user_string()}:{c.name}" for c in graph.asset_check_keys})


def test_defs_package_loads_with_dagsters_module_loader() -> None:
    """Dagster's package loader finds each asset once (no module-level AssetSpec defines one twice)
    and the same assets, checks, job and schedule as the code location."""
    import form4_assets.defs
    from form4_assets.definitions import defs
    from form4_assets.defs.resources import default_resources

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        loaded = dg.load_definitions_from_package_module(form4_assets.defs, resources=default_resources())
    assets, checks = _assets_and_checks(loaded)
    assert (assets, checks) == _assets_and_checks(defs)
    assert CORE_ASSETS <= assets and len(checks) >= 12
    assert {j.name for j in loaded.jobs or []} == {j.name for j in defs.jobs or []} >= {"daily_filings_job"}
    assert [s.name for s in loaded.schedules or []] == ["previous_business_day_schedule"]


def test_dg_lists_every_asset_and_check(tmp_path: Path) -> None:
    """`dg list defs` from the repository root (pyproject.toml's [tool.dg]) sees the whole code location."""
    from form4_assets.definitions import defs

    result = subprocess.run(
        [str(Path(sys.executable).parent / "dg"), "list", "defs", "--json"],
        cwd=REPO_ROOT, env={**_clean_env(), "DAGSTER_HOME": str(tmp_path)}, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    listed = json.loads(result.stdout)
    assets, checks = _assets_and_checks(defs)
    assert {a["asset_key"] for a in listed["assets"]} == assets
    assert {c["key"] for c in listed["asset_checks"]} == checks
    assert {j["name"] for j in listed["jobs"]} == {j.name for j in defs.jobs or []} >= {"daily_filings_job"}


def test_execute_range_runs_one_run_over_the_range(tmp_path: Path) -> None:
    """runs.py's one private import (the single-run backfill tags) still makes one run cover a range."""
    from form4_assets.runs import execute_range

    seen: list[list[str]] = []
    days = dg.DailyPartitionsDefinition(start_date="2024-01-01")

    @dg.asset(partitions_def=days, backfill_policy=dg.BackfillPolicy.single_run())
    def probe(context) -> None:  # unannotated: this module's string annotations are opaque to Dagster
        seen.append(list(context.partition_keys))

    job = dg.Definitions(assets=[probe], jobs=[dg.define_asset_job("probe_job")]).resolve_job_def("probe_job")
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        result = execute_range(job, "2024-01-02", "2024-01-04", instance)
    assert result.success
    assert seen == [["2024-01-02", "2024-01-03", "2024-01-04"]]
