"""Aggregates whatever the load order (issue 14, finding 11).

A generated mirror of four business days is loaded three ways into fresh warehouses:
in one date-ordered run (the reference), one run per date in reverse order, and two
real runs at once (separate processes, each with its own Dagster instance) on the
earlier and the later half. Out of order, a date's aggregates can be computed before an
earlier date lands; every such date must be reported stale (never wrong and silent),
and after the remedy (`refresh_stale_aggregates`: one run of the aggregates over the
stale dates) every table equals the reference and nothing is stale.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from form4_assets.aggregates.staleness import INPUTS, stale_partitions
from form4_assets.defs.resources import EdgarSourceResource, WarehouseResource
from form4_assets.runs import refresh_stale_aggregates, run_daily_job
from form4_assets.synthetic.mirror import make_mirror
from form4_assets.warehouse.engine import make_engine
from form4_assets.warehouse.schema import TABLES

DAYS = [dt.date(2024, 7, 8), dt.date(2024, 7, 9), dt.date(2024, 7, 10), dt.date(2024, 7, 11)]
REPO = Path(__file__).resolve().parent.parent
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mirror")
    make_mirror(root, DAYS[0], DAYS[-1], per_day=30)
    return root


def resources(url: str, mirror: Path) -> dict:
    return {"warehouse": WarehouseResource(url=url), "edgar": EdgarSourceResource(mirror_dir=str(mirror))}


def run(url: str, mirror: Path, first: dt.date, last: dt.date) -> None:
    result = run_daily_job(first.isoformat(), last.isoformat(), instance=dg.DagsterInstance.ephemeral(),
                           **resources(url, mirror))
    assert result.success, f"run {first}..{last} failed"


def dump(url: str) -> dict[str, list[tuple]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        out = {name: [tuple(r) for r in conn.execute(sa.select(t).order_by(*t.primary_key.columns))]
               for name, t in TABLES.items()}
    engine.dispose()
    return out


def differing_dates(found: dict[str, list[tuple]], expected: dict[str, list[tuple]], table: str) -> set[dt.date]:
    """Filing dates (the first key column of every aggregate table's rows) whose rows differ."""
    position = [c.name for c in TABLES[table].columns].index("FILING_DATE")
    return {row[position] for row in set(found[table]) ^ set(expected[table])}


def stale(url: str) -> dict[str, set[dt.date]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        out = {table: {s.filing_date for s in rows} for table, rows in stale_partitions(conn).items()}
    engine.dispose()
    return out


def assert_wrong_only_where_stale(url: str, reference: dict[str, list[tuple]]) -> int:
    """Every aggregate date whose rows differ from the reference is reported stale; returns how many differ."""
    found, flagged = dump(url), stale(url)
    wrong = 0
    for table in INPUTS:
        differ = differing_dates(found, reference, table)
        assert differ <= flagged[table], f"{table}: dates {sorted(differ - flagged[table])} are wrong but not stale"
        wrong += len(differ)
    return wrong


def remedy_and_compare(url: str, mirror: Path, reference: dict[str, list[tuple]]) -> None:
    result = refresh_stale_aggregates(instance=dg.DagsterInstance.ephemeral(), **resources(url, mirror))
    assert result is None or result.success
    assert all(not dates for dates in stale(url).values()), stale(url)
    found = dump(url)
    for table in TABLES:
        assert found[table] == reference[table], f"{table} differs from the date-ordered run after the remedy"


@pytest.fixture(scope="module", params=BACKENDS)
def reference(request: pytest.FixtureRequest, mirror: Path, tmp_path_factory: pytest.TempPathFactory, new_warehouse_url):
    backend = request.param
    url = new_warehouse_url(backend, tmp_path_factory.mktemp("ordered"), "ordered")
    run(url, mirror, DAYS[0], DAYS[-1])
    assert all(not dates for dates in stale(url).values())
    return backend, dump(url)


def test_reverse_order_is_flagged_stale_then_refreshed_to_the_ordered_tables(reference, mirror: Path, tmp_path: Path, new_warehouse_url) -> None:
    backend, expected = reference
    url = new_warehouse_url(backend, tmp_path, "reverse")
    for day in reversed(DAYS):
        result = run_daily_job(day.isoformat(), day.isoformat(), instance=dg.DagsterInstance.ephemeral(),
                               **resources(url, mirror))
        assert result.success
    # The last run (the first date) reports the later dates' aggregates as stale.
    checks = {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
    current = checks[("issuer_daily_activity", "current_with_earlier_dates")]
    assert not current.passed and current.severity == dg.AssetCheckSeverity.WARN
    assert current.partition == DAYS[0].isoformat()  # reported on the run's own date, listing the later ones
    assert {r["found"] for r in current.metadata["offending_rows_json"].value} == {d.isoformat() for d in DAYS[1:]}
    assert assert_wrong_only_where_stale(url, expected) > 0, "reverse order should have changed some aggregates"
    remedy_and_compare(url, mirror, expected)


RUN_ONE = textwrap.dedent(
    """
    import sys, dagster as dg
    from form4_assets.defs.resources import EdgarSourceResource, WarehouseResource
    from form4_assets.runs import run_daily_job
    url, mirror, first, last = sys.argv[1:]
    result = run_daily_job(first, last, warehouse=WarehouseResource(url=url),
                           edgar=EdgarSourceResource(mirror_dir=mirror), instance=dg.DagsterInstance.ephemeral())
    sys.exit(0 if result.success else 1)
    """
)


def test_two_runs_at_once_end_in_the_ordered_tables(reference, mirror: Path, tmp_path: Path, new_warehouse_url) -> None:
    backend, expected = reference
    url = new_warehouse_url(backend, tmp_path, "concurrent")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    halves = [(DAYS[2], DAYS[3]), (DAYS[0], DAYS[1])]  # the later half starts first
    procs = [
        subprocess.Popen([sys.executable, "-c", RUN_ONE, url, str(mirror), a.isoformat(), b.isoformat()],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for a, b in halves
    ]
    for proc in procs:
        output, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, output[-3000:]
    assert_wrong_only_where_stale(url, expected)
    remedy_and_compare(url, mirror, expected)

