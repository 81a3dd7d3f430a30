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
_DECLARATION = re.compile(rb"<!(DOCTYPE|ENTITY)")
_UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})

_local = threading.local()


def hardened_parser() -> etree.XMLParser:
    """One lxml parser per thread (lxml parsers must not be shared across threads):
    no entity resolution, no DTD loading, no network, no huge-tree mode. Comments and
    processing instructions are dropped so every child's tag is an element name, and
    whitespace-only text between elements is not kept (it carries nothing, and not
    building those nodes makes the parse itself faster)."""
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
            remove_blank_text=True,
        )
    return parser


# --------------------------------------------------------------------------- dispatch table
# Every tag the walk acts on maps to an action tuple whose first item is its kind:
HOLDER, CODING, LEAF, ROW, SUB, OWNER, OWNER_LEAF, ROLE, FOOTNOTE, SIGNATURE, SIGNATURE_LEAF = range(11)
# HOLDER:  (HOLDER, column, fn_column, converter|None)  <x><value>..</value><footnoteId id=../></x>
# CODING:  (CODING, None, fn_column, None)              <transactionCoding>: its footnote ids
# LEAF:    (LEAF, column, converter|None)               plain-text child of transactionCoding
# ROW:     (ROW, list index, SK column, template, actions inside that row kind)
# SUB:     (SUB, column, converter|None)                plain-text field of SUBMISSION
# OWNER / OWNER_LEAF (column) / ROLE (flag index)       reportingOwner and its fields
# FOOTNOTE, SIGNATURE / SIGNATURE_LEAF (column, converter|None)
# "value" and "footnoteId" are matched before the table is consulted.


def _h(column: str, converter: Converter | None = None) -> tuple:
    return (HOLDER, column, f"{column}_FN", converter)


def _row_actions(table: tables.Table, transaction: bool) -> dict[str, tuple]:
    """Actions inside one row kind, restricted to the columns its table has (so an
    element the schema does not allow in this row kind cannot invent a column).
    Group wrappers (transactionAmounts, ownershipNature, ...) need no action: the walk
    is flat and their children are met anyway."""
    columns = set(table.column_names)
    candidates: dict[str, tuple] = {
        "securityTitle": _h("SECURITY_TITLE"),
        "conversionOrExercisePrice": _h("CONV_EXERCISE_PRICE", to_decimal),
        "transactionDate": _h("TRANS_DATE", to_date),
        "deemedExecutionDate": _h("DEEMED_EXECUTION_DATE", to_date),
        "transactionTimeliness": _h("TRANS_TIMELINESS"),
        "transactionShares": _h("TRANS_SHARES", to_decimal),
        "transactionTotalValue": _h("TRANS_TOTAL_VALUE", to_decimal),
        "transactionPricePerShare": _h("TRANS_PRICEPERSHARE", to_decimal),
        "transactionAcquiredDisposedCode": _h("TRANS_ACQUIRED_DISP_CD"),
        # the SEC data set spells the transaction column EXCERCISE_DATE, the holding one EXERCISE_DATE
        "exerciseDate": _h("EXCERCISE_DATE" if transaction else "EXERCISE_DATE", to_date),
        "expirationDate": _h("EXPIRATION_DATE", to_date),
        "underlyingSecurityTitle": _h("UNDLYNG_SEC_TITLE"),
        "underlyingSecurityShares": _h("UNDLYNG_SEC_SHARES", to_decimal),
        "underlyingSecurityValue": _h("UNDLYNG_SEC_VALUE", to_decimal),
        "sharesOwnedFollowingTransaction": _h("SHRS_OWND_FOLWNG_TRANS", to_decimal),
        "valueOwnedFollowingTransaction": _h("VALU_OWND_FOLWNG_TRANS", to_decimal),
        "directOrIndirectOwnership": _h("DIRECT_INDIRECT_OWNERSHIP"),
        "natureOfOwnership": _h("NATURE_OF_OWNERSHIP"),
        # transactionCoding: its footnote ids are EQUITY_SWAP_TRANS_CD_FN in transactions
        # and TRANS_FORM_TYPE_FN in holdings (where the coding holds only the form type)
        "transactionCoding": (CODING, None, "EQUITY_SWAP_TRANS_CD_FN" if transaction else "TRANS_FORM_TYPE_FN", None),
        "transactionFormType": (LEAF, "TRANS_FORM_TYPE", None),
        "transactionCode": (LEAF, "TRANS_CODE", None),
        "equitySwapInvolved": (LEAF, "EQUITY_SWAP_INVOLVED", to_flag),
    }
    return {tag: a for tag, a in candidates.items() if (a[2] if a[0] == CODING else a[1]) in columns}


