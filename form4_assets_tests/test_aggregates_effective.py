"""Supersession by amendments and joint-filing dedup, on hand-built rows in a real warehouse."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from form4_assets.aggregates.build import build_effective_transactions
from form4_assets.aggregates.effective import mentions_10b5_1
from form4_assets.aggregates.sql import effective_as_of
from form4_assets_tests.aggregates_support import D, Filing, Owner, Trade, build_all, insert, select_all

MON, TUE, WED, THU, FRI = (dt.date(2024, 3, 4) + dt.timedelta(days=i) for i in range(5))


def effective_accessions(engine: sa.Engine, as_of: dt.date) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(effective_as_of(as_of, "ACCESSION_NUMBER")).scalars()
        return sorted(rows)


def test_amendment_in_a_later_partition_supersedes_as_of_its_filing_date(engine: sa.Engine) -> None:
    original = Filing("0000000001-24-000001", MON, trades=[Trade("S", "100", "10", MON)])
    amendment = Filing(
        "0000000001-24-000002", THU, document_type="4/A", period=MON, orig_sub=MON,
        trades=[Trade("S", "120", "10", MON)],
    )
    insert(engine, original, amendment)
    build_all(engine, [MON, TUE, WED, THU])

    [link] = select_all(engine, "supersessions")
    assert (link["AMENDMENT_ACCESSION"], link["SUPERSEDED_ACCESSION"], link["MATCH_RULE"]) == (
        amendment.accession, original.accession, "period_and_orig_date",
    )
    assert link["FILING_DATE"] == THU and link["SUPERSEDED_FILING_DATE"] == MON
    # The earlier partition keeps its row (it was effective then); reads as of THU drop it.
    assert effective_accessions(engine, WED) == [original.accession]
    assert effective_accessions(engine, THU) == [amendment.accession]
    # The issuer-day is rewritten by the amendment's partition: 120 shares, not 100 + 120.
    versions = select_all(engine, "issuer_daily_activity", ISSUERCIK="0000000001", TRANS_DATE=MON)
    assert [(v["FILING_DATE"], v["SELL_SHARES"], v["ACCESSIONS"]) for v in versions] == [
        (MON, D(100), original.accession),
        (THU, D(120), amendment.accession),
    ]
    [net_wed] = select_all(engine, "net_insider_selling", FILING_DATE=WED)
    [net_thu] = select_all(engine, "net_insider_selling", FILING_DATE=THU)
    assert (net_wed["NET_SELL_SHARES_30D"], net_wed["NET_SELL_DOLLARS_30D"]) == (D(100), D("1000.00"))
    assert (net_thu["NET_SELL_SHARES_30D"], net_thu["NET_SELL_DOLLARS_30D"]) == (D(120), D("1200.00"))


def test_amendment_that_moves_a_trade_rewrites_the_old_day_to_zero(engine: sa.Engine) -> None:
    original = Filing("0000000001-24-000011", TUE, trades=[Trade("P", "50", "4", MON)])
    amendment = Filing(
        "0000000001-24-000012", WED, document_type="4/A", period=MON, orig_sub=TUE,
        trades=[Trade("P", "50", "4", TUE)],
    )
    insert(engine, original, amendment)
    build_all(engine, [TUE, WED])
    rows = {(r["FILING_DATE"], r["TRANS_DATE"]): r for r in select_all(engine, "issuer_daily_activity")}
    assert rows[(WED, MON)]["BUY_SHARES"] == 0 and rows[(WED, MON)]["BUY_ROWS"] == 0
    assert rows[(WED, TUE)]["BUY_SHARES"] == D(50) and rows[(WED, TUE)]["BUY_DOLLARS"] == D(200)


def test_ambiguous_original_resolves_to_the_most_recent_earlier_filing(engine: sa.Engine) -> None:
    owner = (Owner("0000000101"),)
    first = Filing("0000000001-24-000021", MON, owners=owner, period=MON, accepted=dt.datetime(2024, 3, 4, 9, 0),
                   trades=[Trade("S", "10", "1", MON)])
    second = Filing("0000000001-24-000020", MON, owners=owner, period=MON, accepted=dt.datetime(2024, 3, 4, 17, 0),
                    trades=[Trade("S", "20", "1", MON)])
    other_owner = Filing("0000000001-24-000022", MON, owners=(Owner("0000000999"),), period=MON,
                         accepted=dt.datetime(2024, 3, 4, 18, 0), trades=[Trade("S", "30", "1", MON)])
    on_date = Filing("0000000001-24-000023", WED, document_type="4/A", owners=owner, period=MON, orig_sub=MON,
                     trades=[Trade("S", "25", "1", MON)])
    insert(engine, first, second, other_owner, on_date)
    build_effective_transactions(engine, [MON, WED])
    [link] = select_all(engine, "supersessions")
    # Two filings of the owner and period on DATE_OF_ORIG_SUB: the later acceptance wins,
    # although its accession sorts first; another owner's filing is never a candidate.
    assert (link["SUPERSEDED_ACCESSION"], link["MATCH_RULE"]) == (second.accession, "latest_on_orig_date")


def test_without_orig_date_match_the_latest_earlier_same_period_filing_is_replaced(engine: sa.Engine) -> None:
    older = Filing("0000000001-24-000031", MON, period=MON, trades=[Trade("S", "10", "1", MON)])
    newer = Filing("0000000001-24-000032", TUE, period=MON, trades=[Trade("S", "11", "1", MON)])
    other_period = Filing("0000000001-24-000033", WED, period=TUE, trades=[Trade("S", "12", "1", TUE)])
    amendment = Filing("0000000001-24-000034", THU, document_type="4/A", period=MON, orig_sub=None,
                       trades=[Trade("S", "13", "1", MON)])
    insert(engine, older, newer, other_period, amendment)
    build_effective_transactions(engine, [MON, TUE, WED, THU])
    [link] = select_all(engine, "supersessions")
    assert (link["SUPERSEDED_ACCESSION"], link["MATCH_RULE"]) == (newer.accession, "latest_same_period")
    assert effective_accessions(engine, THU) == sorted([older.accession, other_period.accession, amendment.accession])


def test_second_amendment_supersedes_the_first_and_an_unmatched_one_is_recorded(engine: sa.Engine) -> None:
    original = Filing("0000000001-24-000041", MON, trades=[Trade("S", "100", "2", MON)])
    first_fix = Filing("0000000001-24-000042", TUE, document_type="4/A", period=MON, orig_sub=MON,
                       trades=[Trade("S", "110", "2", MON)])
    second_fix = Filing("0000000001-24-000043", THU, document_type="4/A", period=MON, orig_sub=MON,
                        trades=[Trade("S", "105", "2", MON)])
    orphan = Filing("0000000002-24-000044", THU, issuer="0000000002", document_type="4/A",
                    period=dt.date(2023, 1, 3), orig_sub=dt.date(2023, 1, 5), trades=[Trade("S", "1", "1", dt.date(2023, 1, 3))])
    insert(engine, original, first_fix, second_fix, orphan)
    build_all(engine, [MON, TUE, THU])
    links = [(r["AMENDMENT_ACCESSION"], r["SUPERSEDED_ACCESSION"], r["MATCH_RULE"]) for r in select_all(engine, "supersessions")]
    assert sorted(links, key=str) == sorted(
        [
            (first_fix.accession, original.accession, "period_and_orig_date"),
            (second_fix.accession, original.accession, "period_and_orig_date"),
            (second_fix.accession, first_fix.accession, "earlier_amendment"),
            (orphan.accession, None, "unmatched"),
        ],
        key=str,
    )
    assert effective_accessions(engine, TUE) == [first_fix.accession]
    assert effective_accessions(engine, THU) == sorted([second_fix.accession, orphan.accession])
    [latest] = select_all(engine, "issuer_daily_activity", FILING_DATE=THU, ISSUERCIK="0000000001")
    assert latest["SELL_SHARES"] == D(105) and latest["SELL_DOLLARS"] == D(210)


def test_same_day_amendment_excludes_the_original_from_its_own_partition(engine: sa.Engine) -> None:
    original = Filing("0000000001-24-000051", MON, accepted=dt.datetime(2024, 3, 4, 10), trades=[Trade("S", "7", "3", MON)])
    amendment = Filing("0000000001-24-000052", MON, document_type="4/A", period=MON, orig_sub=MON,
                       accepted=dt.datetime(2024, 3, 4, 11), trades=[Trade("S", "8", "3", MON)])
    insert(engine, original, amendment)
    build_effective_transactions(engine, [MON])
    assert [r["ACCESSION_NUMBER"] for r in select_all(engine, "effective_transactions")] == [amendment.accession]


def test_joint_filing_counts_once_for_the_first_owner_with_co_filers(engine: sa.Engine) -> None:
    fund, gp, manager = Owner("0000000201", "Fund LP", "TenPercentOwner"), Owner("0000000202", "Fund GP LLC", "TenPercentOwner"), Owner("0000000203", "Manager", "Director,Other")
    joint = Filing("0000000001-24-000061", TUE, owners=(fund, gp, manager),
                   trades=[Trade("P", "1000", "5.25", MON), Trade("P", "500", "5.5", MON)])
    insert(engine, joint)
    build_all(engine, [TUE])
    rows = select_all(engine, "effective_transactions")
    assert len(rows) == 2
    assert {(r["RPTOWNERCIK"], r["CO_FILERS"], r["ROLE"]) for r in rows} == {("0000000201", "0000000202,0000000203", "TEN_PCT_OWNER")}
    [day] = select_all(engine, "issuer_daily_activity")
    assert (day["BUY_SHARES"], day["BUY_DOLLARS"], day["BUYERS"], day["BUY_ROWS"]) == (D(1500), D("8000"), 1, 2)
    assert day["BUY_SHARES_TEN_PCT_OWNER"] == D(1500) and day["BUY_SHARES_OFFICER"] == 0


def test_10b5_1_flag_decides_and_footnotes_count_only_without_it(engine: sa.Engine) -> None:
    plan_note = {"F1": "Effected pursuant to a Rule 10b5-1 trading plan adopted May 1, 2020."}
    flagged = Filing("0000000001-24-000071", TUE, aff10b5one=True, trades=[Trade("S", "10", "1", MON)])
    flag_no = Filing("0000000001-24-000072", TUE, aff10b5one=False, footnotes=plan_note,
                     owners=(Owner("0000000102"),), trades=[Trade("S", "20", "1", MON, fn="F1")])
    old_row = Filing("0000000001-24-000073", TUE, aff10b5one=None, footnotes=plan_note,
                     owners=(Owner("0000000103"),), trades=[Trade("S", "30", "1", MON, fn="F1"), Trade("S", "40", "1", MON)])
    old_filing = Filing("0000000001-24-000074", TUE, aff10b5one=None, footnotes=plan_note,
                        owners=(Owner("0000000104"),), trades=[Trade("S", "50", "1", MON)])
    negated = Filing("0000000001-24-000075", TUE, aff10b5one=None, owners=(Owner("0000000105"),),
                     footnotes={"F1": "These sales were not made pursuant to a Rule 10b5-1 plan."},
                     trades=[Trade("S", "60", "1", MON, fn="F1")])
    insert(engine, flagged, flag_no, old_row, old_filing, negated)
    build_all(engine, [TUE])
    evidence = {(r["ACCESSION_NUMBER"], r["TRANS_SK"]): r["PLAN_EVIDENCE"] for r in select_all(engine, "effective_transactions")}
    assert evidence == {
        (flagged.accession, 1): "flag",
        (flag_no.accession, 1): None,
        (old_row.accession, 1): "row_footnote",
        (old_row.accession, 2): None,  # the plan footnote is bound to row 1 only
        (old_filing.accession, 1): "filing_footnote",
        (negated.accession, 1): None,
    }
    [day] = select_all(engine, "issuer_daily_activity")
    assert day["SELL_SHARES_PLAN"] == D(10 + 30 + 50)
    assert day["SELL_SHARES_DISCRETIONARY"] == D(20 + 40 + 60)
    assert day["SELLERS"] == 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pursuant to a Rule 10b5-1 trading plan", True),
        ("under a 10b5‑1 plan (non-breaking hyphen)", True),
        ("Rule 10b-5-1 plan", True),
        ("sold under a 10b5 1 plan", True),
        ("The sales were not effected under a Rule 10b5-1 plan", False),
        ("Rule 10b-5 does not apply", False),
        (None, False),
        # Real wording: the trades under a plan that was adopted earlier, or completed later.
        ("Shares were sold pursuant to a duly adopted 10b5-1 trading plan entered into in accordance with the "
         "Issuer's insider trading policy.", True),
        ("THE TRANSACTIONS WERE EFFECTED PURSUANT TO A RULE 10B5-1 TRADING PLAN PREVIOUSLY ADOPTED ON SEPTEMBER 14, "
         "2021. THIS RULE 10B5-1 TRADING PLAN WAS COMPLETED ON DECEMBER 28, 2021.", True),
        ("Effected in compliance with a preexisting Rule 10b5-1 plan adopted by the holder.", True),
        # The plan ended: these trades were not made under it.
        ("On March 3, 2024 the reporting person terminated his Rule 10b5-1 plan.", False),
        ("The reporting person's Rule 10b5-1 trading plan was terminated on May 1, 2024.", False),
        ("The reporting person will terminate the Rule 10b5-1 plan after these sales.", False),
        # Adoption only, or adopted but not in effect for these trades.
        ("On May 1, 2024, the reporting person adopted a Rule 10b5-1 trading plan.", False),
        ("A 10b5-1 plan adopted on May 1, 2024 (not in effect for these sales).", False),
        # Other negations.
        ("These sales were made outside of the reporting person's Rule 10b5-1 plan.", False),
        ("Other than under a Rule 10b5-1 plan, the reporting person sold no shares.", False),
        ("No shares were sold pursuant to the Rule 10b5-1 plan.", False),
        # An ended plan and a new one in one footnote: the sentence about these sales decides.
        ("The reporting person terminated a prior Rule 10b5-1 plan on May 1; these sales were effected pursuant "
         "to a new Rule 10b5-1 plan adopted on June 1.", True),
    ],
)
def test_mentions_10b5_1(text: str | None, expected: bool) -> None:
    assert mentions_10b5_1(text) is expected


def test_an_amendment_that_corrects_the_period_matches_by_original_date_and_never_across_forms(engine: sa.Engine) -> None:
    form4 = Filing("0000000001-24-000081", TUE, period=MON, trades=[Trade("S", "10", "1", MON)])
    form5 = Filing("0000000001-24-000082", TUE, document_type="5", period=dt.date(2023, 12, 31),
                   trades=[Trade("G", "5", None, dt.date(2023, 6, 1))])
    period_fix = Filing("0000000001-24-000083", THU, document_type="4/A", period=FRI - dt.timedelta(days=7),
                        orig_sub=TUE, trades=[Trade("S", "10", "1", FRI - dt.timedelta(days=7))])
    five_fix = Filing("0000000001-24-000084", THU, document_type="5/A", period=dt.date(2023, 12, 31), orig_sub=TUE,
                      trades=[Trade("G", "6", None, dt.date(2023, 6, 1))])
    insert(engine, form4, form5, period_fix, five_fix)
    build_effective_transactions(engine, [TUE, THU])
    links = {r["AMENDMENT_ACCESSION"]: (r["SUPERSEDED_ACCESSION"], r["MATCH_RULE"]) for r in select_all(engine, "supersessions")}
    assert links == {
        period_fix.accession: (form4.accession, "orig_date_other_period"),
        five_fix.accession: (form5.accession, "period_and_orig_date"),
    }
