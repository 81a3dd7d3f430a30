"""Container and header variants: CRLF line ends, several documents in one submission,
the pre-2002 header layout (SUBJECT COMPANY plus <REPORTING-OWNER> tags), and the pure
value converters the parser is built on."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from form4_assets.parsing import ParsedFiling, parse_filing
from form4_assets.parsing.container import detect_container, header_text
from form4_assets.parsing.header import parse_txt_header
from form4_assets.parsing.values import header_date, header_datetime, to_date, to_decimal, to_flag


def _parsed(data: bytes) -> ParsedFiling:
    result = parse_filing(data)
    assert isinstance(result, ParsedFiling), result
    return result


def test_crlf_submission_gives_the_same_rows(seed_bytes: bytes) -> None:
    plain = _parsed(seed_bytes)
    crlf = _parsed(seed_bytes.replace(b"\n", b"\r\n"))
    assert crlf.header == plain.header
    assert crlf.parties == plain.parties
    assert crlf.nonderiv_trans == plain.nonderiv_trans
    assert crlf.reporting_owner == plain.reporting_owner
    # the signature's line break is data and keeps its CRLF-normalised form (XML turns \r\n into \n)
    assert crlf.owner_signature == plain.owner_signature


def test_header_keys_are_read_however_indented(seed_bytes: bytes) -> None:
    """EDGAR indents a header's keys by block with one or two tabs (looked up as split);
    any other indentation (spaces, three tabs, none, trailing blanks before the colon)
    names the same keys and must read the same header and parties."""
    plain = _parsed(seed_bytes)
    end = seed_bytes.find(b"</SEC-HEADER>")
    head, rest = seed_bytes[:end], seed_bytes[end:]
    for indent in (b"    ", b"\t\t\t", b"", b" \t"):
        lines = [indent + line.lstrip(b"\t") if b":" in line else line for line in head.split(b"\n")]
        lines = [line.replace(b":", b" \t:", 1) if indent == b" \t" else line for line in lines]
        edited = _parsed(b"\n".join(lines) + rest)
        assert (edited.header, edited.parties) == (plain.header, plain.parties), indent


def test_submission_with_a_power_of_attorney_exhibit(seed_bytes: bytes) -> None:
    exhibit = (
        b"<DOCUMENT>\n<TYPE>EX-24\n<SEQUENCE>2\n<FILENAME>poa.txt\n<DESCRIPTION>POWER OF ATTORNEY\n<TEXT>\n"
        b"Know all by these presents that the undersigned appoints <ownership> counsel.\n</TEXT>\n</DOCUMENT>\n"
    )
    data = seed_bytes.replace(b"PUBLIC DOCUMENT COUNT:\t\t1", b"PUBLIC DOCUMENT COUNT:\t\t2")
    data = data.replace(b"</SEC-DOCUMENT>", exhibit + b"</SEC-DOCUMENT>")
    result = _parsed(data)
    assert result.header["PUBLIC_DOCUMENT_COUNT"] == 2
    assert json.loads(result.header["DOCUMENTS"]) == [
        {"type": "4", "sequence": 1, "filename": "wk-form4_1699478880.xml", "description": "FORM 4"},
        {"type": "EX-24", "sequence": 2, "filename": "poa.txt", "description": "POWER OF ATTORNEY"},
    ]
    assert result.nonderiv_trans[0]["TRANS_PRICEPERSHARE"] == Decimal("17.04")


def test_pre_2002_header_layout(corpus_dir: Path) -> None:
    """The 1998 header in the corpus: SUBJECT COMPANY block, then a <REPORTING-OWNER> tag
    block whose sub-blocks are not indented. The filing itself is quarantined (no
    document), but its header must still read right."""
    data = (corpus_dir / "filings" / "0001012325-98-000004.hdr-only.txt").read_bytes()
    assert detect_container(data) == "txt"
    text, body, closed = header_text(data, "txt")
    assert closed and data[body:].startswith(b"</SEC-HEADER>")
    header, parties, problem = parse_txt_header(text)
    assert problem is None
    assert header["ACCESSION_NUMBER"] == "0001012325-98-000004"
    assert (header["PERIOD_OF_REPORT"], header["FILED_AS_OF_DATE"]) == (dt.date(1998, 10, 31), dt.date(1998, 11, 20))
    assert header["ACCEPTANCE_DATETIME"] is None
    # no ISSUER block in 1998: the subject company is the issuer
    assert (header["ISSUER_CIK"], header["ISSUER_NAME"]) == ("0001035972", "MORTON INTERNATIONAL INC /IN/")
    subject, owner = parties
    assert (subject["ROLE"], subject["SIC"], subject["IRS_NUMBER"], subject["FILE_NUMBER"], subject["FILM_NUMBER"]) == (
        "SUBJECT-COMPANY", "2890", "364140798", "001-12825", "98756151",
    )
    assert subject["SEC_ACT"] is None  # "SEC ACT:" is empty there
    assert json.loads(subject["FORMER_NAMES"]) == [{"name": "NEW MORTON INTERNATIONAL INC", "date_of_change": "1997-03-18"}]
    assert (owner["ROLE"], owner["CIK"], owner["NAME"], owner["SIC"]) == ("REPORTING-OWNER", "0001012325", "CANTALUPO JAMES R", None)
    assert (owner["BUSINESS_STREET1"], owner["MAIL_CITY"], owner["FORM_TYPE"]) == ("100 NORTH RIVERSIDE PLAZA", "CHICAGO", "4")


@pytest.mark.parametrize(
    ("text", "value"),
    [("50000", Decimal("50000")), ("17.04", Decimal("17.04")), ("70750.00", Decimal("70750.00")), ("-1.5", Decimal("-1.5")), ("0", Decimal("0"))],
)
def test_to_decimal_is_exact(text: str, value: Decimal) -> None:
    got = to_decimal(text)
    assert got == value and str(got) == str(value)


@pytest.mark.parametrize("text", ["NaN", "-Infinity", "1_000", "1,000", "\u0661\u0662", "12a", "", "1E5", "1.704e1"])
def test_to_decimal_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        to_decimal(text)


def test_dates_and_flags() -> None:
    assert to_date("2023-11-06") == dt.date(2023, 11, 6)
    assert to_date("2023-11-06-05:00") == to_date("2023-11-06+01:00") == to_date("2023-11-06Z") == dt.date(2023, 11, 6)
    for bad in ("2023-13-01", "2023-11-06X", "20231106", "2023-W45-1", "11/06/2023"):
        with pytest.raises(ValueError):
            to_date(bad)
    assert [to_flag(t) for t in ("1", "0", "true", "false")] == [True, False, True, False]
    with pytest.raises(ValueError):
        to_flag("Y")
    assert header_date("20231108") == dt.date(2023, 11, 8)
    assert header_datetime("20231108162809") == dt.datetime(2023, 11, 8, 16, 28, 9)
    for bad in ("2023110", "20231332", "2023-11-08"):
        with pytest.raises(ValueError):
            header_date(bad)
