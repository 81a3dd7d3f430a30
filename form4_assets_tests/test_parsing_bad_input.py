"""Bad input never crashes and never disappears: each kind becomes a quarantine record
with its reason code. Every input is made here from the seed by byte edits."""

from __future__ import annotations

import codecs
import datetime as dt
import random
import re

import pytest
from lxml import etree

from form4_assets.parsing import MAX_FILING_BYTES, ParsedFiling, Quarantined, parse_filing
from form4_assets.parsing import errors
from form4_assets.parsing.xmlsafe import hardened_parser
from form4_assets_tests.parsing_support import edit_once, quarantined_as

ACCESSION = "0001628280-23-037880"


def _xml_only(seed: bytes) -> bytes:
    """The seed's ownershipDocument as a bare XML file."""
    start = seed.find(b"<?xml")
    end = seed.find(b"</ownershipDocument>") + len(b"</ownershipDocument>")
    return seed[start:end]


def test_empty_file() -> None:
    assert quarantined_as(b"", errors.EMPTY).reason == "empty"
    blank = quarantined_as(b" \r\n\t ", errors.EMPTY)
    assert "whitespace" in blank.message and blank.accession is None


def test_truncated_in_the_xml(seed_bytes: bytes) -> None:
    cut = seed_bytes[: seed_bytes.find(b"<footnotes>")]
    q = quarantined_as(cut, errors.TRUNCATED)
    assert q.offset == len(cut) and q.field == "ownershipDocument"
    assert q.accession == ACCESSION and q.header is not None  # what was read is kept


def test_truncated_in_the_header(seed_bytes: bytes) -> None:
    q = quarantined_as(seed_bytes[:700], errors.TRUNCATED)
    assert q.field == "SEC-HEADER"


def test_no_ownership_document_pre_2003_text_form(seed_bytes: bytes) -> None:
    text_form = (
        seed_bytes[: seed_bytes.find(b"<XML>")]
        + b"FORM 4   U.S. SECURITIES AND EXCHANGE COMMISSION\n"
        + b"1. Name and Address of Reporting Person: Finkelstein David L\n</TEXT>\n</DOCUMENT>\n</SEC-DOCUMENT>\n"
    )
    q = quarantined_as(text_form, errors.NO_OWNERSHIP_DOCUMENT)
    assert q.header is not None and q.header["CONFORMED_SUBMISSION_TYPE"] == "4"


def test_malformed_xml_names_the_offset(seed_bytes: bytes) -> None:
    broken = edit_once(seed_bytes, b"</issuerName>", b"</issuerNam>")
    q = quarantined_as(broken, errors.MALFORMED_XML)
    at = broken.find(b"</issuerNam>")
    assert q.offset is not None and abs(q.offset - at) < 40, (q.offset, at)
    assert "issuerNam" in q.message or "mismatch" in q.message.lower()


def test_unknown_schema_version(seed_bytes: bytes) -> None:
    q = quarantined_as(edit_once(seed_bytes, b"X0508", b"X0999"), errors.UNKNOWN_SCHEMA_VERSION)
    assert q.field == "schemaVersion" and "X0999" in q.message
    quarantined_as(edit_once(seed_bytes, b"X0508", b"X0201"), errors.UNKNOWN_SCHEMA_VERSION)  # older than X0202


@pytest.mark.parametrize("version", ["X0202", "X0306", "X0407", "X0609"])
def test_known_schema_versions_parse(seed_bytes: bytes, version: str) -> None:
    result = parse_filing(edit_once(seed_bytes, b"X0508", version.encode()))
    assert isinstance(result, ParsedFiling) and result.submission["SCHEMA_VERSION"] == version


def test_non_numeric_shares(seed_bytes: bytes) -> None:
    broken = edit_once(seed_bytes, b"<value>50000</value>", b"<value>50,000</value>")
    q = quarantined_as(broken, errors.BAD_NUMBER)
    assert q.field == "nonDerivativeTransaction[1].TRANS_SHARES"
    assert "50,000" in q.message
    assert q.offset == broken.find(b"50,000")


@pytest.mark.parametrize("text", [b"NaN", b"Infinity", b"1_000", b"12e", b"1.704E1", b""])
def test_numbers_decimal_would_accept_but_xs_decimal_does_not(seed_bytes: bytes, text: bytes) -> None:
    edited = edit_once(seed_bytes, b"<value>17.04</value>", b"<value>" + text + b"</value>")
    if text == b"":
        result = parse_filing(edited)  # an empty value is absent, not bad
        assert isinstance(result, ParsedFiling) and result.nonderiv_trans[0]["TRANS_PRICEPERSHARE"] is None
        assert result.nonderiv_trans[0]["TRANS_PRICEPERSHARE_FN"] == "F2"
    else:
        assert quarantined_as(edited, errors.BAD_NUMBER).field == "nonDerivativeTransaction[1].TRANS_PRICEPERSHARE"


