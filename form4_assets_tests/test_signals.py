"""The signal tables on a real warehouse (SQLite and PostgreSQL): the seed's exact rows,
deadlines by form, plan status and cooling-off, the screens, and their checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from form4_assets.signals import reconcile
from form4_assets.signals.adoption import adoption
from form4_assets.signals.build import build_all_signals, per_block
from form4_assets.signals.business_time import business_days_between
from form4_assets.signals.plans import cooling_off, plan_status
from form4_assets.signals.screens import ClusterDefinition, ScreenConfig, exec_role
from form4_assets.signals.timeliness import due_date, timeliness
from form4_assets.warehouse.schema import TABLES
from form4_assets.warehouse.store import mark_rewritten
from form4_assets_tests.aggregates_support import Filing, Owner, Trade, build_all, insert, load_filing, select_all

SEED_DAY = dt.date(2023, 11, 8)
CHECKS = (reconcile.timeliness_reconciles, reconcile.plans_reconcile, reconcile.patterns_reconcile,
          reconcile.signals_reconcile)


def _build(engine: sa.Engine, dates: list[dt.date], config: ScreenConfig = ScreenConfig()) -> None:
    build_all(engine, dates)
    build_all_signals(engine, dates, config)
    with engine.connect() as conn:
        for check in CHECKS:
            finding = check(conn, dates)
            assert finding.passed and finding.checked > 0, (check.__name__, finding.examples[:5])


def test_seed_gives_the_two_exact_rows(engine: sa.Engine, seed_bytes: bytes) -> None:
    load_filing(engine, seed_bytes, SEED_DAY)
    _build(engine, [SEED_DAY])
    [timely] = select_all(engine, "filing_timeliness")
    assert (timely["TRANS_DATE"], timely["FILING_DATE"], timely["BUSINESS_DAYS_TO_FILE"], timely["DEADLINE_BUSINESS_DAYS"],
            timely["IS_LATE"], timely["DATE_ERROR"]) == (dt.date(2023, 11, 6), SEED_DAY, 2, 2, False, None)
    [plan] = select_all(engine, "trading_plans")
    assert (plan["PLAN_STATUS"], plan["ADOPTION_DATE"], plan["TRANS_DATE"], plan["DAYS_SINCE_ADOPTION"],
            plan["COOLING_OFF_STATUS"]) == ("plan", dt.date(2023, 8, 2), dt.date(2023, 11, 6), 96, "likely_met")
    assert plan["IS_OFFICER"] and plan["IS_DIRECTOR"] and "adopted August 2, 2023" in plan["ADOPTION_TEXT"]
    [pattern] = select_all(engine, "insider_patterns")
    assert (pattern["YEAR"], pattern["SALES_Y"], pattern["CLASS"]) == (2023, 1, "unclassified")
    [signal] = select_all(engine, "insider_signals")
    assert signal["SALE_SHARES_90D"] == signal["PLAN_SALE_SHARES_90D"] == Decimal(50000)
    assert signal["PLAN_SALE_SHARE_90D"] == 1


def test_edgar_business_days_and_deadlines_by_form() -> None:
    # Good Friday (2023-04-07) is an EDGAR business day; Veterans Day observed (2023-11-10) is not.
    assert business_days_between(dt.date(2023, 4, 6), dt.date(2023, 4, 10)) == 2
    assert business_days_between(dt.date(2023, 11, 9), dt.date(2023, 11, 13)) == 1
    late = timeliness("4", dt.date(2023, 11, 8), None, dt.date(2023, 11, 14), None, None, None)
    assert (late["BUSINESS_DAYS_TO_FILE"], late["IS_LATE"], late["DUE_DATE"]) == (3, True, dt.date(2023, 11, 13))
    deemed = timeliness("4", dt.date(2023, 11, 1), dt.date(2023, 11, 6), dt.date(2023, 11, 8), None, None, None)
    assert (deemed["EXECUTION_DATE"], deemed["BUSINESS_DAYS_TO_FILE"], deemed["IS_LATE"]) == (dt.date(2023, 11, 6), 2, False)
    # Form 5: 45 days after the fiscal year end (0630 -> 2023-08-14); Form 3: 10 days after the event.
    assert due_date("5", dt.date(2023, 3, 1), None, "0630") == dt.date(2023, 8, 14)
    assert due_date("5", dt.date(2023, 3, 1), dt.date(2023, 12, 31), None) == dt.date(2024, 2, 14)
    assert due_date("3", dt.date(2023, 3, 1), dt.date(2023, 11, 1), None) == dt.date(2023, 11, 13)
    form5 = timeliness("5", dt.date(2022, 12, 1), None, dt.date(2023, 2, 14), None, dt.date(2022, 12, 31), "1231")
    assert (form5["IS_LATE"], form5["DEADLINE_BUSINESS_DAYS"] > 2) == (False, True)
    # A date after the filing date is an error, never a negative lateness; an amendment counts from its original.
    wrong = timeliness("4", dt.date(2023, 12, 1), None, dt.date(2023, 11, 8), None, None, None)
    assert (wrong["DATE_ERROR"], wrong["BUSINESS_DAYS_TO_FILE"], wrong["IS_LATE"]) == ("date_after_filing", None, None)
    amended = timeliness("4/A", dt.date(2023, 11, 6), None, dt.date(2023, 12, 1), dt.date(2023, 11, 8), None, None)
    assert (amended["REPORTED_DATE"], amended["IS_LATE"]) == (dt.date(2023, 11, 8), False)


def test_plan_status_adoption_forms_and_cooling_off() -> None:
    assert plan_status(0, False, dt.date(2023, 4, 3)) == "not_plan"
    assert plan_status(0, False, dt.date(2023, 3, 31)) == "unknown"
    assert plan_status(0, None, dt.date(2024, 1, 2)) == "unknown"
    assert plan_status(2, None, dt.date(2020, 1, 2)) == "plan"
    for text, day in (("sold under a Rule 10b5-1 plan entered into on 8/2/2023.", dt.date(2023, 8, 2)),
                      ("a 10b5-1 plan adopted by the reporting person and dated 2 August 2023.", dt.date(2023, 8, 2)),
                      ("pursuant to a Rule 10b5-1 plan adopted on Aug. 2, 2023.", dt.date(2023, 8, 2))):
        found = adoption(text)
        assert found is not None and found.date == day, text
    assert adoption("The Rule 10b5-1 plan terminated on May 1, 2023.") is None
    assert cooling_off(dt.date(2023, 8, 2), dt.date(2023, 11, 6), True) == (96, "likely_met")
    assert cooling_off(dt.date(2023, 8, 2), dt.date(2023, 12, 1), True) == (121, "met")
    assert cooling_off(dt.date(2023, 8, 2), dt.date(2023, 9, 1), True) == (30, "too_early")
    assert cooling_off(dt.date(2023, 8, 2), dt.date(2023, 9, 1), False) == (30, "met")
    assert cooling_off(dt.date(2022, 8, 2), dt.date(2023, 9, 1), True) == (395, "not_applicable")


def test_exec_titles_are_matched_on_words() -> None:
    assert exec_role("CEO and CIO") == ["CEO"]
    assert exec_role("Chief Financial Officer") == ["CFO"]
    assert exec_role("President & Chief Executive Officer") == ["CEO", "President"]
    assert exec_role("Executive Chairman") == ["Chair"]
    assert exec_role("Senior Vice President, Sales") == []
    assert exec_role("Vice Chair") == [] and exec_role("Chief Accounting Officer") == [] and exec_role(None) == []


def _buyers_filing(acc: str, cik: str, name: str, relationship: str, shares: str, day: dt.date) -> Filing:
    return Filing(acc, day, owners=(Owner(cik, name, relationship),), trades=(Trade("P", shares, "10", day),))


def _three_buyers(engine: sa.Engine) -> dt.date:
    """A director's, a President and CEO's and a 10%-owner fund's purchases on one day, with their holdings after."""
    day = dt.date(2023, 11, 8)
    filings = [
        _buyers_filing("0000000001-23-000001", "0000000101", "Ann Alpha", "Director", "100", day),
        _buyers_filing("0000000001-23-000002", "0000000102", "Bob Beta", "Officer", "5000", day),
        _buyers_filing("0000000001-23-000003", "0000000103", "Big Holdings LP", "TenPercentOwner", "1000", day),
    ]
    insert(engine, *filings)
    # The warehouse's own typed tables: decimals go through its exact storage type.
    title, nd = TABLES["reporting_owner"], TABLES["nonderiv_trans"]
    with engine.begin() as conn:
        conn.execute(title.update().where(title.c.RPTOWNERCIK == "0000000102").values(RPTOWNER_TITLE="President and CEO"))
        for acc, following in (("0000000001-23-000001", 10100), ("0000000001-23-000002", 10000), ("0000000001-23-000003", 1000)):
            conn.execute(nd.update().where(nd.c.ACCESSION_NUMBER == acc).values(SHRS_OWND_FOLWNG_TRANS=following))
    return day


