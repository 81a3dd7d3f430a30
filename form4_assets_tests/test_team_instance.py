"""The team instance: deploy/dagster.yaml puts runs, event log and schedules on PostgreSQL.

A real PostgreSQL (FORM4_TEST_POSTGRES_URL, started by .ci/run) gets a fresh database;
a DagsterInstance is created from the committed deploy/dagster.yaml exactly as a team
would (DAGSTER_HOME + DAGSTER_PG_URL), the whole asset graph materializes one filing
date of a generated mirror into a PostgreSQL warehouse, and the run, its events and
check results are read back from PostgreSQL — with SQL, and through a second instance
standing for a second user. A user stopping the schedule from the command line is
recorded in the same database. Two live runs started together fetch one after the
other (the `edgar` concurrency pool with one slot).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from form4_assets_tests.e2e_support import REPO_ROOT, WORKSPACE_YAML, skip_or_fail

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

TEAM_YAML = REPO_ROOT / "deploy" / "dagster.yaml"
SEED_DAY = dt.date(2023, 11, 8)


@pytest.fixture
def team_database() -> Iterator[str]:
    """A fresh PostgreSQL database (psycopg2 URL) for one team instance, dropped afterwards."""
    server = os.environ.get("FORM4_TEST_POSTGRES_URL")
    if not server:
        skip_or_fail("FORM4_TEST_POSTGRES_URL not set: the team-instance test needs PostgreSQL")
    name = f"form4_team_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(server).set(drivername="postgresql+psycopg2", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def team_home(tmp_path: Path, team_database: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """DAGSTER_HOME holding the committed team dagster.yaml, the warehouse on PostgreSQL too."""
    from form4_assets.synthetic.mirror import make_mirror

    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(TEAM_YAML, home / "dagster.yaml")
    data = tmp_path / "data"
    make_mirror(data / "mirror", dt.date(2023, 11, 6), dt.date(2023, 11, 10), per_day=12)
    warehouse = sa.engine.make_url(team_database).update_query_dict({"options": "-csearch_path=warehouse"})
    engine = sa.create_engine(team_database)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE SCHEMA warehouse"))
    engine.dispose()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_PG_URL", team_database)
    monkeypatch.setenv("FORM4_DATA_DIR", str(data))
    monkeypatch.setenv("FORM4_WAREHOUSE_URL", warehouse.render_as_string(hide_password=False))
    return home


@pytest.mark.timeout(300)
def test_team_instance_keeps_runs_events_and_schedules_in_postgres(team_home: Path, team_database: str) -> None:
    import dagster as dg
    from dagster._core.scheduler.instigation import InstigatorStatus
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

    from form4_assets.definitions import defs

    instance = dg.DagsterInstance.from_config(str(team_home))
    try:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        queue = instance.get_concurrency_config().run_queue_config
        assert queue is not None and queue.max_concurrent_runs == 4
        pools = instance.get_concurrency_config().pool_config
        assert (pools.default_pool_limit, pools.pool_granularity.value) == (1, "op")

        job = defs.resolve_job_def("daily_filings_job")
        result = job.execute_in_process(partition_key=SEED_DAY.isoformat(), instance=instance)
        assert result.success
        run_id = result.run_id
    finally:
        instance.dispose()

    # What the warehouse holds for that day, read straight from PostgreSQL.
    warehouse = sa.create_engine(os.environ["FORM4_WAREHOUSE_URL"])
    with warehouse.connect() as conn:
        nonderiv_rows = conn.execute(
            sa.text('SELECT count(*) FROM nonderiv_trans WHERE "FILING_DATE" = :d'), {"d": SEED_DAY}
        ).scalar_one()
        seed_sale = conn.execute(
            sa.text(
                'SELECT "TRANS_CODE", "TRANS_SHARES", "TRANS_PRICEPERSHARE" FROM nonderiv_trans '
                "WHERE \"ACCESSION_NUMBER\" = '0001628280-23-037880'"
            )
        ).one()
    warehouse.dispose()
    assert nonderiv_rows > 1
    assert tuple(seed_sale) == ("S", Decimal("50000"), Decimal("17.04"))

    # The run, its materializations and check evaluations are rows in the team database.
    engine = sa.create_engine(team_database)
    try:
        with engine.connect() as conn:
            status = conn.execute(sa.text("SELECT status FROM runs WHERE run_id = :r"), {"r": run_id}).scalar_one()
            partition_tag = conn.execute(
                sa.text("SELECT value FROM run_tags WHERE run_id = :r AND key = 'dagster/partition'"), {"r": run_id}
            ).scalar_one()
            materialized = {
                key
                for (key,) in conn.execute(
                    sa.text(
                        "SELECT asset_key FROM event_logs WHERE run_id = :r "
                        "AND dagster_event_type = 'ASSET_MATERIALIZATION' AND partition = :p"
                    ),
                    {"r": run_id, "p": SEED_DAY.isoformat()},
                )
            }
            checks = {
                (name, status)
                for name, status in conn.execute(
                    sa.text(
                        "SELECT check_name, execution_status FROM asset_check_executions "
                        "WHERE run_id = :r AND evaluation_event IS NOT NULL AND execution_status <> 'PLANNED'"
                    ),
                    {"r": run_id},
                )
            }
    finally:
        engine.dispose()
    assert status == "SUCCESS"
    assert partition_tag == SEED_DAY.isoformat()
    for asset in ("raw_filings", "filing_headers", "ownership_documents", "transactions", "holdings", "quarantine"):
        assert f'["{asset}"]' in materialized, (asset, materialized)
    # Every check of the nightly job (not the freshness checks: their sensor's; not the outcome assets': they
    # skip without a price source) ran for that day and reached a verdict.
    from form4_assets.defs.metadata import OPTIONAL_ASSETS

    nightly = defs.resolve_job_def("daily_filings_job").asset_layer.asset_graph
    assert {name for name, _ in checks} == {
        key.name for key in nightly.asset_check_keys if key.asset_key.to_user_string() not in OPTIONAL_ASSETS}, checks
    assert all(status in ("SUCCEEDED", "FAILED") for _, status in checks), checks

    # A second user's instance (same dagster.yaml, same database) sees the same history.
    other = dg.DagsterInstance.from_config(str(team_home))
    try:
        records = other.get_run_records(dg.RunsFilter(run_ids=[run_id]))
        assert [r.dagster_run.status for r in records] == [dg.DagsterRunStatus.SUCCESS]
        event = other.get_latest_materialization_event(dg.AssetKey("transactions"))
        assert event is not None and event.run_id == run_id
        materialization = event.asset_materialization
        assert materialization is not None and materialization.partition == SEED_DAY.isoformat()
        assert materialization.metadata["dagster/row_count"].value == nonderiv_rows
    finally:
        other.dispose()

    # A user turns the evening schedule off from the command line; the state is shared.
    stopped = subprocess.run(
        [sys.executable, "-m", "dagster", "schedule", "stop", "previous_business_day_schedule", "-w", str(WORKSPACE_YAML)],
        cwd=REPO_ROOT,
        env={**os.environ, "DAGSTER_DISABLE_TELEMETRY": "1"},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    engine = sa.create_engine(team_database)
    try:
        with engine.connect() as conn:
            stored = conn.execute(
                sa.text("SELECT status, instigator_body FROM instigators WHERE instigator_type = 'SCHEDULE'")
            ).all()
    finally:
        engine.dispose()
    assert [status for status, body in stored if "previous_business_day_schedule" in body] == ["STOPPED"], stored
    third = dg.DagsterInstance.from_config(str(team_home))
    try:
        states = {s.name: s.status for s in third.all_instigator_state()}
    finally:
        third.dispose()
    assert states["previous_business_day_schedule"] == InstigatorStatus.STOPPED


@pytest.mark.timeout(300)
def test_multiprocess_executor_runs_each_step_in_its_own_process(team_home: Path, team_database: str) -> None:
    """deploy/multiprocess_definitions.py: the same assets, steps in separate processes, on the team instance."""
    import dagster as dg

    run_config = json.dumps({"execution": {"config": {"max_concurrent": 2}}})
    completed = subprocess.run(
        [
            sys.executable, "-m", "dagster", "asset", "materialize",
            "-f", str(REPO_ROOT / "deploy" / "multiprocess_definitions.py"),
            # Ingest and the parse step: two steps, so two step processes (each pays a
            # Python and Dagster start-up, which is why the whole graph is not run here).
            "--select", "raw_filings,filing_headers,ownership_documents,transactions,holdings,quarantine",
            "--partition", SEED_DAY.isoformat(), "--config-json", run_config,
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "DAGSTER_DISABLE_TELEMETRY": "1"},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]

    engine = sa.create_engine(team_database)
    try:
        with engine.connect() as conn:
            runs = conn.execute(sa.text("SELECT run_id, status FROM runs")).all()
    finally:
        engine.dispose()
    assert [status for _, status in runs] == ["SUCCESS"]
    run_id = runs[0][0]

    instance = dg.DagsterInstance.from_config(str(team_home))
    try:
        starts = instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START)
        run_start = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_START)
    finally:
        instance.dispose()
    step_pids = {entry.step_key: entry.dagster_event.pid for entry in starts}
    # The selected assets bring their checks, the freshness checks too (one more step).
    from form4_assets.defs.freshness import freshness_checks

    assert set(step_pids) == {"raw_filings", "parse_filings", *(c.node_def.name for c in freshness_checks)}
    assert len(set(step_pids.values())) == len(step_pids), step_pids
    assert run_start[0].dagster_event.pid not in step_pids.values()


def _step_window(instance, run_id: str, step: str) -> tuple[float, float]:
    import dagster as dg

    start = [e.timestamp for e in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START) if e.step_key == step]
    end = [e.timestamp for e in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_SUCCESS) if e.step_key == step]
    assert len(start) == len(end) == 1, (run_id, start, end)
    return start[0], end[0]


def _two_live_runs_at_once(team_home: Path, tmp_path: Path, label: str) -> list[tuple[float, float]]:
    """raw_filings for two filing dates as two runs started together from the command line
    (two processes, as two users would), each live against a slow loopback EDGAR; returns
    each run's raw_filings (start, end) in time order."""
    import dagster as dg

    from form4_assets.testing.loopback import LoopbackEdgar
    from form4_assets.warehouse.engine import create_schema, make_engine

    # The team's instance tables and warehouse exist before users start runs (two first
    # runs creating them at the same moment race on PostgreSQL's catalog).
    dg.DagsterInstance.from_config(str(team_home)).dispose()
    engine = make_engine(os.environ["FORM4_WAREHOUSE_URL"])
    create_schema(engine)
    engine.dispose()
    with LoopbackEdgar(tmp_path / "data" / "mirror", latency=1.5) as server:
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "dagster", "asset", "materialize", "-m", "form4_assets.definitions",
                 "--select", "raw_filings", "--partition", day],
                cwd=REPO_ROOT,
                env={**os.environ, "DAGSTER_DISABLE_TELEMETRY": "1", "FORM4_EDGAR_MODE": "live",
                     "FORM4_USER_AGENT": "form4_assets tests tests@example.com",
                     "FORM4_EDGAR_BASE_URL": server.base_url, "FORM4_CACHE_DIR": str(tmp_path / f"cache-{label}-{day}")},
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )
            for day in ("2023-11-07", "2023-11-08")
        ]
        outputs = [proc.communicate(timeout=180)[0] for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), "\n".join(o[-4000:] for o in outputs)
    instance = dg.DagsterInstance.from_config(str(team_home))
    try:
        runs = instance.get_run_records(dg.RunsFilter(tags={"dagster/partition": "2023-11-07"}))
        runs += instance.get_run_records(dg.RunsFilter(tags={"dagster/partition": "2023-11-08"}))
        latest = sorted(runs, key=lambda r: r.create_timestamp)[-2:]
        assert {r.dagster_run.tags["dagster/partition"] for r in latest} == {"2023-11-07", "2023-11-08"}
        return sorted(_step_window(instance, r.dagster_run.run_id, "raw_filings") for r in latest)
    finally:
        instance.dispose()