def _template(table: tables.Table, keep_filing_date: bool = False) -> Row:
    return dict.fromkeys(c for c in table.column_names if keep_filing_date or c != "FILING_DATE")


_TABLE_NAMES = ("nonderiv_trans", "deriv_trans", "nonderiv_holding", "deriv_holding")
_ROW_TAGS = ("nonDerivativeTransaction", "derivativeTransaction", "nonDerivativeHolding", "derivativeHolding")
_SUBMISSION_TEMPLATE = _template(tables.SUBMISSION, keep_filing_date=True)
_OWNER_TEMPLATE = _template(tables.REPORTING_OWNER)
_FOOTNOTE_TEMPLATE = _template(tables.FOOTNOTES)
_SIGNATURE_TEMPLATE = _template(tables.OWNER_SIGNATURE)

# Relationship flags in the order the SEC data set spells RPTOWNER_RELATIONSHIP.
_RELATIONSHIPS = (("isDirector", "Director"), ("isOfficer", "Officer"), ("isTenPercentOwner", "TenPercentOwner"), ("isOther", "Other"))

_TOP_ACTIONS: dict[str, tuple] = {
    "schemaVersion": (SUB, "SCHEMA_VERSION", None),
    "documentType": (SUB, "DOCUMENT_TYPE", None),
    "periodOfReport": (SUB, "PERIOD_OF_REPORT", to_date),
    "dateOfOriginalSubmission": (SUB, "DATE_OF_ORIG_SUB", to_date),
    "noSecuritiesOwned": (SUB, "NO_SECURITIES_OWNED", to_flag),
    "notSubjectToSection16": (SUB, "NOT_SUBJECT_SEC16", to_flag),
    "form3HoldingsReported": (SUB, "FORM3_HOLDINGS_REPORTED", to_flag),
    "form4TransactionsReported": (SUB, "FORM4_TRANS_REPORTED", to_flag),
    "aff10b5One": (SUB, "AFF10B5ONE", to_flag),
    "remarks": (SUB, "REMARKS", None),
    "issuerCik": (SUB, "ISSUERCIK", None),
    "issuerName": (SUB, "ISSUERNAME", None),
    "issuerTradingSymbol": (SUB, "ISSUERTRADINGSYMBOL", None),
    "reportingOwner": (OWNER,),
    "rptOwnerCik": (OWNER_LEAF, "RPTOWNERCIK"),
    "rptOwnerName": (OWNER_LEAF, "RPTOWNERNAME"),
    "rptOwnerStreet1": (OWNER_LEAF, "RPTOWNER_STREET1"),
    "rptOwnerStreet2": (OWNER_LEAF, "RPTOWNER_STREET2"),
    "rptOwnerCity": (OWNER_LEAF, "RPTOWNER_CITY"),
    "rptOwnerState": (OWNER_LEAF, "RPTOWNER_STATE"),
    "rptOwnerZipCode": (OWNER_LEAF, "RPTOWNER_ZIPCODE"),
    "rptOwnerStateDescription": (OWNER_LEAF, "RPTOWNER_STATE_DESC"),
    "officerTitle": (OWNER_LEAF, "RPTOWNER_TITLE"),
    "otherText": (OWNER_LEAF, "RPTOWNER_TXT"),
    **{tag: (ROLE, i) for i, (tag, _) in enumerate(_RELATIONSHIPS)},
    "footnote": (FOOTNOTE,),
    "ownerSignature": (SIGNATURE,),
    "signatureName": (SIGNATURE_LEAF, "OWNERSIGNATURENAME", None),
    "signatureDate": (SIGNATURE_LEAF, "OWNERSIGNATUREDATE", to_date),
}


def _build_row_kinds() -> None:
    """Each row kind gets the top-level actions merged with its own, so the walk needs
    one dictionary lookup per element whatever part of the document it is in."""
    kinds = (
        ("nonDerivativeTransaction", tables.NONDERIV_TRANS, "NONDERIV_TRANS_SK", True),
        ("derivativeTransaction", tables.DERIV_TRANS, "DERIV_TRANS_SK", True),
        ("nonDerivativeHolding", tables.NONDERIV_HOLDING, "NONDERIV_HOLDING_SK", False),
        ("derivativeHolding", tables.DERIV_HOLDING, "DERIV_HOLDING_SK", False),
    )
    merged = {tag: {**_TOP_ACTIONS, **_row_actions(table, transaction)} for tag, table, _, transaction in kinds}
    starts = {
        tag: (ROW, index, sk_column, _template(table), merged[tag])
        for index, (tag, table, sk_column, _) in enumerate(kinds)
    }
    for actions in (_TOP_ACTIONS, *merged.values()):
        actions.update(starts)


