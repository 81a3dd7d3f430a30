"""The <ownershipDocument> XML of Forms 3/4/5 (schema X0202 ... X0609) as table rows.

Speed matters (a year is ~200,000 filings, re-parsed on every backfill), so the tree is
walked once, child by child, with a dispatch table keyed by tag: no XPath, no
`getparent`, no per-value lookups of column names (every column and its `_FN` twin is
precomputed in the field specs below), and each row starts as a copy of a template
dict already holding every column as None.

Value elements look like `<transactionShares><value>50000</value><footnoteId
id="F1"/></transactionShares>`; the footnote ids go to the column's `_FN` twin even
when `<value>` is absent (a footnote standing in for the value). The footnote ids of
`<transactionCoding>` go to EQUITY_SWAP_TRANS_CD_FN (the SEC data set's name for them);
in holdings, where the coding holds only the form type, to TRANS_FORM_TYPE_FN.

Elements the schema does not define are skipped: they have no column to go to, and
EDGAR validates filings against the schema before accepting them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from lxml import etree

from form4_assets import tables
from form4_assets.parsing import errors
from form4_assets.parsing.container import XmlPart
from form4_assets.parsing.errors import FilingError
from form4_assets.parsing.values import to_date, to_decimal, to_flag

Row = dict[str, Any]
Converter = Callable[[str], Any]

#: Schema versions whose element set this parser implements (X0202 ... X0609).
SCHEMA_VERSION = re.compile(r"X0[2-6]\d\d")
MIN_SCHEMA, MAX_SCHEMA = "X0202", "X0609"

_REASON_BY_CONVERTER: dict[Converter, str] = {
    to_decimal: errors.BAD_NUMBER,
    to_date: errors.BAD_DATE,
    to_flag: errors.BAD_FLAG,
}
# libxml2 error codes that mean "these bytes are not in the encoding they claim".
_ENCODING_ERRORS = frozenset({32, 81})  # XML_ERR_UNSUPPORTED_ENCODING, XML_ERR_INVALID_ENCODING
_DECL_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?\bencoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_DECL_ENCODING_ATTR = re.compile(rb"^(\s*<\?xml[^>]*?)\s+encoding\s*=\s*[\"'][^\"']*[\"']")
_UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})

_local = threading.local()


def hardened_parser() -> etree.XMLParser:
    """One lxml parser per thread (lxml parsers must not be shared across threads):
    no entity resolution, no DTD loading, no network, no huge-tree mode. Comments and
    processing instructions are dropped so every child's tag is an element name."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            dtd_validation=False,
            remove_comments=True,
            remove_pis=True,
        )
    return parser


# --------------------------------------------------------------------------- field specs
VALUE, GROUP, CODING = 0, 1, 2
# VALUE: (VALUE, column, fn_column, converter|None)    <x><value>..</value><footnoteId/></x>
# GROUP: (GROUP, {tag: spec})                           a wrapper such as transactionAmounts
# CODING: (CODING, {tag: (column, converter|None)}, fn_column)   transactionCoding


def _v(column: str, converter: Converter | None = None) -> tuple:
    return (VALUE, column, f"{column}_FN", converter)


_AMOUNTS = {
    "transactionShares": _v("TRANS_SHARES", to_decimal),
    "transactionTotalValue": _v("TRANS_TOTAL_VALUE", to_decimal),
    "transactionPricePerShare": _v("TRANS_PRICEPERSHARE", to_decimal),
    "transactionAcquiredDisposedCode": _v("TRANS_ACQUIRED_DISP_CD"),
}
_POST = {
    "sharesOwnedFollowingTransaction": _v("SHRS_OWND_FOLWNG_TRANS", to_decimal),
    "valueOwnedFollowingTransaction": _v("VALU_OWND_FOLWNG_TRANS", to_decimal),
}
_NATURE = {
    "directOrIndirectOwnership": _v("DIRECT_INDIRECT_OWNERSHIP"),
    "natureOfOwnership": _v("NATURE_OF_OWNERSHIP"),
}
_UNDERLYING = {
    "underlyingSecurityTitle": _v("UNDLYNG_SEC_TITLE"),
    "underlyingSecurityShares": _v("UNDLYNG_SEC_SHARES", to_decimal),
    "underlyingSecurityValue": _v("UNDLYNG_SEC_VALUE", to_decimal),
}
_TRANS_CODING = (
    CODING,
    {
        "transactionFormType": ("TRANS_FORM_TYPE", None),
        "transactionCode": ("TRANS_CODE", None),
        "equitySwapInvolved": ("EQUITY_SWAP_INVOLVED", to_flag),
    },
    "EQUITY_SWAP_TRANS_CD_FN",
)
_HOLDING_CODING = (CODING, {"transactionFormType": ("TRANS_FORM_TYPE", None)}, "TRANS_FORM_TYPE_FN")