def test_screens_cluster_definition_exec_buys_and_ownership_increase(engine: sa.Engine) -> None:
    day = _three_buyers(engine)
    _build(engine, [day])
    [row] = select_all(engine, "insider_signals")
    # Default: the 10% owner fund does not count, so two insiders are no cluster.
    assert (row["CLUSTER_INSIDERS"], row["IS_CLUSTER"]) == (2, False)
    assert (row["EXEC_BUY_ROWS"], row["EXEC_BUYERS"]) == (1, "Bob Beta (President and CEO)")
    # 5000 on 5000 before is +100%; 100 on 10000 is +1%; the fund's 1000 is a new position.
    assert (row["OWN_INCREASE_ROWS"], row["OWN_INCREASE_MAX_PCT"]) == (2, Decimal(100))
    assert row["OWN_INCREASE_ACCESSIONS"] == "0000000001-23-000002,0000000001-23-000003"
    _build(engine, [day], ScreenConfig(cluster=ClusterDefinition(exclude_ten_pct_and_funds=False)))
    [row] = select_all(engine, "insider_signals")
    assert (row["CLUSTER_INSIDERS"], row["IS_CLUSTER"], row["CLUSTER_DOLLARS"]) == (3, True, Decimal(61000))
    _build(engine, [day], ScreenConfig(cluster=ClusterDefinition(min_insiders=2, min_dollars=Decimal(5000))))
    [row] = select_all(engine, "insider_signals")
    assert (row["CLUSTER_INSIDERS"], row["IS_CLUSTER"]) == (1, False)


