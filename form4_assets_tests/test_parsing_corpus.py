"""Real filings from the corpus (../shared/corpus): every one parses or is quarantined
with the expected reason, row counts match MANIFEST.tsv, the bulk documents agree with an
independent XPath reading, and specific values were checked by reading the XML by hand."""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from lxml import etree

from form4_assets.parsing import ParsedFiling, Quarantined, parse_filing
from form4_assets.parsing import errors

#: The corpus's deliberately broken files and why they cannot be parsed. Every MANIFEST row
#: marked `broken` must be listed here, so a new broken file needs a decision.
EXPECTED_QUARANTINE = {
    # SEC header only: the header announces 1 document, the file holds none
    "0001012325-98-000004.hdr-only.txt": errors.TRUNCATED,
    # 2000 plain-text Form 4 in a PEM wrapper: a document, but no ownership XML
    "0001094891-00-000193.txt": errors.NO_OWNERSHIP_DOCUMENT,
}


def _manifest(corpus_dir: Path) -> list[dict[str, str]]:
    with (corpus_dir / "MANIFEST.tsv").open(newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _parse(corpus_dir: Path, name: str) -> ParsedFiling:
    result = parse_filing((corpus_dir / "filings" / name).read_bytes(), source=name)
    assert isinstance(result, ParsedFiling), result
    return result


def test_every_corpus_filing_parses_or_is_quarantined_with_manifest_counts(corpus_dir: Path) -> None:
    manifest = _manifest(corpus_dir)
    listed = {row["file"] for row in manifest}
    on_disk = {p.name for p in (corpus_dir / "filings").iterdir()}
    assert listed == on_disk
    for row in manifest:
        name = row["file"]
        data = (corpus_dir / "filings" / name).read_bytes()
        result = parse_filing(data, source=name, accession=row["accession"] or None)
        if "broken" in row["features"].split(","):
            assert name in EXPECTED_QUARANTINE, f"{name} is marked broken: decide its expected reason"
        if name in EXPECTED_QUARANTINE:
            assert isinstance(result, Quarantined), name
            assert result.reason == EXPECTED_QUARANTINE[name], (name, result)
            assert result.message and result.source == name
            assert result.accession == row["accession"]
            assert result.header is not None  # the header was read before the failure
            continue
        assert isinstance(result, ParsedFiling), (name, result)
        counts = (
            len(result.reporting_owner),
            len(result.nonderiv_trans),
            len(result.deriv_trans),
            len(result.nonderiv_holding) + len(result.deriv_holding),
        )
        expected = tuple(int(row[k]) for k in ("n_owners", "n_nonderiv_tx", "n_deriv_tx", "n_holdings"))
        assert counts == expected, name
        assert result.container == row["format"], name
        assert result.submission["DOCUMENT_TYPE"] == row["form_type"], name
        assert result.submission["SCHEMA_VERSION"] == row["schema_version"], name
        if row["accession"]:
            assert result.accession == row["accession"]
            assert {r["ACCESSION_NUMBER"] for r in result.nonderiv_trans + result.reporting_owner} <= {row["accession"]}
        if row["format"] != "xml":
            assert result.header is not None and result.header["ACCESSION_NUMBER"] == row["accession"]
        for sk_table, sk in (
            (result.nonderiv_trans, "NONDERIV_TRANS_SK"),
            (result.deriv_trans, "DERIV_TRANS_SK"),
            (result.nonderiv_holding, "NONDERIV_HOLDING_SK"),
            (result.deriv_holding, "DERIV_HOLDING_SK"),
            (result.reporting_owner, "RPTOWNER_SK"),
        ):
            assert [r[sk] for r in sk_table] == list(range(1, len(sk_table) + 1))


# --------------------------------------------------------------- bulk vs. XPath
_VALUE_FIELDS = {
    # column: path below the row element (value-wrapped fields)
    "SECURITY_TITLE": "securityTitle",
    "TRANS_DATE": "transactionDate",
    "TRANS_SHARES": "transactionAmounts/transactionShares",
    "TRANS_PRICEPERSHARE": "transactionAmounts/transactionPricePerShare",
    "TRANS_ACQUIRED_DISP_CD": "transactionAmounts/transactionAcquiredDisposedCode",
    "SHRS_OWND_FOLWNG_TRANS": "postTransactionAmounts/sharesOwnedFollowingTransaction",
    "DIRECT_INDIRECT_OWNERSHIP": "ownershipNature/directOrIndirectOwnership",
    "NATURE_OF_OWNERSHIP": "ownershipNature/natureOfOwnership",
    "CONV_EXERCISE_PRICE": "conversionOrExercisePrice",
    "EXPIRATION_DATE": "expirationDate",
    "UNDLYNG_SEC_SHARES": "underlyingSecurity/underlyingSecurityShares",
}
_KINDS = {
    "nonderiv_trans": "nonDerivativeTable/nonDerivativeTransaction",
    "deriv_trans": "derivativeTable/derivativeTransaction",
    "nonderiv_holding": "nonDerivativeTable/nonDerivativeHolding",
    "deriv_holding": "derivativeTable/derivativeHolding",
}


def _xpath_value(row_el: etree._Element, path: str, column: str):
    texts = row_el.xpath(f"{path}/value/text()")
    text = texts[0].strip() if texts else ""
    if not text:
        return None
    if column in ("TRANS_DATE", "EXPIRATION_DATE"):
        return dt.date.fromisoformat(text[:10])
    if column in ("TRANS_SHARES", "TRANS_PRICEPERSHARE", "SHRS_OWND_FOLWNG_TRANS", "CONV_EXERCISE_PRICE", "UNDLYNG_SEC_SHARES"):
        return Decimal(text)
    return text


def test_bulk_documents_all_parse_and_agree_with_xpath(corpus_dir: Path) -> None:
    """All 220 bulk documents parse; every row's values and footnote ids, and every
    count, agree with a plain XPath reading of the same XML (an independent oracle)."""
    files = sorted((corpus_dir / "bulk").glob("*.xml"))
    assert len(files) == 220
    checked_values = checked_notes = 0
    for path in files:
        data = path.read_bytes()
        result = parse_filing(data, source=path.name, accession=path.stem)
        assert isinstance(result, ParsedFiling), (path.name, result)
        assert result.container == "xml" and result.header is None and result.accession == path.stem
        doc = etree.fromstring(data)
        assert len(result.reporting_owner) == len(doc.findall("reportingOwner"))
        assert [o["RPTOWNERCIK"] for o in result.reporting_owner] == [c.strip() for c in doc.xpath("reportingOwner/reportingOwnerId/rptOwnerCik/text()")]
        assert [f["FOOTNOTE_ID"] for f in result.footnotes] == doc.xpath("footnotes/footnote/@id")
        assert result.submission["ISSUERCIK"] == doc.findtext("issuer/issuerCik").strip()
        for kind, path_expr in _KINDS.items():
            rows = getattr(result, kind)
            elements = doc.xpath(path_expr)
            assert len(rows) == len(elements), (path.name, kind)
            for row, el in zip(rows, elements):
                assert row["ACCESSION_NUMBER"] == path.stem
                for column, field_path in _VALUE_FIELDS.items():
                    if column not in row:
                        continue
                    assert row[column] == _xpath_value(el, field_path, column), (path.name, kind, column)
                    notes = ",".join(el.xpath(f"{field_path}/footnoteId/@id")) or None
                    assert row[f"{column}_FN"] == notes, (path.name, kind, column)
                    checked_values += 1
                    checked_notes += notes is not None
                if "TRANS_CODE" in row:
                    assert row["TRANS_CODE"] == el.findtext("transactionCoding/transactionCode").strip()
                    coding_notes = ",".join(el.xpath("transactionCoding/footnoteId/@id")) or None
                    assert row["EQUITY_SWAP_TRANS_CD_FN"] == coding_notes
    assert checked_values > 10_000 and checked_notes > 1_000  # the comparison really ran


# ------------------------------------------------- values verified by reading the XML
def test_multi_owner_joint_filing(corpus_dir: Path) -> None:
    """0000950170-24-012830: six Mithril/Thiel entities file jointly; all are 10% owners."""
    r = _parse(corpus_dir, "0000950170-24-012830.xml")
    assert [o["RPTOWNERNAME"] for o in r.reporting_owner] == [
        "Mithril LP", "Mithril II UGP LLC", "Mithril II GP LP", "MITHRIL II LP", "Mithril GP LP", "THIEL PETER",
    ]
    assert r.reporting_owner[5]["RPTOWNERCIK"] == "0001211060"
    assert {o["RPTOWNER_RELATIONSHIP"] for o in r.reporting_owner} == {"TenPercentOwner"}  # true/false spelling
    assert r.reporting_owner[0]["RPTOWNER_STREET2"] == "111 CONGRESS AVENUE, SUITE 500"
    assert r.reporting_owner[0]["FILE_NUMBER"] is None  # bare XML: no header to take it from
    assert r.submission["AFF10B5ONE"] is False
    assert r.submission["ISSUERTRADINGSYMBOL"] == "GUTS"


def test_footnoted_absent_values(corpus_dir: Path) -> None:
    """0000950170-24-012830: the conversions carry no price, a footnote stands in for it."""
    r = _parse(corpus_dir, "0000950170-24-012830.xml")
    first = r.nonderiv_trans[0]
    assert first["TRANS_CODE"] == "C" and first["TRANS_SHARES"] == Decimal("5160301")
    assert first["TRANS_PRICEPERSHARE"] is None and first["TRANS_PRICEPERSHARE_FN"] == "F1"
    assert first["DIRECT_INDIRECT_OWNERSHIP"] == "D" and first["DIRECT_INDIRECT_OWNERSHIP_FN"] == "F2"
    purchase = r.nonderiv_trans[2]
    assert (purchase["TRANS_CODE"], purchase["TRANS_SHARES"], purchase["TRANS_PRICEPERSHARE"]) == ("P", Decimal("333333"), Decimal("15.00"))
    assert str(purchase["TRANS_PRICEPERSHARE"]) == "15.00"  # digits as filed
    assert purchase["SHRS_OWND_FOLWNG_TRANS"] == Decimal("1251900")
    assert (purchase["DIRECT_INDIRECT_OWNERSHIP"], purchase["NATURE_OF_OWNERSHIP"], purchase["NATURE_OF_OWNERSHIP_FN"]) == ("I", "See footnote", "F3")


def test_derivative_transaction_row(corpus_dir: Path) -> None:
    """0000950170-24-012830, derivative row 1: Series C-1 Preferred converted (C)."""
    r = _parse(corpus_dir, "0000950170-24-012830.xml")
    d = r.deriv_trans[0]
    assert d["DERIV_TRANS_SK"] == 1
    assert d["SECURITY_TITLE"] == "Series C-1 Preferred Stock"
    assert d["CONV_EXERCISE_PRICE"] is None and d["CONV_EXERCISE_PRICE_FN"] == "F1"
    assert (d["TRANS_CODE"], d["TRANS_SHARES"], d["TRANS_ACQUIRED_DISP_CD"]) == ("C", Decimal("4025764"), "D")
    assert d["TRANS_PRICEPERSHARE"] is None and d["TRANS_PRICEPERSHARE_FN"] == "F1"
    assert d["EXCERCISE_DATE"] is None and d["EXCERCISE_DATE_FN"] == "F1"
    assert d["EXPIRATION_DATE"] is None and d["EXPIRATION_DATE_FN"] == "F1"
    assert (d["UNDLYNG_SEC_TITLE"], d["UNDLYNG_SEC_SHARES"]) == ("Common Stock", Decimal("1875938"))
    assert d["SHRS_OWND_FOLWNG_TRANS"] == Decimal("0")
    assert d["DIRECT_INDIRECT_OWNERSHIP_FN"] == "F2"


def test_holdings_with_nature_of_ownership(corpus_dir: Path) -> None:
    """0000842517-24-000086 (.txt): a DRIP purchase of 275.634 shares and two indirect holdings."""
    r = _parse(corpus_dir, "0000842517-24-000086.txt")
    (t,) = r.nonderiv_trans
    assert (t["SECURITY_TITLE"], t["TRANS_CODE"], t["TRANS_SHARES"], t["TRANS_PRICEPERSHARE"]) == ("common", "P", Decimal("275.634"), Decimal("18.14"))
    assert t["SHRS_OWND_FOLWNG_TRANS"] == Decimal("15711.8844") and t["SHRS_OWND_FOLWNG_TRANS_FN"] == "F1"
    minor, llc = r.nonderiv_holding
    assert minor["NONDERIV_HOLDING_SK"] == 1 and llc["NONDERIV_HOLDING_SK"] == 2
    assert (minor["SHRS_OWND_FOLWNG_TRANS"], minor["DIRECT_INDIRECT_OWNERSHIP"], minor["NATURE_OF_OWNERSHIP"]) == (
        Decimal("2170.3157"), "I", "Held by minor child",
    )
    assert (llc["SHRS_OWND_FOLWNG_TRANS"], llc["NATURE_OF_OWNERSHIP"], llc["SHRS_OWND_FOLWNG_TRANS_FN"]) == (
        Decimal("383262.5326"), "Held by LLC", "F1",
    )
    assert r.reporting_owner[0]["RPTOWNER_RELATIONSHIP"] == "Director"
    assert r.reporting_owner[0]["FILE_NUMBER"] is not None  # from the header
    assert r.submission["FILING_DATE"] == r.header["FILED_AS_OF_DATE"]


def test_old_schema_x0203_form3_derivative_holding(corpus_dir: Path) -> None:
    """0001181431-10-034759: Musk's 2010 Form 3 in schema X0203, holdings only."""
    r = _parse(corpus_dir, "0001181431-10-034759.xml")
    s = r.submission
    assert (s["SCHEMA_VERSION"], s["DOCUMENT_TYPE"], s["PERIOD_OF_REPORT"], s["NO_SECURITIES_OWNED"]) == ("X0203", "3", dt.date(2010, 6, 28), False)
    (o,) = r.reporting_owner
    assert o["RPTOWNER_RELATIONSHIP"] == "Director,Officer,TenPercentOwner"
    assert o["RPTOWNER_TITLE"] == "Pres, Prod Architect & Chairmn"  # &amp; decoded
    (h,) = r.nonderiv_holding
    assert (h["SHRS_OWND_FOLWNG_TRANS"], h["DIRECT_INDIRECT_OWNERSHIP"], h["NATURE_OF_OWNERSHIP"]) == (Decimal("2666666"), "I", "By Trust")
    d = r.deriv_holding[0]
    assert d["DERIV_HOLDING_SK"] == 1 and d["SECURITY_TITLE"] == "Series A Preferred Stock"
    assert d["CONV_EXERCISE_PRICE"] is None and d["CONV_EXERCISE_PRICE_FN"] == "F1"
    assert d["EXERCISE_DATE"] is None and d["EXERCISE_DATE_FN"] == "F1"  # the holding table's spelling
    assert (d["UNDLYNG_SEC_TITLE"], d["UNDLYNG_SEC_SHARES"]) == ("Common Stock", Decimal("4880343"))
    assert r.deriv_holding[1]["UNDLYNG_SEC_SHARES"] == Decimal("12162167")
    assert r.nonderiv_trans == [] and r.deriv_trans == []


def test_nc_dissemination_header_and_rows(corpus_dir: Path) -> None:
    """0001562180-25-000280.nc: one-line SGML header, no end tags for leaf values."""
    r = _parse(corpus_dir, "0001562180-25-000280.nc")
    assert r.container == "nc" and r.accession == "0001562180-25-000280"
    h = r.header
    assert (h["CONFORMED_SUBMISSION_TYPE"], h["PUBLIC_DOCUMENT_COUNT"]) == ("4", 1)
    assert (h["PERIOD_OF_REPORT"], h["FILED_AS_OF_DATE"], h["DATE_AS_OF_CHANGE"]) == (dt.date(2025, 1, 6), dt.date(2025, 1, 8), dt.date(2025, 1, 8))
    assert h["ACCEPTANCE_DATETIME"] is None  # the .nc carries none
    assert (h["ISSUER_CIK"], h["ISSUER_NAME"]) == ("0001860782", "2seventy bio, Inc.")
    assert json.loads(h["DOCUMENTS"]) == [{"type": "4", "sequence": 1, "filename": "primarydocument.xml", "description": "PRIMARY DOCUMENT"}]
    owner, issuer = r.parties
    assert (owner["ROLE"], owner["CIK"], owner["NAME"], owner["SEC_ACT"], owner["FILE_NUMBER"], owner["FILM_NUMBER"]) == (
        "REPORTING-OWNER", "0002009134", "Snow Jessica", "34", "001-40791", "25519649",
    )
    assert (owner["MAIL_STREET1"], owner["MAIL_ZIP"]) == ("C/O 2SEVENTY BIO, INC.", "02210")
    assert (issuer["ROLE"], issuer["SIC"], issuer["IRS_NUMBER"], issuer["STATE_OF_INCORPORATION"], issuer["FISCAL_YEAR_END"]) == (
        "ISSUER", "2834", "863658454", "DE", "1231",
    )
    assert (issuer["BUSINESS_PHONE"], issuer["BUSINESS_STREET1"]) == ("339-499-9300", "60 BINNEY STREET")
    assert r.reporting_owner[0]["FILE_NUMBER"] == "001-40791"
    assert r.reporting_owner[0]["RPTOWNER_RELATIONSHIP"] == "Officer"  # isOfficer true
    assert r.submission["FILING_DATE"] == dt.date(2025, 1, 8)
    assert r.submission["REMARKS"] == "Title: Senior Vice President of Quality and Enabling Functions"
    t = r.nonderiv_trans[0]
    assert t["SECURITY_TITLE_FN"] == "F1" and t["TRANS_SHARES"] == Decimal("106150.00")
    assert t["DEEMED_EXECUTION_DATE"] is None and t["TRANS_TIMELINESS"] is None  # empty elements
    d = r.deriv_trans[0]
    assert (d["SECURITY_TITLE"], d["CONV_EXERCISE_PRICE"], d["TRANS_PRICEPERSHARE"]) == ("Stock Option (Right to buy)", Decimal("2.64"), Decimal("0.00"))
    assert str(d["TRANS_SHARES"]) == "70750.00"
    assert d["EXCERCISE_DATE"] is None and d["EXCERCISE_DATE_FN"] == "F2"
    assert d["EXPIRATION_DATE"] == dt.date(2035, 1, 6)


def test_deemed_execution_and_timeliness(corpus_dir: Path) -> None:
    """0001181431-10-035864 has deemedExecutionDate values; 0001062993-21-007940 is early (E)."""
    r = _parse(corpus_dir, "0001181431-10-035864.xml")
    assert r.submission["SCHEMA_VERSION"] == "X0303"
    assert r.nonderiv_trans[0]["DEEMED_EXECUTION_DATE"] == dt.date(2010, 7, 2)
    e = _parse(corpus_dir, "0001062993-21-007940.xml")
    assert {t["TRANS_TIMELINESS"] for t in e.nonderiv_trans} == {"E"}
    assert "J" in {t["TRANS_CODE"] for t in e.nonderiv_trans}


def test_form5_gift_coding_footnote(corpus_dir: Path) -> None:
    """edgartools-form5.snow.xml: a Form 5 gift (G) reported on form type 5, with the
    footnote inside transactionCoding."""
    r = _parse(corpus_dir, "edgartools-form5.snow.xml")
    assert r.submission["DOCUMENT_TYPE"] == "5"
    (t,) = r.nonderiv_trans
    assert (t["TRANS_FORM_TYPE"], t["TRANS_CODE"], t["TRANS_DATE"]) == ("5", "G", dt.date(2021, 12, 23))
    assert t["EQUITY_SWAP_INVOLVED"] is False and t["EQUITY_SWAP_TRANS_CD_FN"] == "F1"
    assert len(r.nonderiv_holding) == 2