def test_bad_date(seed_bytes: bytes) -> None:
    broken = re.sub(rb"(<transactionDate>\s*<value>)2023-11-06", rb"\g<1>2023-13-45", seed_bytes, count=1)
    q = quarantined_as(broken, errors.BAD_DATE)
    assert q.field == "nonDerivativeTransaction[1].TRANS_DATE"
    assert q.offset == broken.find(b"2023-13-45")
    quarantined_as(edit_once(seed_bytes, b"<signatureDate>2023-11-08", b"<signatureDate>11/08/2023"), errors.BAD_DATE)
    quarantined_as(edit_once(seed_bytes, b"FILED AS OF DATE:\t\t20231108", b"FILED AS OF DATE:\t\t2023110"), errors.BAD_DATE)


def test_date_with_xs_date_zone_suffix(seed_bytes: bytes) -> None:
    edited = re.sub(rb"(<transactionDate>\s*<value>)2023-11-06", rb"\g<1>2023-11-06-05:00", seed_bytes, count=1)
    edited = edit_once(edited, b"<periodOfReport>2023-11-06", b"<periodOfReport>2023-11-06Z")
    result = parse_filing(edited)
    assert isinstance(result, ParsedFiling)
    assert result.nonderiv_trans[0]["TRANS_DATE"] == dt.date(2023, 11, 6)
    assert result.submission["PERIOD_OF_REPORT"] == dt.date(2023, 11, 6)


def test_bad_flag(seed_bytes: bytes) -> None:
    q = quarantined_as(edit_once(seed_bytes, b"<isDirector>1<", b"<isDirector>yes<"), errors.BAD_FLAG)
    assert q.field == "reportingOwner[1].RPTOWNER_RELATIONSHIP"


def test_missing_issuer_cik(seed_bytes: bytes) -> None:
    q = quarantined_as(edit_once(seed_bytes, b"<issuerCik>0001043219</issuerCik>", b""), errors.MISSING_FIELD)
    assert q.field == "issuer/issuerCik"
    q = quarantined_as(edit_once(seed_bytes, b"<rptOwnerCik>0001688537</rptOwnerCik>", b"<rptOwnerCik></rptOwnerCik>"), errors.MISSING_FIELD)
    assert "rptOwnerCik" in q.field


def test_duplicate_footnote_id(seed_bytes: bytes) -> None:
    q = quarantined_as(edit_once(seed_bytes, b'<footnote id="F2">', b'<footnote id="F1">'), errors.DUPLICATE_FOOTNOTE)
    assert "F1" in q.message


def test_wrong_encoding_is_quarantined(seed_bytes: bytes) -> None:
    """0x81 and 0x8D are neither UTF-8 nor defined in windows-1252."""
    broken = edit_once(seed_bytes, b"<rptOwnerName>Finkelstein", b"<rptOwnerName>Fink\x81\x8dlstein")
    q = quarantined_as(broken, errors.BAD_ENCODING)
    assert q.offset == broken.find(b"\x81")


def test_latin1_bytes_without_declaration_are_read_as_windows_1252(seed_bytes: bytes) -> None:
    edited = edit_once(seed_bytes, b"<rptOwnerName>Finkelstein", b"<rptOwnerName>Fink\xe9lstein \x93Dave\x94")
    result = parse_filing(edited)
    assert isinstance(result, ParsedFiling), result
    assert result.reporting_owner[0]["RPTOWNERNAME"] == "Fink\u00e9lstein \u201cDave\u201d David L"


def test_declared_encoding_is_honoured(seed_bytes: bytes) -> None:
    xml = edit_once(_xml_only(seed_bytes), b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="ISO-8859-1"?>')
    result = parse_filing(edit_once(xml, b"Finkelstein", b"Fink\xe9lstein"))
    assert isinstance(result, ParsedFiling) and result.reporting_owner[0]["RPTOWNERNAME"] == "Fink\u00e9lstein David L"
    q = quarantined_as(edit_once(xml, b"ISO-8859-1", b"x-no-such-charset"), errors.BAD_ENCODING)
    assert q.field == "ownershipDocument"


def test_byte_order_marks(seed_bytes: bytes) -> None:
    xml = _xml_only(seed_bytes)
    for data in (codecs.BOM_UTF8 + xml, xml.decode().replace("1.0\"?>", "1.0\" encoding=\"UTF-16\"?>").encode("utf-16")):
        result = parse_filing(data)
        assert isinstance(result, ParsedFiling), result
        assert result.nonderiv_trans[0]["TRANS_SHARES"] == 50000


def test_oversize(seed_bytes: bytes) -> None:
    padded = seed_bytes + b" " * (MAX_FILING_BYTES + 1 - len(seed_bytes))
    q = quarantined_as(padded, errors.OVERSIZE)
    assert str(MAX_FILING_BYTES) in q.message


XXE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE ownershipDocument [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
)
LAUGHS = b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n' + b"".join(
    b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
) + b"]>\n"