def test_the_signals_check_recomputes_the_exec_ownership_and_cluster_columns(engine: sa.Engine) -> None:
    day = _three_buyers(engine)
    _build(engine, [day])
    sig = TABLES["insider_signals"]
    planted = (
        ("EXEC_BUY_ROWS", 0), ("EXEC_BUY_SHARES", Decimal(4999)), ("EXEC_BUY_DOLLARS", Decimal("50000.0001")),
        ("EXEC_BUY_ACCESSIONS", "0000000001-23-000001"), ("OWN_INCREASE_ROWS", 1), ("OWN_INCREASE_MAX_PCT", Decimal(50)),
        ("OWN_INCREASE_ACCESSIONS", "0000000001-23-000002"), ("CLUSTER_INSIDERS", 3), ("CLUSTER_DOLLARS", Decimal(61000)),
        ("IS_CLUSTER", True), ("CLUSTER_ACCESSIONS", "0000000001-23-000001,0000000001-23-000003"),
        # The definition is read back from the row: two insiders make a cluster under min_insiders=2.
        ("CLUSTER_DEFINITION", ClusterDefinition(min_insiders=2).describe()),
        ("CLUSTER_DEFINITION", "three insiders or so"),
    )
    for column, wrong in planted:
        with engine.begin() as conn:
            right = conn.execute(sa.select(sig.c[column])).scalar_one()
            conn.execute(sig.update().values({column: wrong}))
        with engine.connect() as conn:
            finding = reconcile.signals_reconcile(conn, [day])
        with engine.begin() as conn:
            conn.execute(sig.update().values({column: right}))
        expected = "IS_CLUSTER" if wrong == ClusterDefinition(min_insiders=2).describe() else column
        assert [p.get("column") for p in finding.examples] == [expected], (column, finding.examples)
    with engine.connect() as conn:
        assert reconcile.signals_reconcile(conn, [day]).passed


