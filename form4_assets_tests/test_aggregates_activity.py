"""issuer_daily_activity, net_insider_selling and cluster_buys on hand-built rows."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from form4_assets_tests.aggregates_support import D, Filing, Owner, Trade, build_all, insert, select_all

DAY = dt.date(2024, 5, 20)


def test_only_open_market_p_and_s_are_buying_and_selling(engine: sa.Engine) -> None:
    trades = [
        Trade("A", "1000", "0", DAY),
        Trade("M", "400", "12.5", DAY),
        Trade("S", "400", "30.125", DAY),  # the S of an M+S pair
        Trade("F", "150", "30", DAY),
        Trade("G", "25", None, DAY, ad="D"),
        Trade("G", "5", None, DAY, ad="A"),
        Trade("J", "9", None, DAY),
        Trade("S", "100", None, DAY),  # no price: shares only, flagged
        Trade("M", "400", "12.5", DAY, table="deriv"),  # the derivative side of the exercise
    ]
    insert(engine, Filing("0000000001-24-000100", DAY, owners=(Owner("0000000101", relationship="Director,Officer"),), trades=trades))
    build_all(engine, [DAY])
    [row] = select_all(engine, "issuer_daily_activity")
    assert row["SELL_SHARES"] == D(500) and row["SELL_ROWS"] == 2 and row["SELL_ROWS_NO_PRICE"] == 1
    assert row["SELL_DOLLARS"] == D("12050")  # 400 × 30.125
    assert row["BUY_SHARES"] == 0 and row["BUY_ROWS"] == 0 and row["BUYERS"] == 0 and row["SELLERS"] == 1
    assert row["SELL_SHARES_OFFICER"] == D(500) and row["SELL_SHARES_DIRECTOR"] == 0
    assert (row["AWARD_SHARES"], row["EXERCISE_SHARES"], row["TAX_WITHHOLDING_SHARES"]) == (D(1000), D(400), D(150))
    assert (row["GIFT_SHARES_GIVEN"], row["GIFT_SHARES_RECEIVED"], row["OTHER_ROWS"]) == (D(25), D(5), 1)
    assert row["TRANSACTION_ROWS"] == 8
    assert row["NET_SELL_SHARES"] == D(500) and row["NET_SELL_DOLLARS"] == D("12050")
    assert len(select_all(engine, "effective_transactions")) == 9  # the derivative row is kept, not summed


def test_roles_follow_precedence_and_add_up(engine: sa.Engine) -> None:
    people = [("0000000301", "Director"), ("0000000302", "TenPercentOwner,Director"), ("0000000303", "TenPercentOwner"),
              ("0000000304", "Other"), ("0000000305", "")]
    filings = [
        Filing(f"0000000001-24-0002{i:02d}", DAY, owners=(Owner(cik, relationship=rel),), trades=[Trade("P", str(10 * (i + 1)), "2", DAY)])
        for i, (cik, rel) in enumerate(people)
    ]
    insert(engine, *filings)
    build_all(engine, [DAY])
    [row] = select_all(engine, "issuer_daily_activity")
    assert (row["BUY_SHARES_DIRECTOR"], row["BUY_SHARES_TEN_PCT_OWNER"], row["BUY_SHARES_OTHER"], row["BUY_SHARES_OFFICER"]) == (
        D(10 + 20), D(30), D(40 + 50), 0,
    )
    assert row["BUY_SHARES"] == D(150) and row["BUY_DOLLARS"] == D(300) and row["BUYERS"] == 5


def test_rolling_windows_and_discretionary_split(engine: sa.Engine) -> None:
    seller, buyer = Owner("0000000401"), Owner("0000000402")
    old = DAY - dt.timedelta(days=40)   # inside 90 days only
    ancient = DAY - dt.timedelta(days=95)  # outside both
    insert(
        engine,
        Filing("0000000001-24-000301", ancient, owners=(seller,), trades=[Trade("S", "999", "1", ancient)]),
        Filing("0000000001-24-000302", old, owners=(seller,), aff10b5one=True, trades=[Trade("S", "1000", "20.01", old)]),
        Filing("0000000001-24-000303", DAY, owners=(seller,), trades=[Trade("S", "300", "21", DAY - dt.timedelta(days=2))]),
        Filing("0000000001-24-000304", DAY, owners=(buyer,), trades=[Trade("P", "50", "20", DAY - dt.timedelta(days=1))]),
        Filing("0000000002-24-000305", DAY, issuer="0000000002", issuer_name="Other Co", ticker="OTH",
               owners=(buyer,), trades=[Trade("P", "70", "3.33", DAY)]),
    )
    build_all(engine, [ancient, old, DAY])
    rows = {r["ISSUERCIK"]: r for r in select_all(engine, "net_insider_selling", FILING_DATE=DAY)}
    one = rows["0000000001"]
    assert (one["ISSUERNAME"], one["ISSUERTRADINGSYMBOL"]) == ("Issuer One Inc", "ONE")
    assert one["NET_SELL_SHARES_30D"] == D(300 - 50) and one["NET_SELL_DOLLARS_30D"] == D("5300.00")
    assert one["NET_SELL_SHARES_90D"] == D(1300 - 50) and one["NET_SELL_DOLLARS_90D"] == D("25310.00")
    assert one["NET_SELL_SHARES_DISCRETIONARY_90D"] == D(250) and one["NET_SELL_DOLLARS_DISCRETIONARY_90D"] == D("5300.00")
    assert one["LAST_TRANS_DATE"] == DAY - dt.timedelta(days=1)
    two = rows["0000000002"]
    assert two["NET_SELL_SHARES_30D"] == D(-70) and two["NET_SELL_DOLLARS_30D"] == D("-233.10")
    # As of the older date the later trades are unknown.
    [then] = select_all(engine, "net_insider_selling", FILING_DATE=old)
    assert then["NET_SELL_SHARES_90D"] == D(999 + 1000) and then["NET_SELL_DOLLARS_30D"] == D("20010.00")


def test_cluster_buys_need_three_distinct_insiders_in_ten_days(engine: sa.Engine) -> None:
    buyers = [Owner(f"00000005{i:02d}", f"Buyer {i}") for i in range(4)]
    early = DAY - dt.timedelta(days=12)  # outside the window
    insert(
        engine,
        Filing("0000000001-24-000401", DAY, owners=(buyers[0],), trades=[Trade("P", "100", "10", DAY - dt.timedelta(days=9))]),
        Filing("0000000001-24-000402", DAY, owners=(buyers[1],), trades=[Trade("P", "200", "10", DAY - dt.timedelta(days=3)), Trade("P", "1", "11", DAY)]),
        Filing("0000000001-24-000403", DAY, owners=(buyers[2], buyers[3]), trades=[Trade("P", "300", "10", DAY)]),  # joint: one buyer
        Filing("0000000001-24-000404", DAY, owners=(buyers[3],), trades=[Trade("P", "5", "10", early)]),
        Filing("0000000002-24-000405", DAY, issuer="0000000002", owners=(buyers[0],), trades=[Trade("P", "1", "1", DAY)]),
        Filing("0000000002-24-000406", DAY, issuer="0000000002", owners=(buyers[1],), trades=[Trade("P", "1", "1", DAY)]),
    )
    build_all(engine, [DAY])
    rows = select_all(engine, "cluster_buys")
    assert {r["ISSUERCIK"] for r in rows} == {"0000000001"}
    got = {r["RPTOWNERCIK"]: (r["BUY_SHARES"], r["BUY_DOLLARS"], r["CLUSTER_INSIDERS"], r["ACCESSIONS"]) for r in rows}
    assert got == {
        buyers[0].cik: (D(100), D(1000), 3, "0000000001-24-000401"),
        buyers[1].cik: (D(201), D(2011), 3, "0000000001-24-000402"),
        buyers[2].cik: (D(300), D(3000), 3, "0000000001-24-000403"),
    }
