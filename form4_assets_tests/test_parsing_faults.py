"""The XML faults of issue 14 (findings 1-6), each kept as a test: a DOCTYPE hidden in
another encoding, thousands of footnote ids in one field, nested markup in text
fields, offsets after a byte-order mark, a count too long for its column, and a file
that holds only its SEC header. Every input is made here from the seed by byte edits."""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from lxml import etree

from form4_assets.parsing import ParsedFiling, Quarantined, errors, parse_filing
from form4_assets.parsing.command import run_parse
from form4_assets_tests.parsing_support import edit_once, quarantined_as
from form4_assets.parsing.errors import FilingError
from form4_assets.parsing.xmlsafe import hardened_parser
from form4_assets.pipeline.day import parsed_rows
from form4_assets.warehouse.checks_sql import header_ciks_match_xml, raw_equals_parsed_plus_quarantined
from form4_assets.warehouse.store import read_partition, replace_partitions
from form4_assets_tests.fifo_support import watched_fifo

ACCESSION = "0001628280-23-037880"
FILED = dt.date(2023, 11, 8)


def _xml_only(seed: bytes) -> bytes:
    """The seed's ownershipDocument as a bare XML file."""
    return seed[seed.find(b"<?xml") : seed.find(b"</ownershipDocument>") + len(b"</ownershipDocument>")]


def _parsed(data: bytes) -> ParsedFiling:
    result = parse_filing(data, source="edited")
    assert isinstance(result, ParsedFiling), result
    return result


# --- 1. A DOCTYPE in another encoding, and external loads ------------------------------