def _row_fields(table: tables.Table, exercise_column: str, coding: tuple) -> dict[str, tuple]:
    """The field specs of one row kind, restricted to the columns its table has (so an
    element the schema does not allow in this row kind cannot invent a column)."""
    columns = set(table.column_names)
    spec: dict[str, tuple] = {
        "securityTitle": _v("SECURITY_TITLE"),
        "conversionOrExercisePrice": _v("CONV_EXERCISE_PRICE", to_decimal),
        "transactionDate": _v("TRANS_DATE", to_date),
        "deemedExecutionDate": _v("DEEMED_EXECUTION_DATE", to_date),
        "transactionCoding": coding,
        "transactionTimeliness": _v("TRANS_TIMELINESS"),
        "transactionAmounts": (GROUP, _AMOUNTS),
        "exerciseDate": _v(exercise_column, to_date),
        "expirationDate": _v("EXPIRATION_DATE", to_date),
        "underlyingSecurity": (GROUP, _UNDERLYING),
        "postTransactionAmounts": (GROUP, _POST),
        "ownershipNature": (GROUP, _NATURE),
    }

    def keep(s: tuple) -> tuple | None:
        if s[0] == VALUE:
            return s if s[1] in columns else None
        if s[0] == GROUP:
            inner = {t: k for t, k in ((t, keep(x)) for t, x in s[1].items()) if k is not None}
            return (GROUP, inner) if inner else None
        inner = {t: c for t, c in s[1].items() if c[0] in columns}
        return (CODING, inner, s[2]) if inner and s[2] in columns else None

    return {t: k for t, k in ((t, keep(s)) for t, s in spec.items()) if k is not None}


def _template(table: tables.Table, keep_filing_date: bool = False) -> Row:
    return dict.fromkeys(c for c in table.column_names if keep_filing_date or c != "FILING_DATE")


_ROW_KINDS = {
    # tag: (list index in the result, SK column, template, field specs)
    "nonDerivativeTransaction": (
        0, "NONDERIV_TRANS_SK", _template(tables.NONDERIV_TRANS),
        _row_fields(tables.NONDERIV_TRANS, "EXCERCISE_DATE", _TRANS_CODING),
    ),
    "derivativeTransaction": (
        1, "DERIV_TRANS_SK", _template(tables.DERIV_TRANS),
        _row_fields(tables.DERIV_TRANS, "EXCERCISE_DATE", _TRANS_CODING),
    ),
    "nonDerivativeHolding": (
        2, "NONDERIV_HOLDING_SK", _template(tables.NONDERIV_HOLDING),
        _row_fields(tables.NONDERIV_HOLDING, "EXERCISE_DATE", _HOLDING_CODING),
    ),
    "derivativeHolding": (
        3, "DERIV_HOLDING_SK", _template(tables.DERIV_HOLDING),
        _row_fields(tables.DERIV_HOLDING, "EXERCISE_DATE", _HOLDING_CODING),
    ),
}
_TABLE_NAMES = ("nonderiv_trans", "deriv_trans", "nonderiv_holding", "deriv_holding")

_SUBMISSION_TEMPLATE = _template(tables.SUBMISSION, keep_filing_date=True)
_OWNER_TEMPLATE = _template(tables.REPORTING_OWNER)
_FOOTNOTE_TEMPLATE = _template(tables.FOOTNOTES)
_SIGNATURE_TEMPLATE = _template(tables.OWNER_SIGNATURE)