_build_row_kinds()


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


def _prepare(part: XmlPart) -> bytes:
    """Check the XML bytes before lxml sees them and settle their encoding.

    DOCTYPE/ENTITY declarations are refused outright (no legitimate ownership document
    has one). Encoding: ASCII needs no decision (the common case); bytes declared in
    another encoding are left to lxml; bytes that claim (or default to) UTF-8 but are
    not are re-read as windows-1252, the encoding of mislabelled SEC text, and only
    bytes that are neither are refused.
    """
    data = part.data
    if data.find(b"!") >= 0:  # a one-byte (memchr) scan first: "!" is rare in these documents
        found = _DECLARATION.search(data)
        if found is not None:
            raise FilingError(
                errors.FORBIDDEN_XML,
                f"{found.group(1).decode()} declaration in the ownership XML "
                "(refused: DTDs and entities are never needed and enable XXE / entity expansion)",
                field=found.group(1).decode(),
                offset=part.offset + found.start(),
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
    """Rows of every table from a parsed ownershipDocument, in one flat walk of the
    tree (the hot loop: ~230 elements for a typical filing); raises FilingError.

    A HOLDER tag becomes the current field. The schema puts `<value>` first in its
    holder, so a `<value>` counts only when it comes right after the holder in
    document order (`fresh`); a `<footnoteId>` counts when its parent is the holder,
    checked by identity (lxml hands out one proxy per node while it is referenced).
    """
    # schemaVersion comes first by the schema; `find` (an ElementPath walk) only when not
    version_el = root[0] if len(root) and root[0].tag == "schemaVersion" else root.find("schemaVersion")
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
    roles: list[list[bool]] = []
    rows: tuple[list[Row], ...] = ([], [], [], [])
    footnotes: list[Row] = []
    footnote_ids: set[str] = set()
    signatures: list[Row] = []
    actions = _TOP_ACTIONS
    row: Row = {}
    owner: Row = {}
    signature: Row = {}
    spec: tuple = ()
    holder = None
    fresh = False
    where: list[Row] | None = None  # which rows a failure belongs to (for the message)
    try:
        for el in root.iter():
            tag = el.tag
            if tag == "value":
                if fresh:
                    fresh = False
                    text = el.text
                    if text is not None:
                        text = text.strip()
                        if text:
                            converter = spec[3]
                            if converter is None:
                                row[spec[1]] = text
                            else:
                                try:
                                    row[spec[1]] = converter(text)
                                except ValueError as exc:
                                    raise _BadValue(_REASON_BY_CONVERTER[converter], spec[1], holder, str(exc)) from None
                continue
            fresh = False
            if tag == "footnoteId":
                if holder is not None and el.getparent() is holder:
                    ref = el.get("id")
                    if ref:
                        column = spec[2]
                        notes = row[column]
                        row[column] = ref if notes is None else f"{notes},{ref}"
                continue
            action = actions.get(tag)
            if action is None:
                continue
            kind = action[0]
            if kind == HOLDER:
                spec, holder, fresh = action, el, True
            elif kind == LEAF:
                text = el.text
                if text is not None:
                    text = text.strip()
                    if text:
                        converter = action[2]
                        if converter is None:
                            row[action[1]] = text
                        else:
                            try:
                                row[action[1]] = converter(text)
                            except ValueError as exc:
                                raise _BadValue(_REASON_BY_CONVERTER[converter], action[1], el, str(exc)) from None
            elif kind == OWNER_LEAF:
                text = el.text
                if text is not None:
                    owner[action[1]] = text.strip() or None
            elif kind == ROW:
                target = rows[action[1]]
                row = action[3].copy()
                row["ACCESSION_NUMBER"] = accession
                row[action[2]] = len(target) + 1
                target.append(row)
                actions = action[4]
                holder = None
                where = target
            elif kind == SUB:
                text = el.text if len(el) == 0 else "".join(el.itertext())
                if text is not None and (text := text.strip()):
                    converter = action[2]
                    where = None
                    submission[action[1]] = text if converter is None else _convert(converter, text, action[1], el)
            elif kind == FOOTNOTE:
                ident = el.get("id")
                ident = ident.strip() if ident else ident
                if not ident or ident in footnote_ids:
                    _bad_footnote(el, ident, part)
                footnote_ids.add(ident)
                text = el.text if len(el) == 0 else "".join(el.itertext())
                footnote = _FOOTNOTE_TEMPLATE.copy()
                footnote["ACCESSION_NUMBER"] = accession
                footnote["FOOTNOTE_ID"] = ident
                footnote["FOOTNOTE_TXT"] = (text.strip() or None) if text is not None else None
                footnotes.append(footnote)
            elif kind == CODING:
                spec, holder = action, el
            elif kind == ROLE:
                text = el.text
                if text is not None and (text := text.strip()):
                    where = owners
                    roles[-1][action[1]] = _convert(to_flag, text, "RPTOWNER_RELATIONSHIP", el)
            elif kind == OWNER:
                owner = _OWNER_TEMPLATE.copy()
                owner["ACCESSION_NUMBER"] = accession
                owner["RPTOWNER_SK"] = len(owners) + 1
                owners.append(owner)
                roles.append([False, False, False, False])
            elif kind == SIGNATURE:
                signature = _SIGNATURE_TEMPLATE.copy()
                signature["ACCESSION_NUMBER"] = accession
                signature["SIGNATURE_SK"] = len(signatures) + 1
                signatures.append(signature)
            elif kind == SIGNATURE_LEAF:
                text = el.text
                if text is not None and (text := text.strip()):
                    converter = action[2]
                    where = signatures
                    signature[action[1]] = text if converter is None else _convert(converter, text, action[1], el)
    except _BadValue as bad:
        # `where` is the list the failing row was appended to last (None: the document itself)
        if where is None:
            label = "ownershipDocument"
        elif where is owners:
            label = f"reportingOwner[{len(owners)}]"
        elif where is signatures:
            label = f"ownerSignature[{len(signatures)}]"
        else:
            label = f"{next(t for t, r in zip(_ROW_TAGS, rows) if r is where)}[{len(where)}]"
        needle = bad.element.text.strip().encode("utf-8", "replace") if bad.element.text and bad.element.text.strip() else None
        if needle is None:
            value_el = bad.element.find("value")
            if value_el is not None and value_el.text:
                needle = value_el.text.strip().encode("utf-8", "replace")
        raise FilingError(
            bad.reason,
            f"{label} {bad.column} <{bad.element.tag}>: {bad.problem}",
            field=f"{label}.{bad.column}",
            offset=_line_offset(part, bad.element.sourceline, None, needle),
        ) from None

    if not submission["ISSUERCIK"]:
        raise FilingError(errors.MISSING_FIELD, "the ownership XML has no issuer/issuerCik", field="issuer/issuerCik")
    if not submission["DOCUMENT_TYPE"]:
        raise FilingError(errors.MISSING_FIELD, "the ownership XML has no documentType", field="documentType")
    if not owners:
        raise FilingError(errors.MISSING_FIELD, "the ownership XML has no reportingOwner", field="reportingOwner")
    for owner, flags in zip(owners, roles):
        if not owner["RPTOWNERCIK"]:
            raise FilingError(
                errors.MISSING_FIELD,
                f"reportingOwner[{owner['RPTOWNER_SK']}] has no rptOwnerCik",
                field=f"reportingOwner[{owner['RPTOWNER_SK']}]/reportingOwnerId/rptOwnerCik",
            )
        if any(flags):
            owner["RPTOWNER_RELATIONSHIP"] = ",".join(name for (_, name), on in zip(_RELATIONSHIPS, flags) if on)
    result: dict[str, Any] = {
        "submission": submission,
        "reporting_owners": owners,
        "footnotes": footnotes,
        "signatures": signatures,
    }
    for name, table_rows in zip(_TABLE_NAMES, rows):
        result[name] = table_rows
    return result


def _bad_footnote(el: etree._Element, ident: str | None, part: XmlPart) -> None:
    """Raise for a footnote without an id, or with one used before."""
    if not ident:
        raise FilingError(
            errors.MISSING_FIELD,
            "a <footnote> has no id",
            field="footnotes/footnote@id",
            offset=_line_offset(part, el.sourceline, None),
        )
    raise FilingError(
        errors.DUPLICATE_FOOTNOTE,
        f"footnote id {ident!r} is used twice",
        field=f"footnotes/footnote[@id={ident}]",
        offset=_line_offset(part, el.sourceline, None, f'"{ident}"'.encode()),
    )
