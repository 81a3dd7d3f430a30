"""The SQL checks flag exactly the offending rows, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from form4_assets.warehouse import checks_sql
from form4_assets.warehouse.store import replace_partitions

DAY, OTHER_DAY = dt.date(2023, 11, 8), dt.date(2023, 11, 9)
A1, A2, A3 = "0000000001-23-000001", "0000000001-23-000002", "0000000001-23-000003"
OTHER = "0000000002-23-000001"


def trans(accession: str, sk: int, code: str, ad: str, shares: str | None, following: str | None, **extra) -> dict:
    return {
        "FILING_DATE": DAY,
        "ACCESSION_NUMBER": accession,
        "NONDERIV_TRANS_SK": sk,
        "SECURITY_TITLE": extra.pop("title", "Common Stock"),
        "TRANS_CODE": code,
        "TRANS_ACQUIRED_DISP_CD": ad,
        "TRANS_SHARES": None if shares is None else Decimal(shares),
        "SHRS_OWND_FOLWNG_TRANS": None if following is None else Decimal(following),
        "DIRECT_INDIRECT_OWNERSHIP": extra.pop("nature", "D"),
        **extra,
    }


def deriv(accession: str, sk: int, code: str, ad: str, **extra) -> dict:
    return {"FILING_DATE": DAY, "ACCESSION_NUMBER": accession, "DERIV_TRANS_SK": sk, "TRANS_CODE": code,
            "TRANS_ACQUIRED_DISP_CD": ad, **extra}


def cited(outcome: checks_sql.CheckOutcome) -> set[tuple[str, str, int | None]]:
    return {(r["accession"], r["table"], r["sk"]) for r in outcome.examples}


def test_share_chain_names_the_broken_link_only(engine: sa.Engine) -> None:
    rows = [
        trans(A1, 1, "S", "D", "100", "900"),  # first of its chain: nothing to compare
        trans(A1, 2, "S", "D", "100", "800"),  # 900 - 100 ✓
        trans(A1, 3, "P", "A", "50", "850.5"),  # 800 + 50 = 850 ✗
        trans(A1, 4, "S", "D", "10", "40", nature="I", NATURE_OF_OWNERSHIP="By trust"),  # own chain
        trans(A1, 5, "S", "D", "10", "30", nature="I", NATURE_OF_OWNERSHIP="By trust"),  # 40 - 10 ✓
        trans(A1, 6, "S", "D", None, "10"),  # no shares stated: not evaluable
        trans(A2, 1, "S", "D", "1", "5"),  # other filing: its own chain
    ]
    option = {"SECURITY_TITLE": "Stock Option", "DIRECT_INDIRECT_OWNERSHIP": "D", "EXPIRATION_DATE": dt.date(2030, 1, 1)}
    derivs = [
        deriv(A3, 1, "M", "D", **option, CONV_EXERCISE_PRICE=Decimal("10"), TRANS_SHARES=Decimal("5"), SHRS_OWND_FOLWNG_TRANS=Decimal("95")),
        # Another series (other exercise price): its own chain, so 200 is not compared with 95.
        deriv(A3, 2, "M", "D", **option, CONV_EXERCISE_PRICE=Decimal("12"), TRANS_SHARES=Decimal("5"), SHRS_OWND_FOLWNG_TRANS=Decimal("200")),
        deriv(A3, 3, "M", "D", **option, CONV_EXERCISE_PRICE=Decimal("10"), TRANS_SHARES=Decimal("5"), SHRS_OWND_FOLWNG_TRANS=Decimal("91")),  # 95 - 5 = 90 ✗
    ]
    replace_partitions(engine, [DAY], {"nonderiv_trans": rows, "deriv_trans": derivs})
    outcome = checks_sql.share_chain(engine, [DAY])[DAY]
    assert not outcome.passed
    assert outcome.failures == 2
    assert cited(outcome) == {(A1, "nonderiv_trans", 3), (A3, "deriv_trans", 3)}
    assert Decimal(outcome.examples[0]["expected"]) == Decimal("850")
    assert Decimal(outcome.examples[0]["found"]) == Decimal("850.5")
    assert outcome.checked == 4  # non-derivative rows 2, 3 and 5; derivative row 3
    assert checks_sql.share_chain(engine, [OTHER_DAY])[OTHER_DAY].checked == 0


def test_non_negative_and_ad_codes(engine: sa.Engine) -> None:
    replace_partitions(engine, [DAY], {
        "nonderiv_trans": [
            trans(A1, 1, "S", "D", "100", "900", TRANS_PRICEPERSHARE=Decimal("17.04")),
            trans(A1, 2, "S", "A", "100", "1000"),  # S must be D
            trans(A1, 3, "P", "A", "-5", "1005"),  # negative shares
            trans(A1, 4, "G", "D", "1", "1004"),  # gifts go either way: not checked
        ],
        "deriv_trans": [
            deriv(A2, 1, "M", "D", TRANS_SHARES=Decimal("10")),
            deriv(A2, 2, "M", "A", CONV_EXERCISE_PRICE=Decimal("-1")),  # M disposes the derivative; negative price
        ],
    })
    negative = checks_sql.non_negative_amounts(engine, [DAY])[DAY]
    assert negative.failures == 2
    assert {(r["accession"], r["table"], r["sk"], r["column"]) for r in negative.examples} == {
        (A1, "nonderiv_trans", 3, "TRANS_SHARES"),
        (A2, "deriv_trans", 2, "CONV_EXERCISE_PRICE"),
    }
    ad = checks_sql.acquired_disposed_matches_code(engine, [DAY])[DAY]
    assert ad.failures == 2
    assert cited(ad) == {(A1, "nonderiv_trans", 2), (A2, "deriv_trans", 2)}
    assert {(r["expected"], r["found"]) for r in ad.examples} == {("D", "A")}
    assert ad.checked == 5


def header(accession: str, issuer: str) -> dict:
    return {"FILING_DATE": DAY, "ACCESSION_NUMBER": accession, "CONTAINER": "txt", "ISSUER_CIK": issuer}


def party(accession: str, sk: int, role: str, cik: str) -> dict:
    return {"FILING_DATE": DAY, "ACCESSION_NUMBER": accession, "PARTY_SK": sk, "ROLE": role, "CIK": cik}


def test_header_ciks_against_xml(engine: sa.Engine) -> None:
    replace_partitions(engine, [DAY], {
        "filing_headers": [header(A1, "0001043219"), header(A2, "0000000042")],
        "header_parties": [
            party(A1, 1, "REPORTING-OWNER", "0001580536"), party(A1, 2, "ISSUER", "0001043219"),
            party(A2, 1, "REPORTING-OWNER", "0000000007"), party(A2, 2, "REPORTING-OWNER", "0000000008"),
            party(A2, 3, "ISSUER", "0000000042"),
        ],
        "submission": [
            {"FILING_DATE": DAY, "ACCESSION_NUMBER": A1, "ISSUERCIK": "1043219"},  # leading zeros differ only
            {"FILING_DATE": DAY, "ACCESSION_NUMBER": A2, "ISSUERCIK": "0000000043"},  # wrong issuer
            {"FILING_DATE": DAY, "ACCESSION_NUMBER": A3, "ISSUERCIK": "0000000099"},  # bare XML: no header
        ],
        "reporting_owner": [
            {"FILING_DATE": DAY, "ACCESSION_NUMBER": A1, "RPTOWNER_SK": 1, "RPTOWNERCIK": "1580536"},
            {"FILING_DATE": DAY, "ACCESSION_NUMBER": A2, "RPTOWNER_SK": 1, "RPTOWNERCIK": "0000000007"},
            {"FILING_DATE": DAY, "ACCESSION_NUMBER": A2, "RPTOWNER_SK": 2, "RPTOWNERCIK": "0000000009"},
            {"FILING_DATE": DAY, "ACCESSION_NUMBER": A3, "RPTOWNER_SK": 1, "RPTOWNERCIK": "0000000001"},
        ],
    })
    outcome = checks_sql.header_ciks_match_xml(engine, [DAY])[DAY]
    assert outcome.checked == 2
    assert outcome.failures == 3
    assert cited(outcome) == {(A2, "submission", None), (A2, "reporting_owner", 2), (A2, "header_parties", 2)}


def test_raw_equals_parsed_plus_quarantined(engine: sa.Engine) -> None:
    raw = [{"FILING_DATE": DAY, "ACCESSION_NUMBER": a} for a in (A1, A2, A3)]
    replace_partitions(engine, [DAY], {
        "raw_filings": raw,
        "submission": [{"FILING_DATE": DAY, "ACCESSION_NUMBER": A1}],
        "quarantine": [{"FILING_DATE": DAY, "ACCESSION_NUMBER": A2, "REASON_CODE": "malformed_xml"}],
    })
    outcomes = checks_sql.raw_equals_parsed_plus_quarantined(engine, [DAY, OTHER_DAY])
    outcome = outcomes[DAY]
    assert outcome.failures == 1 and outcome.checked == 3
    assert cited(outcome) == {(A3, "raw_filings", None)}
    assert outcome.details["per_day"] == {"2023-11-08": {"raw": 3, "parsed": 1, "quarantined": 1}}
    assert outcomes[OTHER_DAY].passed and outcomes[OTHER_DAY].checked == 0
    assert outcomes[OTHER_DAY].details["per_day"] == {"2023-11-09": {"raw": 0, "parsed": 0, "quarantined": 0}}

    replace_partitions(engine, [DAY], {"quarantine": [
        {"FILING_DATE": DAY, "ACCESSION_NUMBER": a, "REASON_CODE": "malformed_xml"} for a in (A1, A2, A3)
    ]})
    both = checks_sql.raw_equals_parsed_plus_quarantined(engine, [DAY])[DAY]
    assert cited(both) == {(A1, "submission", None)}

    replace_partitions(engine, [DAY], {"submission": [], "quarantine": [
        {"FILING_DATE": DAY, "ACCESSION_NUMBER": a, "REASON_CODE": "fetch_failed"} for a in (A1, A2, A3)
    ]})
    assert checks_sql.raw_equals_parsed_plus_quarantined(engine, [DAY])[DAY].passed


def test_a_run_of_several_dates_gives_each_date_its_own_outcome(engine: sa.Engine) -> None:
    """All dates in one pass (as a run evaluates them) equal each date checked alone: its own
    counts, and up to MAX_EXAMPLES examples of its own, whatever the other dates hold."""
    many = checks_sql.MAX_EXAMPLES + 5
    day_rows = [trans(f"0000000001-23-{i:06d}", 1, "P", "A", "-1", "10") for i in range(many)]
    other_rows = [{**trans(OTHER, 1, "S", "A", "-2", "5"), "FILING_DATE": OTHER_DAY}]
    replace_partitions(engine, [DAY, OTHER_DAY], {"nonderiv_trans": day_rows + other_rows})
    for check in checks_sql.ALL_CHECKS.values():
        together = check(engine, [OTHER_DAY, DAY])
        assert sorted(together) == [DAY, OTHER_DAY]
        for day in (DAY, OTHER_DAY):
            alone = check(engine, [day])[day]
            assert (together[day].checked, together[day].failures, together[day].examples, together[day].details) == (
                alone.checked, alone.failures, alone.examples, alone.details), (check.__name__, day)
    negative = checks_sql.non_negative_amounts(engine, [DAY, OTHER_DAY])
    assert (negative[DAY].failures, len(negative[DAY].examples), negative[DAY].checked) == (many, checks_sql.MAX_EXAMPLES, many)
    assert cited(negative[OTHER_DAY]) == {(OTHER, "nonderiv_trans", 1)}
    ad = checks_sql.acquired_disposed_matches_code(engine, [DAY, OTHER_DAY])
    assert (ad[DAY].failures, ad[OTHER_DAY].failures) == (0, 1)
