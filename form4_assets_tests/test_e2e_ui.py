"""End to end as a user works: dagster-webserver + dagster-daemon, the GraphQL API, Chromium.

One webserver and one daemon for the whole module, on a free loopback port, against the
project's workspace.yaml, with a temporary DAGSTER_HOME and a generated mirror around
2023-11-08 (the day of the real seed filing). The tests then do what a user does in
the UI — look at the graph, materialize a partition, read its metadata and checks,
backfill three days (each date with its own counts and check results), backfill three
more with an error planted on the middle date — through the same GraphQL API the UI
calls, and finally open the pages in headless Chromium (Debian's package, no downloaded
browser) and read them: a date's own metadata, and a check's partition view with the
middle date failed and the others passed.

Expected values come from the layout contract (form4_assets.tables), the generator's
manifest and the warehouse on disk, not from the code under test. Server logs and
screenshots are written to test-artifacts/e2e/ (gitignored); with
FORM4_README_SCREENSHOTS=1 the README's screenshots in docs/screenshots/ are refreshed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from form4_assets_tests.e2e_ranges import count_on, evaluations_of_run, launch_range, plant_negative_shares
from form4_assets_tests.e2e_support import (
    CHROMIUM_ARGS,
    REPO_ROOT,
    DagsterServers,
    asset_graph,
    check_executions,
    chromium_executable,
    dagster_servers,
    latest_materialization,
    launch_partition_run,
    metadata_by_label,
    run_failure_summary,
    skip_or_fail,
    wait_for_run,
)

pytestmark = pytest.mark.slow

ARTIFACTS = REPO_ROOT / "test-artifacts" / "e2e"
README_SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
JOB = "daily_filings_job"
SEED_DAY = "2023-11-08"
#: Three consecutive filing dates (the weekend between them is not a partition).
BACKFILL_DAYS = ["2023-11-09", "2023-11-10", "2023-11-13"]
#: A range run with a negative share count planted in a filing of its middle date.
FAILING_DAYS = ["2023-11-06", "2023-11-07", "2023-11-08"]
MIRROR_START, MIRROR_END = dt.date(2023, 11, 6), dt.date(2023, 11, 14)

EXPECTED_ASSETS = {
    "raw_filings",
    "filing_headers",
    "ownership_documents",
    "transactions",
    "holdings",
    "quarantine",
    "effective_transactions",
    "issuer_daily_activity",
    "net_insider_selling",
    "cluster_buys",
    "filing_timeliness",
    "trading_plans",
    "insider_patterns",
    "insider_signals",
}
#: Imported on demand by its own job (form345_import_job), not by the nightly graph.
BULK_ASSETS = {"sec_form345"}
#: In the nightly graph, but skipped without a price source (this deployment has none).
OUTCOME_ASSETS = {"trade_outcomes", "insider_track_records", "signal_outcomes"}
CORE_ASSETS = {"raw_filings", "filing_headers", "ownership_documents", "transactions", "holdings", "quarantine"}
#: (asset, an asset it depends on): the pipeline's stages in order.
EXPECTED_EDGES = {
    ("filing_headers", "raw_filings"),
    ("quarantine", "raw_filings"),
    ("ownership_documents", "filing_headers"),
    ("transactions", "ownership_documents"),
    ("holdings", "ownership_documents"),
    ("effective_transactions", "transactions"),
    ("issuer_daily_activity", "effective_transactions"),
    ("net_insider_selling", "issuer_daily_activity"),
    ("cluster_buys", "effective_transactions"),
    ("filing_timeliness", "effective_transactions"),
    ("trading_plans", "effective_transactions"),
    ("insider_patterns", "effective_transactions"),
    ("insider_signals", "insider_patterns"),
    ("insider_signals", "filing_timeliness"),
}
#: The checks the product promises, on the asset that owns the data they check.
SPEC_CHECKS = {
    ("transactions", "share_chain"),
    ("transactions", "non_negative_amounts"),
    ("transactions", "acquired_disposed_matches_code"),
    ("ownership_documents", "header_ciks_match_xml"),
    ("quarantine", "raw_equals_parsed_plus_quarantined"),
    ("issuer_daily_activity", "reconciles_with_effective_transactions"),
}


@dataclass
class Deployment:
    servers: DagsterServers
    data_dir: Path
    manifest: list[dict]
    failing_run: str | None = None  # the range run over FAILING_DAYS, once launched

    @property
    def warehouse(self) -> Path:
        return self.data_dir / "warehouse.sqlite"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    from form4_assets.synthetic.mirror import make_mirror

    root = tmp_path_factory.mktemp("e2e")
    data = root / "data"
    manifest = make_mirror(data / "mirror", MIRROR_START, MIRROR_END, per_day=20)
    entries = [json.loads(line) for line in manifest.read_text().splitlines() if line.strip()]
    # Only the data directory is set; empty values make the other settings fall back to
    # their defaults (mirror under the data dir, SQLite warehouse there) whatever the
    # calling environment holds.
    env = {
        "FORM4_DATA_DIR": str(data),
        "FORM4_WAREHOUSE_URL": "",
        "FORM4_MIRROR_DIR": "",
        "FORM4_EDGAR_MODE": "",
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    print(f"\ne2e: server logs and screenshots in {ARTIFACTS}")
    with dagster_servers(dagster_home=root / "dagster_home", env=env, log_dir=ARTIFACTS) as servers:
        yield Deployment(servers, data, entries)


def _run_partition(deployment: Deployment, partition: str) -> str:
    servers = deployment.servers
    run_id = launch_partition_run(servers, partition, JOB)
    info = wait_for_run(servers, run_id, timeout=300)
    assert info["status"] == "SUCCESS", f"run {run_id}: {info['status']}\n{run_failure_summary(servers, run_id)}"
    return run_id


def _check_keys() -> set[tuple[str, str]]:
    """The checks a run of daily_filings_job evaluates (the form345 import has its own job,
    the freshness checks their sensor)."""
    from form4_assets.definitions import defs

    graph = defs.resolve_job_def("daily_filings_job").asset_layer.asset_graph
    return {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}


def _evaluated_check_keys() -> set[tuple[str, str]]:
    """The checks a run of this deployment evaluates: the outcome assets skip without a price source,
    their checks with them."""
    return {(asset, name) for asset, name in _check_keys() if asset not in OUTCOME_ASSETS}


@pytest.mark.timeout(420)
def test_ui_shows_the_asset_graph_edges_checks_and_column_lineage(deployment: Deployment) -> None:
    from form4_assets.tables import TABLES_BY_NAME

    graph = asset_graph(deployment.servers)
    assert set(graph) == EXPECTED_ASSETS | BULK_ASSETS | OUTCOME_ASSETS

    edges = {(key, "/".join(dep["path"])) for key, node in graph.items() for dep in node["dependencyKeys"]}
    assert EXPECTED_EDGES <= edges, EXPECTED_EDGES - edges
    for key, node in graph.items():
        assert node["isPartitioned"], key
        assert node["backfillPolicy"]["policyType"] == "SINGLE_RUN", key
        assert node["description"], key

    checks = {
        (key, check["name"]) for key, node in graph.items() for check in node["assetChecksOrError"]["checks"]
    }
    from form4_assets.defs.freshness import FRESHNESS_CHECK_KEYS

    freshness = {(k.asset_key.to_user_string(), k.name) for k in FRESHNESS_CHECK_KEYS}
    assert checks == _check_keys() | {("sec_form345", "agrees_with_parsed_filings")} | freshness
    assert SPEC_CHECKS <= checks, SPEC_CHECKS - checks

    # Table schemas before anything ran, equal to the layout contract.
    transactions_meta = metadata_by_label(graph["transactions"]["metadataEntries"])
    columns = [c["name"] for c in transactions_meta["dagster/column_schema"]["schema"]["columns"]]
    assert columns == list(TABLES_BY_NAME["nonderiv_trans"].column_names)

    # Column lineage for the transaction and aggregate tables, pointing at upstream assets.
    for key in ("transactions", "effective_transactions", "issuer_daily_activity"):
        meta = metadata_by_label(graph[key]["metadataEntries"])
        lineage = meta["dagster/column_lineage"]["lineage"]
        assert lineage, key
        for entry in lineage:
            for dep in entry["columnDeps"]:
                assert "/".join(dep["assetKey"]["path"]) in (EXPECTED_ASSETS | BULK_ASSETS) - {key}, (key, entry)
    ida = {e["columnName"]: e for e in metadata_by_label(graph["issuer_daily_activity"]["metadataEntries"])["dagster/column_lineage"]["lineage"]}
    assert {"/".join(d["assetKey"]["path"]) for d in ida["SELL_SHARES"]["columnDeps"]} == {"effective_transactions"}


@pytest.mark.timeout(420)
def test_materialize_one_partition_and_read_back_metadata_and_checks(deployment: Deployment) -> None:
    from form4_assets.tables import TABLES_BY_NAME as tables

    servers = deployment.servers
    run_id = _run_partition(deployment, SEED_DAY)

    # The schema the UI shows for a partition is the materialization's when it carries
    # one (the stages up to transactions do), else the asset definition's.
    definitions = asset_graph(servers)
    row_counts: dict[str, int] = {}
    for asset in sorted(EXPECTED_ASSETS):
        materialization = latest_materialization(servers, asset, SEED_DAY)
        assert materialization is not None and materialization["runId"] == run_id, asset
        meta = metadata_by_label(materialization["metadataEntries"])
        table = meta["dagster/table_name"]["text"]
        if asset in CORE_ASSETS:
            assert "dagster/column_schema" in meta, asset
        shown = meta.get("dagster/column_schema") or metadata_by_label(definitions[asset]["metadataEntries"])["dagster/column_schema"]
        assert [c["name"] for c in shown["schema"]["columns"]] == list(tables[table].column_names), asset
        row_counts[asset] = meta["dagster/row_count"]["intValue"]

    # The counts the UI shows are the warehouse's, and the generator's.
    engine = sa.create_engine(f"sqlite:///{deployment.warehouse}")
    try:
        with engine.connect() as conn:
            day = dt.date.fromisoformat(SEED_DAY)
            in_warehouse = {
                name: conn.execute(sa.text(f'SELECT count(*) FROM {name} WHERE "FILING_DATE" = :d'), {"d": day}).scalar_one()
                for name in ("raw_filings", "nonderiv_trans", "quarantine")
            }
    finally:
        engine.dispose()
    generated = [e for e in deployment.manifest if e["filing_date"] == SEED_DAY]
    assert row_counts["raw_filings"] == in_warehouse["raw_filings"] == len(generated)
    assert row_counts["transactions"] == in_warehouse["nonderiv_trans"] > 0
    assert row_counts["quarantine"] == in_warehouse["quarantine"] == sum(1 for e in generated if e.get("broken"))

    # Every check of the graph was evaluated in that run, with its counts as metadata.
    evaluations = {}
    for asset, name in sorted(_evaluated_check_keys()):
        done = [e for e in check_executions(servers, asset, name) if e["runId"] == run_id and e["evaluation"]]
        assert done, (asset, name)
        evaluation = done[0]["evaluation"]
        assert evaluation["metadataEntries"], (asset, name)
        evaluations[(asset, name)] = evaluation
    reconcile = evaluations[("quarantine", "raw_equals_parsed_plus_quarantined")]
    assert reconcile["success"] is True
    counts = {e["label"]: e.get("intValue") for e in reconcile["metadataEntries"]}
    assert counts.get("failures") == 0


@pytest.mark.timeout(480)
def test_backfill_of_three_days_is_one_run_and_each_date_has_its_own_counts_and_checks(deployment: Deployment) -> None:
    servers = deployment.servers
    info, run = launch_range(deployment.servers, BACKFILL_DAYS, sorted(EXPECTED_ASSETS))
    assert info["status"] in ("COMPLETED", "COMPLETED_SUCCESS"), info
    assert run["status"] == "SUCCESS", run_failure_summary(servers, run["runId"])
    for day in BACKFILL_DAYS:
        for asset in ("raw_filings", "transactions", "issuer_daily_activity"):
            materialization = latest_materialization(servers, asset, day)
            assert materialization is not None and materialization["runId"] == run["runId"], (asset, day)
        # Each date's own row counts, equal to SQL for that date, not the run's total.
        meta = metadata_by_label(latest_materialization(servers, "transactions", day)["metadataEntries"])
        assert meta["dagster/row_count"]["intValue"] == count_on(deployment.warehouse, "nonderiv_trans", day), day
        assert meta["row_count/deriv_trans"]["intValue"] == count_on(deployment.warehouse, "deriv_trans", day), day
        assert meta["filing_date"]["text"] == day
        assert meta["run_filing_dates"]["text"].startswith(f"{BACKFILL_DAYS[0]} .. {BACKFILL_DAYS[-1]}")
        raw = metadata_by_label(latest_materialization(servers, "raw_filings", day)["metadataEntries"])
        assert raw["dagster/row_count"]["intValue"] == count_on(deployment.warehouse, "raw_filings", day)
    totals = {day: count_on(deployment.warehouse, "nonderiv_trans", day) for day in BACKFILL_DAYS}
    assert len(set(totals.values())) > 1, f"pick dates with different counts: {totals}"

    # Every check of the graph: one evaluation per date of the run, filed under that date.
    for asset, name in sorted(_evaluated_check_keys()):
        evaluations = evaluations_of_run(servers, asset, name, run["runId"])
        assert sorted(evaluations) == BACKFILL_DAYS, (asset, name, sorted(evaluations))
        for day, execution in evaluations.items():
            assert execution["status"] in ("SUCCEEDED", "FAILED"), (asset, name, day, execution["status"])
            assert execution["evaluation"]["partition"] == day
            counts = {e["label"]: e.get("intValue") for e in execution["evaluation"]["metadataEntries"]}
            assert counts["checked"] is not None and counts["failures"] is not None, (asset, name, day)


def _failing_range_run(deployment: Deployment) -> str:
    """The range run over FAILING_DAYS with an error planted on its middle date (launched once)."""
    if deployment.failing_run is None:
        plant_negative_shares(deployment.data_dir / "mirror", deployment.manifest, FAILING_DAYS[1])
        info, run = launch_range(deployment.servers, FAILING_DAYS, sorted(EXPECTED_ASSETS))
        assert run["status"] == "FAILURE", info  # the blocking check stopped the run's aggregates
        deployment.failing_run = run["runId"]
    return deployment.failing_run


@pytest.mark.timeout(480)
def test_an_error_on_the_middle_date_fails_that_date_only_and_blocks_downstream(deployment: Deployment) -> None:
    servers = deployment.servers
    run_id = _failing_range_run(deployment)
    verdicts = {
        day: execution["status"]
        for day, execution in evaluations_of_run(servers, "transactions", "non_negative_amounts", run_id).items()
    }
    assert verdicts == {FAILING_DAYS[0]: "SUCCEEDED", FAILING_DAYS[1]: "FAILED", FAILING_DAYS[2]: "SUCCEEDED"}
    failed = evaluations_of_run(servers, "transactions", "non_negative_amounts", run_id)[FAILING_DAYS[1]]
    counts = {e["label"]: e.get("intValue") for e in failed["evaluation"]["metadataEntries"]}
    assert counts["failures"] == 1
    for day in FAILING_DAYS:  # the rows landed, every date of them ...
        assert latest_materialization(servers, "transactions", day)["runId"] == run_id
        # ... but nothing was built on them in this run.
        built = latest_materialization(servers, "effective_transactions", day)
        assert built is None or built["runId"] != run_id, day


# --- The same in a real browser ------------------------------------------------------


def _save(page, name: str, readme: bool = False) -> Path:  # type: ignore[no-untyped-def]
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    if readme and os.environ.get("FORM4_README_SCREENSHOTS") == "1":
        README_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, README_SCREENSHOTS / name)
    print(f"screenshot: {path}")
    return path


def _settle(page, text: str, timeout_ms: int = 60_000) -> str:  # type: ignore[no-untyped-def]
    """Wait until ``text`` is on the page and the UI's spinners are gone; return the page text."""
    page.get_by_text(text, exact=True).first.wait_for(timeout=timeout_ms)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and page.get_by_text("Loading...").count():
        time.sleep(0.5)
    time.sleep(1)  # let the graph layout finish animating
    return page.inner_text("body")