@pytest.mark.timeout(300)
def test_edgar_pool_lets_one_run_fetch_at_a_time(team_home: Path, tmp_path: Path) -> None:
    """With deploy/dagster.yaml's pools, set up as the README says, two live runs started
    together never fetch at the same time: the second run's raw_filings starts only after
    the first one's has ended. Control: with two slots in the pool the same two runs do
    overlap, so the first half is not passing by luck of timing."""
    import dagster as dg

    from form4_assets.defs.ingest import EDGAR_POOL, raw_filings

    assert raw_filings.op.pool == EDGAR_POOL
    # The README's one-time set-up of the pool. Left to first use, two runs starting
    # together race to create the default limit (dagster-io/dagster#33552) and CI saw
    # both fetch at once.
    subprocess.run([sys.executable, "-m", "dagster", "instance", "concurrency", "set", EDGAR_POOL, "1"],
                   cwd=REPO_ROOT, env={**os.environ, "DAGSTER_DISABLE_TELEMETRY": "1"}, check=True,
                   capture_output=True, text=True, timeout=120)

    first, second = _two_live_runs_at_once(team_home, tmp_path, "pooled")
    assert first[1] <= second[0], (first, second)
    instance = dg.DagsterInstance.from_config(str(team_home))
    try:
        assert instance.event_log_storage.get_concurrency_info(EDGAR_POOL).slot_count == 1
        instance.event_log_storage.set_concurrency_slots(EDGAR_POOL, 2)
    finally:
        instance.dispose()
    first, second = _two_live_runs_at_once(team_home, tmp_path, "two-slots")
    assert second[0] < first[1], (first, second)