def test_late_filings_and_amendments_as_of(engine: sa.Engine) -> None:
    trade, filed = dt.date(2023, 10, 2), dt.date(2023, 10, 10)
    insert(engine, Filing("0000000001-23-000010", filed, trades=(Trade("S", "100", "5", trade),), aff10b5one=False))
    _build(engine, [filed])
    [timely] = select_all(engine, "filing_timeliness")
    assert (timely["BUSINESS_DAYS_TO_FILE"], timely["IS_LATE"]) == (5, True)  # Columbus Day 10-09 is a holiday
    ft = TABLES["filing_timeliness"]
    for planted, problem in (({"IS_LATE": False}, {"column": "IS_LATE"}), ({"TRANS_SK": 2}, {"found": "missing"})):
        with engine.begin() as conn:
            conn.execute(ft.update().values(planted))
        with engine.connect() as conn:
            finding = reconcile.timeliness_reconciles(conn, [filed])
        with engine.begin() as conn:
            conn.execute(ft.update().values(IS_LATE=True, TRANS_SK=1))
        assert [{k: p[k] for k in problem} for p in finding.examples][:1] == [problem], finding.examples
    [plan] = select_all(engine, "trading_plans")
    assert plan["PLAN_STATUS"] == "not_plan" and plan["ADOPTION_DATE"] is None
    # An amendment filed later replaces the original as of its date: the late row no longer counts.
    amended = dt.date(2023, 10, 12)
    insert(engine, Filing("0000000001-23-000011", amended, document_type="4/A", orig_sub=filed, period=trade,
                          trades=(Trade("S", "150", "5", trade),), aff10b5one=False))
    _build(engine, [amended])
    [signal] = select_all(engine, "insider_signals", FILING_DATE=amended)
    assert (signal["LATE_ROWS_90D"], signal["LATE_ACCESSIONS"]) == (1, "0000000001-23-000011")
    assert signal["SALE_SHARES_90D"] == Decimal(150)


def test_a_block_is_read_again_when_an_input_partition_changes(engine: sa.Engine) -> None:
    """per_block reads a block's inputs once, and again (for the dates left) when another write changed
    an input partition between two of its dates: each date is then computed from what is stored."""
    days = [dt.date(2024, 1, 2), dt.date(2024, 1, 3), dt.date(2024, 1, 4)]
    reads: list[list[dt.date]] = []

    def read(conn: sa.Connection, block: list[dt.date]) -> list[dt.date]:
        reads.append(list(block))
        return block

    def compute(conn: sa.Connection, day: dt.date, block: list[dt.date]) -> list[dict]:
        assert day in block
        if day == days[0]:  # what a write of another run between two dates records
            mark_rewritten(conn, [("effective_transactions", days[0])])
        return []

    assert per_block(engine, days, "insider_patterns", read, compute) == {"insider_patterns": 0}
    assert reads == [days, days[1:]]
    reads.clear()
    per_block(engine, days, "insider_patterns", read, lambda conn, day, block: [])
    assert reads == [days]  # nothing changed: one read for the block