def _utf7_doctype(seed: bytes, system: str) -> bytes:
    """The seed's XML declared UTF-7, with `<!DOCTYPE ... SYSTEM "...">` written in
    UTF-7 (`+ADw-+ACE-` is `<!`): no `<!DOCTYPE` byte sequence appears."""
    doctype = f'+ADw-+ACE-DOCTYPE ownershipDocument SYSTEM "{system}"+AD4-'.encode()
    return edit_once(_xml_only(seed), b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="UTF-7"?>\n' + doctype)


def _utf16_without_bom_doctype(seed: bytes, system: str) -> bytes:
    """A prolog in UTF-16LE without a byte-order mark (which libxml2 detects from the
    first bytes), then the seed's ASCII XML: a DOCTYPE the byte check never sees."""
    prolog = f'<?xml version="1.0"?><!DOCTYPE ownershipDocument SYSTEM "{system}"><r>'.encode("utf-16-le")
    xml = _xml_only(seed).split(b"?>", 1)[1]
    return prolog + xml + b" " * (len(xml) % 2)


HIDDEN_DOCTYPES = [_utf7_doctype, _utf16_without_bom_doctype]


@pytest.mark.parametrize("make", HIDDEN_DOCTYPES, ids=["utf-7", "utf-16-without-bom"])
def test_a_doctype_in_another_encoding_never_opens_the_file(seed_bytes: bytes, tmp_path: Path, make) -> None:
    with watched_fifo(tmp_path) as (fifo, opens):
        result = parse_filing(make(seed_bytes, fifo.as_uri()), source="hostile")
    assert opens.count == 0, "the parser opened the file a DOCTYPE pointed at"
    assert isinstance(result, Quarantined) and result.reason in (errors.BAD_ENCODING, errors.MALFORMED_XML), result


@pytest.mark.parametrize("make", HIDDEN_DOCTYPES, ids=["utf-7", "utf-16-without-bom"])
def test_the_result_does_not_tell_whether_a_file_exists(seed_bytes: bytes, tmp_path: Path, make) -> None:
    existing = tmp_path / "secret.txt"
    existing.write_text("root:x:0:0:root:/root:/bin/bash\n")
    results = []
    for target in (existing, tmp_path / "missing.txt"):
        result = parse_filing(make(seed_bytes, target.as_uri()), source="hostile")
        assert isinstance(result, Quarantined), result
        results.append((result.reason, result.message.replace(target.as_uri(), "<url>"), result.field, result.offset))
    assert results[0] == results[1]
    assert "root:x" not in results[0][1]


def test_utf7_is_refused_with_a_clear_reason(seed_bytes: bytes) -> None:
    data = _utf7_doctype(seed_bytes, "file:///dev/stdin")
    q = quarantined_as(data, errors.BAD_ENCODING)
    assert "UTF-7" in q.message and "UTF-8" in q.message
    assert q.offset == data.find(b"UTF-7") and q.field == "ownershipDocument"


@pytest.mark.parametrize("encoding", ["UTF-8", "us-ascii", "ISO-8859-1", "windows-1252", "latin1"])
def test_accepted_declared_encodings_still_parse(seed_bytes: bytes, encoding: str) -> None:
    xml = edit_once(_xml_only(seed_bytes), b'<?xml version="1.0"?>', f'<?xml version="1.0" encoding="{encoding}"?>'.encode())
    assert _parsed(xml).reporting_owner[0]["RPTOWNERNAME"] == "Finkelstein David L"


def test_the_parser_itself_refuses_every_external_load(tmp_path: Path) -> None:
    """Defence in depth, past the byte check: the hardened parser given a DOCTYPE with an
    external subset and an external parameter entity loads neither."""
    with watched_fifo(tmp_path) as (fifo, opens):
        documents = [
            f'<!DOCTYPE ownershipDocument SYSTEM "{fifo.as_uri()}"><ownershipDocument/>',
            f'<!DOCTYPE r [<!ENTITY % e SYSTEM "{fifo.as_uri()}"> %e;]><r/>',
        ]
        for document in documents:
            with pytest.raises(FilingError) as refused:
                etree.fromstring(document.encode(), hardened_parser())
            assert refused.value.reason == errors.FORBIDDEN_XML and fifo.as_uri() in refused.value.message
    assert opens.count == 0


def test_the_parser_ignores_the_declared_encoding(seed_bytes: bytes) -> None:
    """lxml is told the bytes are UTF-8 (they always are by then), so a declaration
    cannot make it decode them any other way."""
    root = etree.fromstring('<?xml version="1.0" encoding="ISO-8859-1"?><r>\u00e9</r>'.encode(), hardened_parser())
    assert root.text == "\u00e9"


# --- 2. Many footnote ids in one field ---------------------------------------------------


def test_two_hundred_thousand_footnote_ids_in_one_field(seed_bytes: bytes) -> None:
    """Kept exactly, in document order (collected in a list and joined once: appending
    to a string made this quadratic; benchmarks/parse.py --pathological times it)."""
    ids = [f"F{i % 2 + 1}" for i in range(200_000)]
    refs = "".join(f'<footnoteId id="{ref}"/>' for ref in ids).encode()
    data = edit_once(seed_bytes, b"<value>50000</value>", b"<value>50000</value>" + refs)
    row = _parsed(data).nonderiv_trans[0]
    assert row["TRANS_SHARES_FN"] == ",".join(ids)
    assert row["TRANS_SHARES"] == 50000 and row["TRANS_PRICEPERSHARE_FN"] == "F2"


def test_repeated_footnote_ids_on_several_fields_and_rows(seed_bytes: bytes) -> None:
    data = edit_once(seed_bytes, b"<value>50000</value>", b'<value>50000</value><footnoteId id="F2"/><footnoteId id="F1"/>')
    data = edit_once(data, b'<footnoteId id="F2"/>\n', b'<footnoteId id="F2"/>\n<footnoteId id="F1"/><footnoteId id="F2"/>\n')
    row = _parsed(data).nonderiv_trans[0]
    assert (row["TRANS_SHARES_FN"], row["TRANS_PRICEPERSHARE_FN"], row["EQUITY_SWAP_TRANS_CD_FN"]) == ("F2,F1", "F2,F1,F2", "F1")


# --- 3. Nested elements inside footnotes and remarks -------------------------------------


def _text_kept(result: ParsedFiling) -> int:
    return sum(len(f["FOOTNOTE_TXT"] or "") for f in result.footnotes) + len(result.submission["REMARKS"] or "")


def test_nested_footnotes_keep_their_text_once(seed_bytes: bytes) -> None:
    """250 footnotes nested in a footnote, 4 KB of text at each level: the text is the
    outer footnote's, once. Each level used to take its whole subtree again (and keep
    it: 250 copies, gigabytes for a 12 MB filing)."""
    chunk = b"x" * 4000
    nested = b"".join(b'<footnote id="N%d">' % i + chunk for i in range(250)) + b"</footnote>" * 250
    data = edit_once(seed_bytes, b'<footnote id="F1">', b'<footnote id="F1">' + nested)
    result = _parsed(data)
    assert [f["FOOTNOTE_ID"] for f in result.footnotes] == ["F1", "F2"]
    assert result.footnotes[0]["FOOTNOTE_TXT"].startswith("x" * 1_000_000)
    assert _text_kept(result) < len(data)  # no character of the filing is kept twice


def test_nested_remarks_keep_the_outer_text(seed_bytes: bytes) -> None:
    nested = b"".join(b"<remarks>level %d " % i for i in range(250)) + b"</remarks>" * 250
    result = _parsed(edit_once(seed_bytes, b"<remarks></remarks>", nested))
    assert result.submission["REMARKS"] == " ".join(f"level {i}" for i in range(250))


def test_markup_in_a_footnote_is_text_and_defines_nothing(seed_bytes: bytes) -> None:
    """Elements inside a text field are passed over by the walk: a value or a row kind
    inside a footnote does not become a field or a row."""
    inner = b'See <b>note</b> <nonDerivativeTransaction><transactionShares><value>1</value></transactionShares></nonDerivativeTransaction>.'
    result = _parsed(edit_once(seed_bytes, b'<footnote id="F1">', b'<footnote id="F1">' + inner))
    assert result.footnotes[0]["FOOTNOTE_TXT"].startswith("See note 1.The sale of shares")
    assert len(result.nonderiv_trans) == 1 and result.nonderiv_trans[0]["TRANS_SHARES"] == 50000


# --- 4. Byte offsets after a byte-order mark and in UTF-16 --------------------------------


def _bad_shares(data: bytes) -> bytes:
    return edit_once(data, b"<value>50000</value>", b"<value>5x000</value>")


ENCODINGS = {
    "utf-8-bom": (lambda b: codecs.BOM_UTF8 + b, lambda s: s.encode()),
    "utf-16-le": (lambda b: codecs.BOM_UTF16_LE + b.decode().encode("utf-16-le"), lambda s: s.encode("utf-16-le")),
    "utf-16-be": (lambda b: codecs.BOM_UTF16_BE + b.decode().encode("utf-16-be"), lambda s: s.encode("utf-16-be")),
}


@pytest.mark.parametrize("name", ENCODINGS)
@pytest.mark.parametrize("bare", [False, True], ids=["submission", "bare-xml"])
def test_offsets_count_bytes_of_the_file_as_stored(seed_bytes: bytes, name: str, bare: bool) -> None:
    encode, encode_text = ENCODINGS[name]
    plain = _xml_only(seed_bytes) if bare else seed_bytes
    bad = encode(_bad_shares(plain))
    assert quarantined_as(bad, errors.BAD_NUMBER).offset == bad.find(encode_text("5x000"))
    malformed = encode(edit_once(plain, b"</issuerName>", b"</issuerNam>"))
    q = quarantined_as(malformed, errors.MALFORMED_XML)
    # libxml2 reports the end of the offending tag; the same line and column as unencoded
    unencoded = quarantined_as(edit_once(plain, b"</issuerName>", b"</issuerNam>"), errors.MALFORMED_XML).offset
    assert q.offset == len(encode(plain[:unencoded]))
    cut = encode(plain[: plain.find(b"<footnotes>")])
    assert quarantined_as(cut, errors.TRUNCATED).offset == len(cut)


def test_offsets_count_bytes_not_characters_on_a_line(seed_bytes: bytes) -> None:
    """libxml2 gives columns in characters; the offset is in bytes (here UTF-8 and
    windows-1252, where an accented name is 2 bytes or 1 per character)."""
    xml = _xml_only(seed_bytes)
    line = b"<issuerName>\xc3\xa9\xc3\xa9\xc3\xa9</issuerNam>"
    for data in (edit_once(xml, b"<issuerName>ANNALY CAPITAL MANAGEMENT INC</issuerName>", line),
                 edit_once(xml, b"<issuerName>ANNALY CAPITAL MANAGEMENT INC</issuerName>", line.replace(b"\xc3\xa9", b"\xe9"))):
        q = quarantined_as(data, errors.MALFORMED_XML)
        assert q.offset == data.find(b"</issuerNam>") + len(b"</issuerNam>"), (q.offset, data.find(b"</issuerNam>"))


# --- 5. A count longer than any number the column holds ------------------------------------


@pytest.mark.parametrize("digits", [4301, 20])
def test_a_huge_document_count_is_out_of_range(seed_bytes: bytes, digits: int) -> None:
    data = edit_once(seed_bytes, b"PUBLIC DOCUMENT COUNT:\t\t1", b"PUBLIC DOCUMENT COUNT:\t\t" + b"9" * digits)
    q = quarantined_as(data, errors.OUT_OF_RANGE)
    assert q.field == "header/PUBLIC DOCUMENT COUNT" and f"{digits}-digit" in q.message
    assert len(q.message) < 300  # the digits are not copied into the message


def test_the_largest_count_a_column_holds_is_kept(seed_bytes: bytes) -> None:
    data = edit_once(seed_bytes, b"PUBLIC DOCUMENT COUNT:\t\t1", b"PUBLIC DOCUMENT COUNT:\t\t9223372036854775807")
    assert _parsed(data).header["PUBLIC_DOCUMENT_COUNT"] == 2**63 - 1
    q = quarantined_as(edit_once(seed_bytes, b"PUBLIC DOCUMENT COUNT:\t\t1", b"PUBLIC DOCUMENT COUNT:\t\tone"), errors.BAD_NUMBER)
    assert q.field == "header/PUBLIC DOCUMENT COUNT"


def test_every_reason_code_is_listed() -> None:
    codes = {v for k, v in vars(errors).items() if k.isupper() and isinstance(v, str)}
    assert errors.OUT_OF_RANGE in codes and codes == set(errors.ALL_REASONS)


# --- 6. A file that holds only its SEC header --------------------------------------------

OTHER = "0001140361-23-028639"
NUL = "0001140361-23-099999"


def _header_only(seed: bytes) -> bytes:
    """The seed's SEC header and nothing after it, as another accession: what EDGAR
    served for 0001140361-23-028639."""
    end = seed.find(b"</SEC-HEADER>") + len(b"</SEC-HEADER>\n")
    return seed[:end].replace(ACCESSION.encode(), OTHER.encode())


def _assert_header_kept(q: Quarantined, accession: str) -> None:
    assert q.accession == accession
    assert q.header["ACCESSION_NUMBER"] == accession
    assert q.header["ACCEPTANCE_DATETIME"] == dt.datetime(2023, 11, 8, 16, 28, 9)
    assert q.header["FILED_AS_OF_DATE"] == FILED and q.header["CONFORMED_SUBMISSION_TYPE"] == "4"
    assert [(p["ROLE"], p["CIK"]) for p in q.parties] == [("REPORTING-OWNER", "0001688537"), ("ISSUER", "0001043219")]
    assert all(p["ACCESSION_NUMBER"] == accession for p in q.parties)


def test_header_only_file_keeps_what_was_readable(seed_bytes: bytes) -> None:
    q = quarantined_as(_header_only(seed_bytes), errors.TRUNCATED)
    assert "announces 1 document" in q.message
    _assert_header_kept(q, OTHER)
    assert q.header_rows() == {"filing_headers": [q.header], "header_parties": q.parties}


def test_header_cut_before_it_closes_keeps_what_was_readable(seed_bytes: bytes) -> None:
    cut = seed_bytes[: seed_bytes.find(b"\tMAIL ADDRESS:", seed_bytes.find(b"ISSUER:"))]
    q = quarantined_as(cut, errors.TRUNCATED)
    assert q.field == "SEC-HEADER" and q.offset == len(cut)
    _assert_header_kept(q, ACCESSION)


def test_an_unreadable_header_value_keeps_the_rest(seed_bytes: bytes) -> None:
    q = quarantined_as(edit_once(seed_bytes, b"FILED AS OF DATE:\t\t20231108", b"FILED AS OF DATE:\t\t2023-11-08"), errors.BAD_DATE)
    assert q.field == "header/FILED AS OF DATE"
    assert q.header["FILED_AS_OF_DATE"] is None and q.header["PERIOD_OF_REPORT"] == dt.date(2023, 11, 6)
    assert q.header["ACCEPTANCE_DATETIME"] == dt.datetime(2023, 11, 8, 16, 28, 9) and len(q.parties) == 2


def test_a_nul_in_the_header_is_quarantined_and_kept_out_of_the_rows(seed_bytes: bytes) -> None:
    """No text column can store a NUL (PostgreSQL refuses it), and a quarantined
    filing's header rows now reach the warehouse too."""
    data = edit_once(seed_bytes, b"Finkelstein David L\n", b"Finkel\x00stein David L\n")
    q = quarantined_as(data, errors.NUL_IN_TEXT)
    assert q.field == "header/COMPANY CONFORMED NAME" and "\\x00" in q.message
    assert q.parties[0]["NAME"] is None and q.parties[1]["NAME"] == "ANNALY CAPITAL MANAGEMENT INC"
    rows = q.header_rows()
    assert not any("\x00" in str(v) for table_rows in rows.values() for row in table_rows for v in row.values())


def test_another_filings_header_is_not_offered_as_rows(seed_bytes: bytes) -> None:
    q = quarantined_as(seed_bytes, errors.ACCESSION_MISMATCH, accession=OTHER)
    assert q.header["ACCESSION_NUMBER"] == ACCESSION  # shown (the CLI prints it) ...
    assert q.header_rows() == {"filing_headers": [], "header_parties": []}  # ... but not filed under OTHER


def test_parse_command_shows_the_header_of_a_quarantined_filing(seed_bytes: bytes, tmp_path: Path) -> None:
    path = tmp_path / f"{OTHER}.txt"
    path.write_bytes(_header_only(seed_bytes))
    out = io.StringIO()
    assert run_parse([str(path)], out) == 0
    shown = json.loads(out.getvalue())
    assert (shown["status"], shown["reason"], shown["accession"]) == ("quarantined", "truncated", OTHER)
    assert shown["header"]["ACCEPTANCE_DATETIME"] == "2023-11-08T16:28:09"
    assert [p["NAME"] for p in shown["header"]["parties"]] == ["Finkelstein David L", "ANNALY CAPITAL MANAGEMENT INC"]


def _raw(path: Path, accession: str) -> dict:
    data = path.read_bytes()
    return {
        "FILING_DATE": FILED, "ACCESSION_NUMBER": accession, "CIK": "1043219", "FORM_TYPE": "4",
        "COMPANY_NAME": "Annaly", "EDGAR_PATH": f"edgar/data/1043219/{accession}.txt", "LOCAL_PATH": str(path),
        "SHA256": hashlib.sha256(data).hexdigest(), "SIZE_BYTES": len(data), "FETCH_ERROR": None,
    }


def test_the_warehouse_keeps_a_quarantined_filings_header(engine: sa.Engine, seed_bytes: bytes, tmp_path: Path) -> None:
    """The day's tables get the header-only filing's filing_headers and header_parties
    rows next to its quarantine row (and a header with a NUL, without that value), the
    write succeeds on both databases, and the checks still hold: raw = parsed +
    quarantined, header CIKs = XML CIKs."""
    (tmp_path / "seed.txt").write_bytes(seed_bytes)
    (tmp_path / "header.txt").write_bytes(_header_only(seed_bytes))
    nul = edit_once(_header_only(seed_bytes), b"Finkelstein David L\n", b"Finkel\x00stein\n").replace(OTHER.encode(), NUL.encode())
    (tmp_path / "nul.txt").write_bytes(nul)
    raws = [_raw(tmp_path / "seed.txt", ACCESSION), _raw(tmp_path / "header.txt", OTHER), _raw(tmp_path / "nul.txt", NUL)]
    tables = parsed_rows(raws, FILED)
    assert [(r["ACCESSION_NUMBER"], r["REASON_CODE"]) for r in tables["quarantine"]] == [
        (OTHER, errors.TRUNCATED), (NUL, errors.NUL_IN_TEXT),
    ]
    assert [r["ACCESSION_NUMBER"] for r in tables["submission"]] == [ACCESSION]
    replace_partitions(engine, [FILED], {"raw_filings": raws, **tables})
    headers = {r["ACCESSION_NUMBER"]: r for r in read_partition(engine, "filing_headers", FILED)}
    assert set(headers) == {ACCESSION, OTHER, NUL}
    assert headers[OTHER]["ACCEPTANCE_DATETIME"] == dt.datetime(2023, 11, 8, 16, 28, 9)
    parties = [(r["ACCESSION_NUMBER"], r["ROLE"], r["NAME"]) for r in read_partition(engine, "header_parties", FILED)]
    names = {"REPORTING-OWNER": "Finkelstein David L", "ISSUER": "ANNALY CAPITAL MANAGEMENT INC"}
    expected = [(a, role, name) for a in (ACCESSION, OTHER) for role, name in names.items()]
    expected += [(NUL, "REPORTING-OWNER", None), (NUL, "ISSUER", names["ISSUER"])]
    assert sorted(parties, key=str) == sorted(expected, key=str)
    assert raw_equals_parsed_plus_quarantined(engine, [FILED])[FILED].passed
    assert header_ciks_match_xml(engine, [FILED])[FILED].passed
