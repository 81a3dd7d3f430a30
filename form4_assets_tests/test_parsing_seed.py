"""The seed filing (Annaly, NLY, 0001628280-23-037880) gives exactly the values the product promises,
and `form4-assets parse` prints them as JSON Lines with the filing's own digits."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from decimal import Decimal

import pytest

from form4_assets import tables
from form4_assets.cli import main
from form4_assets.parsing import ParsedFiling, parse_filing

from .conftest import SEED_FIXTURE

ACCESSION = "0001628280-23-037880"


@pytest.fixture(scope="module")
def seed(seed_bytes: bytes) -> ParsedFiling:
    result = parse_filing(seed_bytes, source="seed_filing.txt", accession=ACCESSION)
    assert isinstance(result, ParsedFiling), result
    return result


def test_seed_header(seed: ParsedFiling) -> None:
    assert seed.accession == ACCESSION
    assert seed.container == "txt"
    h = seed.header
    assert h is not None
    assert h["ACCESSION_NUMBER"] == ACCESSION
    assert h["CONFORMED_SUBMISSION_TYPE"] == "4"
    assert h["PUBLIC_DOCUMENT_COUNT"] == 1
    assert h["ACCEPTANCE_DATETIME"] == dt.datetime(2023, 11, 8, 16, 28, 9)
    assert h["PERIOD_OF_REPORT"] == dt.date(2023, 11, 6)
    assert h["FILED_AS_OF_DATE"] == dt.date(2023, 11, 8)
    assert h["DATE_AS_OF_CHANGE"] == dt.date(2023, 11, 8)
    assert h["ISSUER_CIK"] == "0001043219"
    assert h["ISSUER_NAME"] == "ANNALY CAPITAL MANAGEMENT INC"
    assert json.loads(h["DOCUMENTS"]) == [
        {"type": "4", "sequence": 1, "filename": "wk-form4_1699478880.xml", "description": "FORM 4"}
    ]
    assert set(h) == set(tables.FILING_HEADERS.column_names) - {"FILING_DATE"}


def test_seed_header_parties(seed: ParsedFiling) -> None:
    owner, issuer = seed.parties
    assert (owner["PARTY_SK"], owner["ROLE"], owner["CIK"], owner["NAME"]) == (
        1, "REPORTING-OWNER", "0001688537", "Finkelstein David L",
    )
    assert (owner["FORM_TYPE"], owner["SEC_ACT"], owner["FILE_NUMBER"], owner["FILM_NUMBER"]) == (
        "4", "1934 Act", "001-13447", "231388314",
    )
    assert (owner["MAIL_STREET1"], owner["MAIL_STREET2"], owner["MAIL_CITY"], owner["MAIL_STATE"], owner["MAIL_ZIP"]) == (
        "ANNALY CAPITAL MANAGEMENT, INC.", "1211 AVE. OF THE AMERICAS", "NEW YORK", "NY", "10036",
    )
    assert owner["BUSINESS_STREET1"] is None and owner["FORMER_NAMES"] is None
    assert (issuer["PARTY_SK"], issuer["ROLE"], issuer["CIK"], issuer["NAME"]) == (
        2, "ISSUER", "0001043219", "ANNALY CAPITAL MANAGEMENT INC",
    )
    assert issuer["SIC"] == "6798"  # REAL ESTATE INVESTMENT TRUSTS [6798]
    assert (issuer["IRS_NUMBER"], issuer["STATE_OF_INCORPORATION"], issuer["FISCAL_YEAR_END"]) == ("223479661", "MD", "1231")
    assert (issuer["BUSINESS_STREET1"], issuer["BUSINESS_CITY"], issuer["BUSINESS_PHONE"]) == (
        "1211 AVENUE OF THE AMERICAS", "NEW YORK", "212 696 0100",
    )
    assert json.loads(issuer["FORMER_NAMES"]) == [{"name": "ANNALY MORTGAGE MANAGEMENT INC", "date_of_change": "1997-07-29"}]
    for party in seed.parties:
        assert party["ACCESSION_NUMBER"] == ACCESSION
        assert set(party) == set(tables.HEADER_PARTIES.column_names) - {"FILING_DATE"}


def test_seed_submission_and_owner(seed: ParsedFiling) -> None:
    s = seed.submission
    assert s["ACCESSION_NUMBER"] == ACCESSION
    assert s["FILING_DATE"] == dt.date(2023, 11, 8)
    assert s["SCHEMA_VERSION"] == "X0508"
    assert s["DOCUMENT_TYPE"] == "4"
    assert s["PERIOD_OF_REPORT"] == dt.date(2023, 11, 6)
    assert (s["ISSUERCIK"], s["ISSUERNAME"], s["ISSUERTRADINGSYMBOL"]) == ("0001043219", "ANNALY CAPITAL MANAGEMENT INC", "NLY")
    assert s["NOT_SUBJECT_SEC16"] is False
    assert s["AFF10B5ONE"] is True
    assert s["REMARKS"] is None and s["DATE_OF_ORIG_SUB"] is None
    assert set(s) == set(tables.SUBMISSION.column_names)

    (owner,) = seed.reporting_owner
    assert owner["RPTOWNER_SK"] == 1
    assert owner["RPTOWNERCIK"] == "0001688537"
    assert owner["RPTOWNERNAME"] == "Finkelstein David L"
    assert owner["RPTOWNER_RELATIONSHIP"] == "Director,Officer"
    assert owner["RPTOWNER_TITLE"] == "CEO and CIO"
    assert owner["RPTOWNER_TXT"] is None
    assert (owner["RPTOWNER_STREET1"], owner["RPTOWNER_STREET2"], owner["RPTOWNER_CITY"], owner["RPTOWNER_STATE"], owner["RPTOWNER_ZIPCODE"]) == (
        "C/O ANNALY CAPITAL MANAGEMENT, INC.", "1211 AVENUE OF THE AMERICAS", "NEW YORK", "NY", "10036",
    )
    assert owner["FILE_NUMBER"] == "001-13447"  # from the header's REPORTING-OWNER block, matched by CIK
    assert set(owner) == set(tables.REPORTING_OWNER.column_names) - {"FILING_DATE"}


def test_seed_transaction(seed: ParsedFiling) -> None:
    (t,) = seed.nonderiv_trans
    assert t["NONDERIV_TRANS_SK"] == 1
    assert t["SECURITY_TITLE"] == "Common Stock"
    assert t["TRANS_DATE"] == dt.date(2023, 11, 6)
    assert (t["TRANS_FORM_TYPE"], t["TRANS_CODE"], t["EQUITY_SWAP_INVOLVED"]) == ("4", "S", False)
    assert t["EQUITY_SWAP_TRANS_CD_FN"] == "F1"  # footnote F1 sits in <transactionCoding>
    assert t["TRANS_SHARES"] == Decimal("50000") and t["TRANS_SHARES_FN"] is None
    assert t["TRANS_PRICEPERSHARE"] == Decimal("17.04") and str(t["TRANS_PRICEPERSHARE"]) == "17.04"
    assert t["TRANS_PRICEPERSHARE_FN"] == "F2"
    assert t["TRANS_ACQUIRED_DISP_CD"] == "D"
    assert t["SHRS_OWND_FOLWNG_TRANS"] == Decimal("545259")
    assert t["DIRECT_INDIRECT_OWNERSHIP"] == "D"
    assert t["NATURE_OF_OWNERSHIP"] is None
    fn_columns = {c for c in t if c.endswith("_FN") and t[c] is not None}
    assert fn_columns == {"EQUITY_SWAP_TRANS_CD_FN", "TRANS_PRICEPERSHARE_FN"}
    assert set(t) == set(tables.NONDERIV_TRANS.column_names) - {"FILING_DATE"}
    assert seed.deriv_trans == [] and seed.nonderiv_holding == [] and seed.deriv_holding == []


def test_seed_footnotes_and_signature(seed: ParsedFiling) -> None:
    f1, f2 = seed.footnotes
    assert f1["FOOTNOTE_ID"] == "F1" and "Rule 10b5-1 plan adopted August 2, 2023" in f1["FOOTNOTE_TXT"]
    assert f2["FOOTNOTE_ID"] == "F2" and "$16.91 to $17.20, inclusive" in f2["FOOTNOTE_TXT"]
    (sig,) = seed.owner_signature
    assert sig["SIGNATURE_SK"] == 1
    assert sig["OWNERSIGNATURENAME"] == "/s/ Anthony C. Green, as Attorney-in-Fact\nfor David L. Finkelstein"
    assert sig["OWNERSIGNATUREDATE"] == dt.date(2023, 11, 8)


def test_rows_are_keyed_by_warehouse_tables(seed: ParsedFiling) -> None:
    rows = seed.rows()
    assert set(rows) <= set(tables.TABLES_BY_NAME)
    assert {name: len(r) for name, r in rows.items()} == {
        "filing_headers": 1, "header_parties": 2, "submission": 1, "reporting_owner": 1, "nonderiv_trans": 1,
        "deriv_trans": 0, "nonderiv_holding": 0, "deriv_holding": 0, "footnotes": 2, "owner_signature": 1,
    }
    for name, table_rows in rows.items():
        allowed = set(tables.TABLES_BY_NAME[name].column_names)
        for row in table_rows:
            assert set(row) <= allowed, (name, set(row) - allowed)


def test_cli_prints_seed_as_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", str(SEED_FIXTURE)]) == 0
    out = capsys.readouterr().out
    (line,) = out.splitlines()
    assert '"TRANS_PRICEPERSHARE": 17.04' in line  # the filing's digits, as a JSON number
    assert '"TRANS_SHARES": 50000,' in line
    obj = json.loads(line)
    assert obj["status"] == "parsed"
    assert obj["accession"] == ACCESSION
    assert obj["source"] == str(SEED_FIXTURE)
    assert obj["header"]["ACCEPTANCE_DATETIME"] == "2023-11-08T16:28:09"
    assert [p["ROLE"] for p in obj["header"]["parties"]] == ["REPORTING-OWNER", "ISSUER"]
    assert obj["submission"]["ISSUERTRADINGSYMBOL"] == "NLY"
    assert obj["submission"]["AFF10B5ONE"] is True
    assert obj["submission"]["DATE_OF_ORIG_SUB"] is None
    (t,) = obj["nonderiv_trans"]
    assert t["TRANS_DATE"] == "2023-11-06"
    assert t["EQUITY_SWAP_TRANS_CD_FN"] == "F1" and t["TRANS_PRICEPERSHARE_FN"] == "F2"
    assert obj["reporting_owner"][0]["RPTOWNER_RELATIONSHIP"] == "Director,Officer"
    assert [f["FOOTNOTE_ID"] for f in obj["footnotes"]] == ["F1", "F2"]
    assert obj["owner_signature"][0]["OWNERSIGNATUREDATE"] == "2023-11-08"
    for key in ("deriv_trans", "nonderiv_holding", "deriv_holding"):
        assert obj[key] == []


def test_cli_prints_tiny_and_zero_decimals_with_the_filing_digits(
    tmp_path, seed_bytes: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    """Positional notation as written, never Decimal's scientific form (1E-7, 0E-8)."""
    edited = seed_bytes.replace(b"<value>17.04</value>", b"<value>0.0000001</value>", 1)
    edited = edited.replace(b"<value>545259</value>", b"<value>0.00000000</value>", 1)
    assert edited.count(b"0.0000001") == 1 and edited.count(b"0.00000000") == 1
    filing = tmp_path / "tiny.txt"
    filing.write_bytes(edited)
    assert main(["parse", str(filing)]) == 0
    out = capsys.readouterr().out
    assert '"TRANS_PRICEPERSHARE": 0.0000001,' in out and '"SHRS_OWND_FOLWNG_TRANS": 0.00000000,' in out
    (row,) = json.loads(out, parse_float=Decimal)["nonderiv_trans"]
    assert row["TRANS_PRICEPERSHARE"] == Decimal("0.0000001") and row["SHRS_OWND_FOLWNG_TRANS"] == 0