# Plain-text children of <ownershipDocument> -> SUBMISSION column and converter.
_SUBMISSION_LEAVES: dict[str, tuple[str, Converter | None]] = {
    "schemaVersion": ("SCHEMA_VERSION", None),
    "documentType": ("DOCUMENT_TYPE", None),
    "periodOfReport": ("PERIOD_OF_REPORT", to_date),
    "dateOfOriginalSubmission": ("DATE_OF_ORIG_SUB", to_date),
    "noSecuritiesOwned": ("NO_SECURITIES_OWNED", to_flag),
    "notSubjectToSection16": ("NOT_SUBJECT_SEC16", to_flag),
    "form3HoldingsReported": ("FORM3_HOLDINGS_REPORTED", to_flag),
    "form4TransactionsReported": ("FORM4_TRANS_REPORTED", to_flag),
    "aff10b5One": ("AFF10B5ONE", to_flag),
    "remarks": ("REMARKS", None),
}
_ISSUER_LEAVES = {"issuerCik": "ISSUERCIK", "issuerName": "ISSUERNAME", "issuerTradingSymbol": "ISSUERTRADINGSYMBOL"}
_OWNER_LEAVES = {
    "rptOwnerCik": "RPTOWNERCIK",
    "rptOwnerName": "RPTOWNERNAME",
    "rptOwnerStreet1": "RPTOWNER_STREET1",
    "rptOwnerStreet2": "RPTOWNER_STREET2",
    "rptOwnerCity": "RPTOWNER_CITY",
    "rptOwnerState": "RPTOWNER_STATE",
    "rptOwnerZipCode": "RPTOWNER_ZIPCODE",
    "rptOwnerStateDescription": "RPTOWNER_STATE_DESC",
    "officerTitle": "RPTOWNER_TITLE",
    "otherText": "RPTOWNER_TXT",
}
# Relationship flags in the order the SEC data set spells RPTOWNER_RELATIONSHIP.
_RELATIONSHIPS = (("isDirector", "Director"), ("isOfficer", "Officer"), ("isTenPercentOwner", "TenPercentOwner"), ("isOther", "Other"))
_RELATIONSHIP_TAGS = {tag: i for i, (tag, _) in enumerate(_RELATIONSHIPS)}


class _BadValue(Exception):
    """A value that does not convert; carries what the quarantine message needs."""

    def __init__(self, reason: str, column: str, element: etree._Element, problem: str):
        super().__init__(problem)
        self.reason, self.column, self.element, self.problem = reason, column, element, problem


def _text(el: etree._Element) -> str | None:
    """Stripped text of a leaf (all its text when it unexpectedly has children), None if blank."""
    text = el.text if len(el) == 0 else "".join(el.itertext())
    if text is None:
        return None
    text = text.strip()
    return text or None


def _convert(converter: Converter, text: str, column: str, el: etree._Element) -> Any:
    try:
        return converter(text)
    except ValueError as exc:
        raise _BadValue(_REASON_BY_CONVERTER[converter], column, el, str(exc)) from None


def _fill(row: Row, el: etree._Element, fields: dict[str, tuple]) -> None:
    """Fill `row` from the children of `el` by the field specs (the hot loop)."""
    for child in el:
        spec = fields.get(child.tag)
        if spec is None:
            continue
        kind = spec[0]
        if kind == VALUE:
            text = None
            notes = None
            for sub in child:
                tag = sub.tag
                if tag == "value":
                    text = sub.text
                elif tag == "footnoteId":
                    ref = sub.get("id")
                    if ref:
                        notes = ref if notes is None else f"{notes},{ref}"
            if text is not None:
                text = text.strip()
                if text:
                    converter = spec[3]
                    row[spec[1]] = text if converter is None else _convert(converter, text, spec[1], child)
            if notes is not None:
                row[spec[2]] = notes
        elif kind == GROUP:
            _fill(row, child, spec[1])
        else:
            leaves = spec[1]
            notes = None
            for sub in child:
                tag = sub.tag
                if tag == "footnoteId":
                    ref = sub.get("id")
                    if ref:
                        notes = ref if notes is None else f"{notes},{ref}"
                    continue
                leaf = leaves.get(tag)
                if leaf is not None:
                    text = sub.text
                    if text is not None:
                        text = text.strip()
                        if text:
                            row[leaf[0]] = text if leaf[1] is None else _convert(leaf[1], text, leaf[0], sub)
            if notes is not None:
                row[spec[2]] = notes


