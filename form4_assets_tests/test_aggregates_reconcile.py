"""The aggregate invariants pass on what the builders write and catch deliberate corruption."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from form4_assets.aggregates.reconcile import (
    cofilers_counted_once,
    reconcile_activity,
    superseded_in_activity,
    superseded_in_effective,
    unmatched_amendments,
)
from form4_assets.warehouse.engine import create_schema, make_engine
from form4_assets.warehouse.schema import TABLES
from form4_assets_tests.aggregates_support import Filing, Owner, Trade, build_all, insert, select_all

MON, TUE, WED = dt.date(2024, 6, 3), dt.date(2024, 6, 4), dt.date(2024, 6, 5)


@pytest.fixture
def engine(warehouse_url: str) -> sa.Engine:
    engine = make_engine(warehouse_url)
    create_schema(engine)
    insert(
        engine,
        Filing("0000000001-24-000001", MON, owners=(Owner("0000000201"), Owner("0000000202")),
               trades=[Trade("S", "100", "10.01", MON), Trade("P", "3", "9.99", MON), Trade("M", "5", "1", MON)]),
        Filing("0000000001-24-000002", TUE, document_type="4/A", period=MON, orig_sub=MON,
               owners=(Owner("0000000201"), Owner("0000000202")), trades=[Trade("S", "90", "10.01", MON)]),
        Filing("0000000001-24-000003", TUE, owners=(Owner("0000000301"),), trades=[Trade("S", "7", None, TUE)]),
    )
    build_all(engine, [MON, TUE, WED])
    yield engine
    engine.dispose()


def run(engine: sa.Engine, check, dates=(MON, TUE, WED)):
    with engine.connect() as conn:
        return check(conn, list(dates))


def test_invariants_hold_on_what_the_builders_write(engine: sa.Engine) -> None:
    for check in (reconcile_activity, superseded_in_effective, superseded_in_activity, cofilers_counted_once, unmatched_amendments):
        finding = run(engine, check)
        assert finding.passed, (check.__name__, finding.examples)
        assert finding.checked > 0


def test_reconciliation_catches_a_wrong_sum(engine: sa.Engine) -> None:
    ida = TABLES["issuer_daily_activity"]
    with engine.begin() as conn:
        conn.execute(ida.update().where(ida.c.FILING_DATE == TUE, ida.c.TRANS_DATE == MON).values(SELL_DOLLARS=ida.c.SELL_DOLLARS + Decimal("0.0001")))
    finding = run(engine, reconcile_activity)
    assert [(p["column"], p["trans_date"]) for p in finding.examples] == [("SELL_DOLLARS", MON)]


def test_reconciliation_catches_a_missing_issuer_day(engine: sa.Engine) -> None:
    ida = TABLES["issuer_daily_activity"]
    with engine.begin() as conn:
        conn.execute(ida.delete().where(ida.c.FILING_DATE == TUE, ida.c.TRANS_DATE == TUE))
    assert [p["column"] for p in run(engine, reconcile_activity).examples] == ["(row)"]


def test_superseded_check_catches_a_counted_original(engine: sa.Engine) -> None:
    ida = TABLES["issuer_daily_activity"]
    with engine.begin() as conn:
        conn.execute(ida.update().where(ida.c.FILING_DATE == TUE, ida.c.TRANS_DATE == MON)
                     .values(ACCESSIONS="0000000001-24-000001,0000000001-24-000002"))
    problems = run(engine, superseded_in_activity).examples
    assert [(p["ACCESSION_NUMBER"], p["superseded_by"]) for p in problems] == [
        ("0000000001-24-000001", "0000000001-24-000002")
    ]
    # As of MON the original was not superseded yet: its MON row is fine.
    assert run(engine, superseded_in_activity, [MON]).passed


def test_superseded_check_catches_an_effective_row_of_a_filing_replaced_that_day(engine: sa.Engine) -> None:
    sup = TABLES["supersessions"]
    with engine.begin() as conn:
        conn.execute(sup.insert(), [{"FILING_DATE": TUE, "AMENDMENT_ACCESSION": "0000000001-24-000099", "LINK_SK": 1,
                                     "SUPERSEDED_ACCESSION": "0000000001-24-000003", "MATCH_RULE": "period_and_orig_date"}])
    problems = run(engine, superseded_in_effective).examples
    assert {p["ACCESSION_NUMBER"] for p in problems} == {"0000000001-24-000003"}


def test_unmatched_amendments_are_reported(engine: sa.Engine) -> None:
    insert(engine, Filing("0000000009-24-000001", WED, issuer="0000000009", document_type="4/A", period=MON,
                          orig_sub=MON, trades=[Trade("S", "1", "1", MON)]))
    build_all(engine, [WED])
    assert [p["AMENDMENT_ACCESSION"] for p in run(engine, unmatched_amendments).examples] == ["0000000009-24-000001"]


def test_cofiler_check_catches_rows_multiplied_by_owners(engine: sa.Engine) -> None:
    et = TABLES["effective_transactions"]
    with engine.begin() as conn:
        row = dict(conn.execute(sa.select(et).where(et.c.ACCESSION_NUMBER == "0000000001-24-000002")).mappings().one())
        conn.execute(et.insert(), [{**row, "TRANS_SK": 2, "RPTOWNERCIK": "0000000202"}])
    problems = run(engine, cofilers_counted_once).examples
    assert problems == [{"ACCESSION_NUMBER": "0000000001-24-000002", "effective_rows": 2, "transaction_rows": 1}]


def test_net_selling_reconciliation_passes_and_catches_a_wrong_window(engine: sa.Engine) -> None:
    from form4_assets.aggregates.net_selling_check import reconcile_net_selling

    with engine.connect() as conn:
        finding = reconcile_net_selling(conn, [TUE])
    assert finding.passed and finding.checked == 1
    nis = TABLES["net_insider_selling"]
    with engine.begin() as conn:
        conn.execute(nis.update().where(nis.c.FILING_DATE == TUE).values(NET_SELL_SHARES_90D=nis.c.NET_SELL_SHARES_90D + 1))
        finding = reconcile_net_selling(conn, [TUE])
    assert [p["column"] for p in finding.examples] == ["NET_SELL_SHARES_90D", "NET_SELL_SHARES_90D = SELL - BUY"]


def test_net_selling_reconciliation_checks_every_date_of_a_run(engine: sa.Engine) -> None:
    from form4_assets.aggregates.net_selling_check import reconcile_net_selling

    nis = TABLES["net_insider_selling"]
    run_dates = [MON, TUE, WED]
    with engine.connect() as conn:
        written = conn.execute(sa.select(sa.func.count()).where(nis.c.FILING_DATE.in_(run_dates))).scalar_one()
        clean = reconcile_net_selling(conn, run_dates)
    assert clean.passed and clean.checked == written == 3  # one issuer, one row per date
    # Corrupt the run's FIRST date only: a check of the last date alone would not see it.
    with engine.begin() as conn:
        conn.execute(nis.update().where(nis.c.FILING_DATE == MON)
                     .values(NET_SELL_DOLLARS_30D=nis.c.NET_SELL_DOLLARS_30D + 5))
    with engine.connect() as conn:
        assert reconcile_net_selling(conn, [WED]).passed
        finding = reconcile_net_selling(conn, run_dates)
    assert finding.checked == 3
    assert [(p["FILING_DATE"], p["column"]) for p in finding.examples] == [
        (MON, "NET_SELL_DOLLARS_30D"), (MON, "NET_SELL_DOLLARS_30D = SELL - BUY")]


def test_net_selling_reconciliation_fails_each_date_a_wrong_row_is_carried_to(engine: sa.Engine) -> None:
    """Rows equal to the previous date's are verified by induction from it: a wrong row repeated on
    later dates (as a carried copy would repeat it) must still fail on every one of them."""
    from form4_assets.aggregates.net_selling_check import reconcile_net_selling_by_date

    nis = TABLES["net_insider_selling"]
    run_dates = [MON, TUE, WED]
    with engine.begin() as conn:
        conn.execute(nis.update().where(nis.c.FILING_DATE.in_(run_dates))
                     .values(SELL_SHARES_30D=nis.c.SELL_SHARES_30D + 7, NET_SELL_SHARES_30D=nis.c.NET_SELL_SHARES_30D + 7))
    with engine.connect() as conn:
        by_date = reconcile_net_selling_by_date(conn, run_dates)
    assert [day for day, finding in by_date.items() if finding.checked == 1] == run_dates
    assert {day: [p["column"] for p in by_date[day].examples] for day in run_dates} == {
        day: ["SELL_SHARES_30D", "NET_SELL_SHARES_30D"] for day in run_dates}


def test_net_selling_carries_rows_only_from_the_partition_it_wrote(engine: sa.Engine) -> None:
    """The rows a date shares with the previous one are copied from the previous partition only while
    that partition is the one this sweep wrote (its digest): rewritten by another run, every row is bound."""
    from form4_assets.aggregates.net_selling import NetSellingSweep
    from form4_assets.warehouse.store import replace_partitions, replace_partitions_in, write_transaction

    def sweep_through_mon() -> NetSellingSweep:
        sweep = NetSellingSweep(last=WED)
        with write_transaction(engine) as conn:
            replace_partitions_in(conn, [MON], {"net_insider_selling": sweep.rows_for(conn, MON)})
            sweep.wrote(conn, MON)
        return sweep

    sweep = sweep_through_mon()
    with write_transaction(engine) as conn:
        sweep.rows_for(conn, TUE)
        assert sweep.carried(conn, TUE) is not None
    sweep = sweep_through_mon()
    nis = TABLES["net_insider_selling"]
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(sa.select(nis).where(nis.c.FILING_DATE == MON)).mappings()]
    replace_partitions(engine, [MON], {"net_insider_selling": [{**r, "SELL_SHARES_90D": Decimal(1)} for r in rows]})
    with write_transaction(engine) as conn:
        sweep.rows_for(conn, TUE)
        assert sweep.carried(conn, TUE) is None


def test_net_selling_write_of_carried_rows_equals_a_plain_write(engine: sa.Engine) -> None:
    """A sweep's write binds only the recomputed issuers and copies the rest: the partition and its
    recorded digest must be those of writing every row of a fresh computation."""
    from form4_assets.aggregates.net_selling import NetSellingSweep
    from form4_assets.warehouse.schema import PARTITION_VERSIONS_TABLE as versions
    from form4_assets.warehouse.store import read_partition, replace_partitions, write_transaction

    def digest(day: dt.date) -> str:
        query = sa.select(versions.c.DIGEST).where(versions.c.TABLE_NAME == "net_insider_selling",
                                                   versions.c.FILING_DATE == day)
        with engine.connect() as conn:
            return conn.execute(query).scalar_one()

    sweep = NetSellingSweep(last=WED)
    for day in (MON, TUE, WED):
        with write_transaction(engine) as conn:
            assert sweep.write(conn, day) == len(NetSellingSweep(last=day).rows_for(conn, day))
    by_sweep = {day: (read_partition(engine, "net_insider_selling", day), digest(day)) for day in (TUE, WED)}
    assert by_sweep[WED][0] and {r["ISSUERCIK"] for r in by_sweep[WED][0]} == {r["ISSUERCIK"] for r in by_sweep[TUE][0]}
    for day in (TUE, WED):
        with engine.connect() as conn:
            alone = NetSellingSweep(last=day).rows_for(conn, day)
        replace_partitions(engine, [day], {"net_insider_selling": alone})
        assert (read_partition(engine, "net_insider_selling", day), digest(day)) == by_sweep[day], day


def test_out_of_order_load_is_reported_and_fixed_by_rematerializing_the_amendment(warehouse_url: str) -> None:
    engine = make_engine(warehouse_url)
    create_schema(engine)
    original = Filing("0000000001-24-000201", MON, trades=[Trade("S", "10", "2", MON)])
    amendment = Filing("0000000001-24-000202", WED, document_type="4/A", period=MON, orig_sub=MON,
                       trades=[Trade("S", "12", "2", MON)])
    insert(engine, amendment)
    build_all(engine, [WED])  # the amendment's date first: its original is not loaded yet
    insert(engine, original)
    build_all(engine, [MON])
    [problem] = run(engine, unmatched_amendments, [MON]).examples
    assert problem["AMENDMENT_ACCESSION"] == amendment.accession and problem["action"].startswith(f"re-materialize {WED}")
    build_all(engine, [WED])
    assert run(engine, unmatched_amendments, [MON, WED]).passed
    [latest] = [r for r in select_all(engine, "issuer_daily_activity", FILING_DATE=WED)]
    assert latest["SELL_SHARES"] == 12
    engine.dispose()


def test_net_selling_sweep_starts_over_when_a_taken_in_issuer_day_is_rewritten(engine: sa.Engine) -> None:
    """Between two dates of a run another run may rewrite an earlier issuer-day partition (under
    the write lock); the sweep notices it in partition_versions and reads everything again, so its
    next date equals a one-date computation, not the state it carried."""
    from form4_assets.aggregates.net_selling import NetSellingSweep
    from form4_assets.warehouse.store import read_partition, replace_partitions

    sweep = NetSellingSweep(last=WED)
    with engine.connect() as conn:
        sweep.rows_for(conn, MON)
        carried_before = {r["ISSUERCIK"]: r["SELL_SHARES_90D"] for r in NetSellingSweep(last=TUE).rows_for(conn, TUE)}
    monday = read_partition(engine, "issuer_daily_activity", MON)
    assert monday
    # The same issuer-day once more on the Sunday before: no later version replaces it.
    sunday = {**monday[0], "TRANS_DATE": MON - dt.timedelta(days=1)}
    assert sunday["SELL_SHARES"] > 0
    replace_partitions(engine, [MON], {"issuer_daily_activity": [*monday, sunday]})
    with engine.connect() as conn:
        tuesday = sweep.rows_for(conn, TUE)
        assert tuesday == NetSellingSweep(last=TUE).rows_for(conn, TUE)
    assert {r["ISSUERCIK"]: r["SELL_SHARES_90D"] for r in tuesday} != carried_before
