"""The cluster_buys check, and the aggregate checks as the Dagster run reports them.

The reconciliation functions are run on what the builders wrote (they must pass) and on
tables doctored after the build (they must fail and name the issuer). The Dagster part
runs the aggregate assets over a range of dates in ONE run, as a single-run backfill
does, and reads the check evaluations back: every date of the run is checked.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import dagster as dg
import pytest
import sqlalchemy as sa

from form4_assets.aggregates.reconcile import reconcile_cluster_buys
from form4_assets.warehouse.engine import create_schema, make_engine
from form4_assets.warehouse.schema import TABLES
from form4_assets_tests.aggregates_support import Filing, Owner, Trade, build_all, insert, select_all

MON, TUE, WED = dt.date(2024, 6, 3), dt.date(2024, 6, 4), dt.date(2024, 6, 5)
CLUSTERED, PAIR = "0000000001", "0000000002"
BUYERS = ("0000000101", "0000000102", "0000000103")


@pytest.fixture
def engine(warehouse_url: str) -> sa.Engine:
    """Three insiders buy CLUSTERED on MON..TUE (a cluster from TUE on); two buy PAIR (no cluster)."""
    engine = make_engine(warehouse_url)
    create_schema(engine)
    insert(
        engine,
        Filing("0000000001-24-000001", MON, owners=(Owner(BUYERS[0]),), trades=[Trade("P", "100", "10.01", MON)]),
        Filing("0000000001-24-000002", MON, owners=(Owner(BUYERS[1]),), trades=[Trade("P", "50", "10.02", MON)]),
        Filing("0000000001-24-000003", TUE, owners=(Owner(BUYERS[2]),),
               trades=[Trade("P", "30", "10.03", TUE), Trade("P", "20", None, TUE), Trade("S", "5", "11", TUE)]),
        # An amendment of the first buy: 120 shares, not 100, from WED on.
        Filing("0000000001-24-000004", WED, document_type="4/A", period=MON, orig_sub=MON, owners=(Owner(BUYERS[0]),),
               trades=[Trade("P", "120", "10.01", MON)]),
        Filing("0000000002-24-000001", TUE, issuer=PAIR, owners=(Owner(BUYERS[0]),), trades=[Trade("P", "1", "5", TUE)]),
        Filing("0000000002-24-000002", TUE, issuer=PAIR, owners=(Owner(BUYERS[1]),), trades=[Trade("P", "2", "5", TUE)]),
    )
    build_all(engine, [MON, TUE, WED])
    yield engine
    engine.dispose()


def check(engine: sa.Engine, dates=(MON, TUE, WED)):
    with engine.connect() as conn:
        return reconcile_cluster_buys(conn, list(dates))


def test_cluster_check_passes_on_what_the_builder_wrote(engine: sa.Engine) -> None:
    written = {(r["FILING_DATE"], r["RPTOWNERCIK"]): r["BUY_SHARES"] for r in select_all(engine, "cluster_buys")}
    # The fixture is what the test says it is: a cluster on TUE and WED, the amendment applied on WED only.
    assert written[(TUE, BUYERS[0])] == Decimal(100) and written[(WED, BUYERS[0])] == Decimal(120)
    assert written[(WED, BUYERS[2])] == Decimal(50) and {d for d, _ in written} == {TUE, WED}
    finding = check(engine)
    assert finding.passed, finding.examples
    assert finding.checked == 1 + 2 + 2  # issuers bought in the window: MON one, TUE and WED both


def test_cluster_check_catches_a_wrong_amount_and_names_the_issuer(engine: sa.Engine) -> None:
    cb = TABLES["cluster_buys"]
    with engine.begin() as conn:
        conn.execute(cb.update().where(cb.c.FILING_DATE == TUE, cb.c.RPTOWNERCIK == BUYERS[1])
                     .values(BUY_DOLLARS=cb.c.BUY_DOLLARS + Decimal("0.01")))
    problems = check(engine).examples
    assert [(p["FILING_DATE"], p["ISSUERCIK"], p["RPTOWNERCIK"], p["column"]) for p in problems] == [
        (TUE, CLUSTERED, BUYERS[1], "BUY_DOLLARS")
    ]
    assert (problems[0]["written"], problems[0]["recomputed"]) == (Decimal("501.01"), Decimal("501.00"))
    assert check(engine, [WED]).passed  # the doctored row is TUE's


def test_cluster_check_catches_a_missing_buyer_and_a_cluster_that_is_not_one(engine: sa.Engine) -> None:
    cb = TABLES["cluster_buys"]
    with engine.begin() as conn:
        [row] = conn.execute(sa.select(cb).where(cb.c.FILING_DATE == WED, cb.c.RPTOWNERCIK == BUYERS[2])).mappings().all()
        conn.execute(cb.delete().where(cb.c.FILING_DATE == WED, cb.c.RPTOWNERCIK == BUYERS[2]))
        conn.execute(cb.insert(), [{**row, "ISSUERCIK": PAIR}])  # PAIR has two buyers only
    problems = check(engine).examples
    assert sorted((p["ISSUERCIK"], p["RPTOWNERCIK"], p["column"], p["written"], p["recomputed"]) for p in problems) == [
        (CLUSTERED, BUYERS[2], "(row)", False, True),
        (PAIR, BUYERS[2], "(row)", True, False),
    ]


def test_cluster_check_catches_a_wrong_cluster_size(engine: sa.Engine) -> None:
    cb = TABLES["cluster_buys"]
    with engine.begin() as conn:
        conn.execute(cb.update().where(cb.c.FILING_DATE == WED).values(CLUSTER_INSIDERS=4))
    problems = check(engine).examples
    assert {(p["FILING_DATE"], p["column"], p["written"], p["recomputed"]) for p in problems} == {
        (WED, "CLUSTER_INSIDERS", 4, 3)
    }
    assert len(problems) == 3  # one per buyer row


# --------------------------------------------------------------------------- the checks in a Dagster run


def _aggregate_run(warehouse_url: str, tmp_path) -> dg.ExecuteInProcessResult:
    """The four aggregate assets over MON..WED in one run (their upstream is already in the warehouse)."""
    from form4_assets.defs import aggregates
    from form4_assets.defs.resources import WarehouseResource
    from form4_assets.runs import execute_range

    defs = dg.Definitions(
        assets=dg.load_assets_from_modules([aggregates]),
        jobs=[dg.define_asset_job("aggregates", selection=dg.AssetSelection.groups(aggregates.GROUP))],
        resources={"warehouse": WarehouseResource(url=warehouse_url, data_dir=str(tmp_path / "data"))},
    )
    return execute_range(defs.resolve_job_def("aggregates"), MON.isoformat(), WED.isoformat(),
                         dg.DagsterInstance.ephemeral())


def test_a_run_checks_every_date_and_reports_in_the_shared_vocabulary(engine: sa.Engine, warehouse_url: str, tmp_path) -> None:
    result = _aggregate_run(warehouse_url, tmp_path)
    assert result.success
    evaluations: dict[tuple[str, str], dict[str, dg.AssetCheckEvaluation]] = {}
    for e in result.get_asset_check_evaluations():
        by_date = evaluations.setdefault((e.asset_key.to_user_string(), e.check_name), {})
        assert e.partition not in by_date, (e.check_name, e.partition)
        by_date[e.partition] = e
    dates = [MON.isoformat(), TUE.isoformat(), WED.isoformat()]
    assert all(sorted(by_date) == dates for by_date in evaluations.values()), evaluations.keys()
    rows = {name: select_all(engine, name) for name in ("net_insider_selling", "cluster_buys")}
    net = evaluations[("net_insider_selling", "reconciles_with_issuer_daily_activity")]
    clusters = evaluations[("cluster_buys", "reconciles_with_effective_transactions")]
    # Every date's rows were reconciled and reported on that date (CLUSTERED on MON..WED, PAIR on TUE..WED).
    for day in dates:
        assert net[day].passed and clusters[day].passed
        written = [r for r in rows["net_insider_selling"] if r["FILING_DATE"].isoformat() == day]
        assert net[day].metadata["checked"].value == len(written)
    assert sum(e.metadata["checked"].value for e in net.values()) == len(rows["net_insider_selling"]) == 5
    assert sum(e.metadata["checked"].value for e in clusters.values()) == 5 and len(rows["cluster_buys"]) == 6
    for asset in ("effective_transactions", "issuer_daily_activity", "net_insider_selling", "cluster_buys"):
        current = evaluations[(asset, "current_with_earlier_dates")]  # each date its own partition, none stale
        assert all(current[day].passed and current[day].metadata["checked"].value == 1 for day in dates), asset
    for by_date in evaluations.values():  # the parse-stage keys, for every aggregate check
        for day, evaluation in by_date.items():
            assert {"checked", "failures", "filing_date", "offending_rows", "offending_rows_json"} <= set(evaluation.metadata)
            assert evaluation.metadata["filing_date"].value == day


def test_the_cluster_check_is_declared_and_blocking() -> None:
    from form4_assets.defs.aggregates import cluster_buys

    specs = {spec.name: spec for spec in cluster_buys.check_specs}
    spec = specs["reconciles_with_effective_transactions"]
    assert (spec.asset_key.to_user_string(), spec.blocking) == ("cluster_buys", True)
    assert set(specs) == {"reconciles_with_effective_transactions", "current_with_earlier_dates"}
    assert not specs["current_with_earlier_dates"].blocking


def test_staleness_is_reported_on_the_runs_latest_date_on_or_before_each_partition() -> None:
    """A run over MON and WED: the warehouse's partitions before and up to TUE land on MON, the later on WED."""
    from form4_assets.aggregates.staleness import Stale
    from form4_assets.defs.current import current_by_date

    fri, thu = MON - dt.timedelta(days=3), WED + dt.timedelta(days=1)
    stale = [Stale("cluster_buys", TUE, "effective_transactions 2024-06-03 changed"), Stale("cluster_buys", thu, "x")]
    outcomes = current_by_date("cluster_buys", [MON, WED], [fri, MON, TUE, WED, thu], stale)
    assert sorted(outcomes) == [MON, WED]
    assert (outcomes[MON].checked, outcomes[MON].failures) == (3, 1)
    assert [r["found"] for r in outcomes[MON].examples] == [TUE.isoformat()]
    assert (outcomes[WED].checked, outcomes[WED].failures) == (2, 1)
    assert [r["found"] for r in outcomes[WED].examples] == [thu.isoformat()]