def _prepare(part: XmlPart) -> bytes:
    """Check the XML bytes before lxml sees them and settle their encoding.

    DOCTYPE/ENTITY declarations are refused outright (no legitimate ownership document
    has one). Encoding: ASCII needs no decision (the common case); bytes declared in
    another encoding are left to lxml; bytes that claim (or default to) UTF-8 but are
    not are re-read as windows-1252, the encoding of mislabelled SEC text, and only
    bytes that are neither are refused.
    """
    data = part.data
    for marker in (b"<!DOCTYPE", b"<!ENTITY"):
        at = data.find(marker)
        if at >= 0:
            raise FilingError(
                errors.FORBIDDEN_XML,
                f"{marker.decode()[1:]} declaration in the ownership XML (refused: DTDs and entities are never needed)",
                field=marker.decode()[2:],
                offset=part.offset + at,
            )
    declared = _DECL_ENCODING.match(data)
    name = declared.group(1).decode().lower() if declared else None
    if name is not None and name.startswith(("utf-16", "utf-32", "ucs")):
        # The bytes are ASCII-compatible (the markers were found by byte search), so the
        # declaration is wrong; a real UTF-16 file has a BOM and was transcoded already.
        data, name = _DECL_ENCODING_ATTR.sub(rb"\1", data, count=1), None
    if data.isascii() or (name is not None and name not in _UTF8_NAMES):
        return data
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise FilingError(
            errors.BAD_ENCODING,
            f"bytes are neither UTF-8 (first bad byte at {part.offset + first_bad}) nor windows-1252 "
            f"(byte 0x{data[exc.start]:02x} at {part.offset + exc.start})",
            offset=part.offset + first_bad,
        ) from None
    return _DECL_ENCODING_ATTR.sub(rb"\1", text.encode("utf-8"), count=1)