def test_cli_quarantine_is_not_an_error_but_a_missing_file_is(
    tmp_path, seed_bytes: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.txt"
    broken.write_bytes(seed_bytes[: seed_bytes.find(b"</ownershipDocument>")])
    assert main(["parse", str(broken)]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert (obj["status"], obj["reason"], obj["source"]) == ("quarantined", "truncated", str(broken))
    assert obj["accession"] == ACCESSION and obj["header"]["FILED_AS_OF_DATE"] == "2023-11-08"

    missing = tmp_path / "nope.txt"
    assert main(["parse", str(broken), str(missing)]) == 2
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 1  # the readable file is still reported
    assert str(missing) in captured.err


def test_console_script_runs() -> None:
    """The installed `form4-assets` script (or, when this environment has no script on
    PATH, the same entry point through `python -m`) prints the same JSON line."""
    script = shutil.which("form4-assets")
    command = [script] if script else [sys.executable, "-m", "form4_assets.cli"]
    proc = subprocess.run(
        [*command, "parse", str(SEED_FIXTURE)], capture_output=True, text=True, timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert '"TRANS_PRICEPERSHARE": 17.04' in proc.stdout
    assert json.loads(proc.stdout)["nonderiv_trans"][0]["TRANS_CODE"] == "S"