@pytest.mark.timeout(420)
def test_browser_shows_asset_names_graph_partition_metadata_and_checks(deployment: Deployment) -> None:
    executable = chromium_executable()
    if executable is None:
        skip_or_fail("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    if latest_materialization(deployment.servers, "transactions", BACKFILL_DAYS[0]) is None:
        launch_range(deployment.servers, BACKFILL_DAYS, sorted(EXPECTED_ASSETS))
    _failing_range_run(deployment)
    base = deployment.servers.base_url
    outside: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 820})
            page.set_default_timeout(60_000)

            def loopback_only(route) -> None:  # type: ignore[no-untyped-def]
                if route.request.url.startswith(base):
                    route.continue_()
                else:  # the UI must work offline; nothing leaves the machine
                    outside.append(route.request.url)
                    route.abort()

            page.route("**/*", loopback_only)

            # The catalog lists every asset by name.
            page.goto(f"{base}/assets", wait_until="networkidle")
            text = _settle(page, "issuer_daily_activity")
            assert EXPECTED_ASSETS <= set(text.split()), EXPECTED_ASSETS - set(text.split())
            _save(page, "catalog.png")

            # The global asset graph, groups expanded, navigation hidden: tall enough for the signals group, so the
            # graph is drawn at a scale where every node shows its full name and status.
            graph = browser.new_page(viewport={"width": 2400, "height": 2400})  # the signals and outcomes groups: tall
            graph.set_default_timeout(60_000)
            graph.route("**/*", loopback_only)
            graph.goto(f"{base}/asset-groups", wait_until="networkidle")
            _settle(graph, "aggregates")
            graph.get_by_text("Hide navigation").click()
            _hide_asset_sidebar(graph)
            _expand_all_groups(graph)
            text = _settle(graph, "raw_filings")
            for name in ("ingest", "documents", "transactions", "aggregates", "signals", *sorted(EXPECTED_ASSETS)):
                assert name in text, name
            _save(graph, "asset-graph.png", readme=True)
            graph.close()

            # The net-selling plot of the latest date, inline in the asset's Overview.
            page.set_viewport_size({"width": 1900, "height": 900})  # room for the metadata table
            page.goto(f"{base}/assets/net_insider_selling", wait_until="networkidle")
            _settle(page, "net_selling_overview")
            plot = page.locator("img[src^='data:image/svg+xml']")
            assert plot.count() == 1 and plot.first.is_visible()
            assert plot.first.evaluate("img => img.complete && img.naturalWidth > 0"), "the plot did not render"
            plot.first.evaluate("img => img.scrollIntoView({block: 'center', inline: 'nearest'})")
            _save(page, "net-selling-overview.png", readme=True)
            page.set_viewport_size({"width": 1500, "height": 820})

            # One date of a range run: its own row count and preview, beside the run's facts.
            day = BACKFILL_DAYS[0]
            page.goto(f"{base}/assets/transactions?view=partitions&partition={day}", wait_until="networkidle")
            text = _settle(page, "dagster/row_count")
            assert "transactions" in text and day in text and "Materialized" in text
            assert "nonderiv_trans" in text and "preview" in text and "run_filing_dates" in text
            shown = re.search(r"dagster/row_count\s+(\d+)\s", text)
            assert shown and int(shown.group(1)) == count_on(deployment.warehouse, "nonderiv_trans", day), shown
            _save(page, "partition-metadata.png", readme=True)

            # A check's partition view after the range run with an error on its middle date:
            # that date failed, the others passed.
            page.goto(f"{base}/assets/transactions?view=checks&checkDetail=non_negative_amounts", wait_until="networkidle")
            _settle(page, "Execution history")  # the check's own tabs, beside the asset's
            page.get_by_text("Partitions", exact=True).last.click()
            page.get_by_text("Passed (", exact=False).first.wait_for()  # the check's statuses, not the asset's
            page.get_by_text("Missing (", exact=False).first.click()  # list only the evaluated dates
            badges = {}
            for day in (*FAILING_DAYS[::2], FAILING_DAYS[1]):  # the failed one last, for the picture
                page.get_by_text(day, exact=True).first.click()
                page.get_by_text(re.compile(rf"^{day}: \d+ offending of")).first.wait_for(timeout=30_000)
                text = page.inner_text("body")
                badges[day] = text.split("Latest execution")[0].rstrip().splitlines()[-1]
                assert f"{day}: {1 if day == FAILING_DAYS[1] else 0} offending of" in text, day
            assert badges == {FAILING_DAYS[0]: "Passed", FAILING_DAYS[1]: "Failed", FAILING_DAYS[2]: "Passed"}
            _save(page, "partition-checks.png", readme=True)
        finally:
            browser.close()
    assert not outside, f"the UI tried to reach the network: {outside[:5]}"


def _expand_all_groups(page) -> None:  # type: ignore[no-untyped-def]
    """Open the graph's settings menu (the gear among the zoom buttons) and expand every group."""
    page.locator("button:has([aria-label='settings'])").last.click()
    page.get_by_role("menuitem", name="Expand all groups").click()
    page.keyboard.press("Escape")


def _hide_asset_sidebar(page) -> None:  # type: ignore[no-untyped-def]
    """Fold the asset tree beside the graph (the button right of 'Jump to…') so the graph gets the width."""
    jump = page.get_by_placeholder("Jump to…")
    if not jump.count():
        return
    box = jump.first.bounding_box()
    for button in page.locator("button").all():
        other = button.bounding_box() if button.is_visible() else None
        if other and abs(other["y"] - box["y"]) < 12 and 0 < other["x"] - (box["x"] + box["width"]) < 40:
            button.click()
            return