def test_xxe_is_refused(seed_bytes: bytes) -> None:
    attack = edit_once(seed_bytes, b'<?xml version="1.0"?>\n', XXE)
    attack = edit_once(attack, b"<remarks></remarks>", b"<remarks>&xxe;</remarks>")
    q = quarantined_as(attack, errors.FORBIDDEN_XML)
    assert q.field == "DOCTYPE" and q.offset == attack.find(b"<!DOCTYPE")
    assert "root:" not in q.message


def test_billion_laughs_is_refused(seed_bytes: bytes) -> None:
    bomb = edit_once(_xml_only(seed_bytes), b'<?xml version="1.0"?>\n', LAUGHS)
    bomb = edit_once(bomb, b"<remarks></remarks>", b"<remarks>&lol9;</remarks>")
    q = quarantined_as(bomb, errors.FORBIDDEN_XML)
    assert q.offset == bomb.find(b"<!DOCTYPE")


def test_hardened_parser_expands_nothing_even_without_the_precheck(seed_bytes: bytes, tmp_path) -> None:
    """Defence in depth: the lxml parser itself neither reads files nor expands entities."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    xxe = XXE.replace(b"file:///etc/passwd", secret.as_uri().encode()) + b"<r>&xxe;</r>"
    try:
        root = etree.fromstring(xxe, hardened_parser())
    except etree.XMLSyntaxError:
        pass  # refusing is fine too
    else:
        assert "TOP-SECRET" not in etree.tostring(root, encoding="unicode")
    bomb = LAUGHS + b"<r>&lol9;</r>"
    try:
        root = etree.fromstring(bomb, hardened_parser())
    except etree.XMLSyntaxError:
        pass
    else:
        assert len(etree.tostring(root)) < 10_000  # 10^9 "lol"s were not produced


def test_accession_mismatch(seed_bytes: bytes) -> None:
    q = quarantined_as(seed_bytes, errors.ACCESSION_MISMATCH, accession="0001628280-23-099999")
    assert ACCESSION in q.message and "0001628280-23-099999" in q.message
    assert isinstance(parse_filing(seed_bytes, accession=ACCESSION), ParsedFiling)
    assert isinstance(parse_filing(seed_bytes, accession=ACCESSION.replace("-", "")), ParsedFiling)


def test_bare_xml_takes_the_given_accession(seed_bytes: bytes) -> None:
    result = parse_filing(_xml_only(seed_bytes), accession=ACCESSION)
    assert isinstance(result, ParsedFiling)
    assert result.container == "xml" and result.header is None and result.parties == []
    assert result.accession == ACCESSION
    assert result.nonderiv_trans[0]["ACCESSION_NUMBER"] == ACCESSION
    assert result.submission["FILING_DATE"] is None  # no header: the loader stamps it


def test_amendment_made_from_the_seed(seed_bytes: bytes) -> None:
    """The corpus has no 3/A, 4/A or 5/A; this one is the seed turned into a 4/A."""
    amended = edit_once(seed_bytes, b"<documentType>4</documentType>", b"<documentType>4/A</documentType>")
    amended = edit_once(amended, b"<periodOfReport>2023-11-06</periodOfReport>", b"<periodOfReport>2023-11-06</periodOfReport>\n    <dateOfOriginalSubmission>2023-11-08</dateOfOriginalSubmission>")
    amended = edit_once(amended, b"CONFORMED SUBMISSION TYPE:\t4", b"CONFORMED SUBMISSION TYPE:\t4/A")
    result = parse_filing(amended)
    assert isinstance(result, ParsedFiling)
    assert result.submission["DOCUMENT_TYPE"] == "4/A"
    assert result.submission["DATE_OF_ORIG_SUB"] == dt.date(2023, 11, 8)
    assert result.header["CONFORMED_SUBMISSION_TYPE"] == "4/A"


def test_value_outside_its_holder_is_not_misattributed(seed_bytes: bytes) -> None:
    """A footnoteId placed in a wrapper (schema-invalid) must not be bound to the field
    before it."""
    edited = edit_once(seed_bytes, b"</transactionAcquiredDisposedCode>", b'</transactionAcquiredDisposedCode>\n<footnoteId id="F1"/>')
    result = parse_filing(edited)
    assert isinstance(result, ParsedFiling)
    assert result.nonderiv_trans[0]["TRANS_ACQUIRED_DISP_CD_FN"] is None


def test_never_raises_on_cut_or_garbled_input(seed_bytes: bytes) -> None:
    """Every prefix length and random byte damage gives a result, never an exception,
    and never the parser-bug reason."""
    rng = random.Random(345)
    cuts = sorted(rng.sample(range(len(seed_bytes)), 150))
    inputs = [seed_bytes[:n] for n in cuts]
    for _ in range(150):
        damaged = bytearray(seed_bytes)
        for _ in range(rng.randint(1, 8)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        inputs.append(bytes(damaged))
    inputs += [bytes(rng.randrange(256) for _ in range(2000)), b"<", b"<SUBMISSION>", b"<SEC-HEADER>"]
    for data in inputs:
        result = parse_filing(data)
        if isinstance(result, Quarantined):
            assert result.reason in errors.ALL_REASONS and result.reason != errors.PARSER_ERROR, result