def parse_xml(part: XmlPart) -> etree._Element:
    """The ownershipDocument element, parsed with the hardened parser."""
    data = _prepare(part)
    try:
        root = etree.fromstring(data, hardened_parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (None, None)
        offset = _line_offset(part, line, column)
        reason = errors.BAD_ENCODING if exc.code in _ENCODING_ERRORS else errors.MALFORMED_XML
        raise FilingError(reason, f"ownership XML: {exc.msg}", field="ownershipDocument", offset=offset) from None
    if root.tag != "ownershipDocument":
        raise FilingError(
            errors.NO_OWNERSHIP_DOCUMENT,
            f"root element is <{root.tag}>, not <ownershipDocument>",
            field=str(root.tag),
            offset=part.offset,
        )
    return root


def _line_offset(part: XmlPart, line: int | None, column: int | None, needle: bytes | None = None) -> int | None:
    """Byte offset in the submission of a (1-based) line and column of the XML part;
    with `needle`, of its first occurrence on or after that line (values are found
    this way in one-line `.nc` documents, where the line says little)."""
    if line is None:
        return None
    data, pos = part.data, 0
    for _ in range(line - 1):
        pos = data.find(b"\n", pos) + 1
        if pos == 0:
            return None
    if needle:
        found = data.find(needle, pos)
        if found >= 0:
            return part.offset + found
    return part.offset + pos + max((column or 1) - 1, 0)


def extract(root: etree._Element, part: XmlPart, accession: str | None) -> dict[str, Any]:
    """Rows of every table from a parsed ownershipDocument; raises FilingError."""
    version_el = root.find("schemaVersion")
    version = _text(version_el) if version_el is not None else None
    if version is not None and not (SCHEMA_VERSION.fullmatch(version) and MIN_SCHEMA <= version <= MAX_SCHEMA):
        raise FilingError(
            errors.UNKNOWN_SCHEMA_VERSION,
            f"schemaVersion {version!r} is not one this parser knows ({MIN_SCHEMA} ... {MAX_SCHEMA})",
            field="schemaVersion",
            offset=_line_offset(part, version_el.sourceline, None, b"<schemaVersion"),
        )

    submission = _SUBMISSION_TEMPLATE.copy()
    submission["ACCESSION_NUMBER"] = accession
    owners: list[Row] = []
    rows: tuple[list[Row], ...] = ([], [], [], [])
    footnotes: list[Row] = []
    signatures: list[Row] = []
    where = "ownershipDocument"
    try:
        for child in root:
            tag = child.tag
            row_kinds = None
            if tag == "nonDerivativeTable" or tag == "derivativeTable":
                row_kinds = child
            elif tag == "reportingOwner":
                where = f"reportingOwner[{len(owners) + 1}]"
                owners.append(_owner(child, accession, len(owners) + 1))
            elif tag == "issuer":
                for leaf in child:
                    column = _ISSUER_LEAVES.get(leaf.tag)
                    if column is not None:
                        submission[column] = _text(leaf)
            elif tag == "footnotes":
                _footnotes(child, accession, footnotes, part)
            elif tag == "ownerSignature":
                signature = _SIGNATURE_TEMPLATE.copy()
                signature["ACCESSION_NUMBER"] = accession
                signature["SIGNATURE_SK"] = len(signatures) + 1
                where = f"ownerSignature[{len(signatures) + 1}]"
                for leaf in child:
                    text = _text(leaf)
                    if text is None:
                        continue
                    if leaf.tag == "signatureName":
                        signature["OWNERSIGNATURENAME"] = text
                    elif leaf.tag == "signatureDate":
                        signature["OWNERSIGNATUREDATE"] = _convert(to_date, text, "OWNERSIGNATUREDATE", leaf)
                signatures.append(signature)
            else:
                leaf_spec = _SUBMISSION_LEAVES.get(tag)
                if leaf_spec is not None:
                    text = _text(child)
                    if text is not None:
                        column, converter = leaf_spec
                        where = "ownershipDocument"
                        submission[column] = text if converter is None else _convert(converter, text, column, child)
            if row_kinds is None:
                continue
            for row_el in row_kinds:
                kind = _ROW_KINDS.get(row_el.tag)
                if kind is None:
                    continue
                index, sk_column, template, fields = kind
                target = rows[index]
                row = template.copy()
                row["ACCESSION_NUMBER"] = accession
                row[sk_column] = len(target) + 1
                where = f"{row_el.tag}[{len(target) + 1}]"
                _fill(row, row_el, fields)
                target.append(row)
    except _BadValue as bad:
        needle = bad.element.text.strip().encode("utf-8", "replace") if bad.element.text and bad.element.text.strip() else None
        if needle is None:
            value_el = bad.element.find("value")
            if value_el is not None and value_el.text:
                needle = value_el.text.strip().encode("utf-8", "replace")
        raise FilingError(
            bad.reason,
            f"{where} {bad.column} <{bad.element.tag}>: {bad.problem}",
            field=f"{where}.{bad.column}",
            offset=_line_offset(part, bad.element.sourceline, None, needle),
        ) from None

    if not submission["ISSUERCIK"]:
        raise FilingError(errors.MISSING_FIELD, "the ownership XML has no issuer/issuerCik", field="issuer/issuerCik")
    if not submission["DOCUMENT_TYPE"]:
        raise FilingError(errors.MISSING_FIELD, "the ownership XML has no documentType", field="documentType")
    if not owners:
        raise FilingError(errors.MISSING_FIELD, "the ownership XML has no reportingOwner", field="reportingOwner")
    for owner in owners:
        if not owner["RPTOWNERCIK"]:
            raise FilingError(
                errors.MISSING_FIELD,
                f"reportingOwner[{owner['RPTOWNER_SK']}] has no rptOwnerCik",
                field=f"reportingOwner[{owner['RPTOWNER_SK']}]/reportingOwnerId/rptOwnerCik",
            )
    result: dict[str, Any] = {
        "submission": submission,
        "reporting_owners": owners,
        "footnotes": footnotes,
        "signatures": signatures,
    }
    for name, table_rows in zip(_TABLE_NAMES, rows):
        result[name] = table_rows
    return result


def _owner(el: etree._Element, accession: str | None, sk: int) -> Row:
    row = _OWNER_TEMPLATE.copy()
    row["ACCESSION_NUMBER"] = accession
    row["RPTOWNER_SK"] = sk
    roles = [False, False, False, False]
    for part in el:  # reportingOwnerId, reportingOwnerAddress, reportingOwnerRelationship
        for leaf in part:
            tag = leaf.tag
            column = _OWNER_LEAVES.get(tag)
            if column is not None:
                row[column] = _text(leaf)
                continue
            flag = _RELATIONSHIP_TAGS.get(tag)
            if flag is not None:
                text = _text(leaf)
                if text is not None:
                    roles[flag] = _convert(to_flag, text, "RPTOWNER_RELATIONSHIP", leaf)
    if any(roles):
        row["RPTOWNER_RELATIONSHIP"] = ",".join(name for (_, name), on in zip(_RELATIONSHIPS, roles) if on)
    return row


def _footnotes(el: etree._Element, accession: str | None, out: list[Row], part: XmlPart) -> None:
    seen: set[str] = set()
    for note in el:
        if note.tag != "footnote":
            continue
        ident = (note.get("id") or "").strip()
        if not ident:
            raise FilingError(
                errors.MISSING_FIELD,
                "a <footnote> has no id",
                field="footnotes/footnote@id",
                offset=_line_offset(part, note.sourceline, None),
            )
        if ident in seen:
            raise FilingError(
                errors.DUPLICATE_FOOTNOTE,
                f"footnote id {ident!r} is used twice",
                field=f"footnotes/footnote[@id={ident}]",
                offset=_line_offset(part, note.sourceline, None, f'"{ident}"'.encode()),
            )
        seen.add(ident)
        row = _FOOTNOTE_TEMPLATE.copy()
        row["ACCESSION_NUMBER"] = accession
        row["FOOTNOTE_ID"] = ident
        row["FOOTNOTE_TXT"] = _text(note)
        out.append(row)
