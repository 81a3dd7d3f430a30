"""The <ownershipDocument> XML of Forms 3/4/5 (schema X0202 ... X0609) as table rows.

Speed matters (a year is ~200,000 filings, re-parsed on every backfill), so the tree is
walked once, flat (`root.iter()`), with a dispatch table keyed by tag: no XPath, no
per-value lookups of column names (every column and its `_FN` twin is precomputed in
the action tuples below, built at import from each catalogue column's `xml` path in
`form4_assets.tables`), and each row starts as a copy of a template dict already
holding every column as None. Parsing the bytes safely is `xmlsafe`'s job.

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
from collections.abc import Callable
from typing import Any

from lxml import etree

from form4_assets import tables
from form4_assets.parsing import errors
from form4_assets.parsing.container import XmlPart
from form4_assets.parsing.errors import FilingError
from form4_assets.parsing.model import Row, row_template
from form4_assets.parsing.values import to_date, to_decimal, to_flag
from form4_assets.parsing.xmlsafe import byte_offset

Converter = Callable[[str], Any]

#: Schema versions whose element set this parser implements (X0202 ... X0609).
SCHEMA_VERSION = re.compile(r"X0[2-6]\d\d")
MIN_SCHEMA, MAX_SCHEMA = "X0202", "X0609"

_REASON_BY_CONVERTER: dict[Converter, str] = {
    to_decimal: errors.BAD_NUMBER,
    to_date: errors.BAD_DATE,
    to_flag: errors.BAD_FLAG,
}
# --------------------------------------------------------------------------- dispatch table
# Every tag the walk acts on maps to an action tuple whose first item is its kind:
HOLDER, CODING, LEAF, ROW, SUB, OWNER, OWNER_LEAF, ROLE, FOOTNOTE, SIGNATURE, SIGNATURE_LEAF = range(11)
# HOLDER:  (HOLDER, column, fn_column, converter|None)  <x><value>..</value><footnoteId id=../></x>
# CODING:  (CODING, None, fn_column, None)              <transactionCoding>: its footnote ids
# LEAF:    (LEAF, column, converter|None)               plain-text child of transactionCoding
# ROW:     (ROW, list index, position column, template, actions inside that row kind)
# SUB:     (SUB, column, converter|None)                plain-text field of SUBMISSION
# OWNER / OWNER_LEAF (column) / ROLE (flag index)       reportingOwner and its fields
# FOOTNOTE, SIGNATURE / SIGNATURE_LEAF (column, converter|None)
# "value" and "footnoteId" are matched before the table is consulted.


_CONVERTERS: dict[str, Converter] = {"decimal": to_decimal, "date": to_date, "flag": to_flag}  # text: as is


def _tag(path: str | None) -> str:
    """The element name at the end of a catalogue `xml` path (the walk is flat: it matches names)."""
    if not path:
        raise ValueError("a parsed table or column without its xml path in form4_assets.tables")
    return path.rsplit("/", 1)[-1]


def _add(actions: dict[str, tuple], path: str | None, action: tuple, table: tables.Table) -> None:
    """Map the element at `path` to `action`; a catalogue in which two columns of one part
    of the document end in the same element name is refused at import (the flat walk
    could fill only one of them)."""
    tag = _tag(path)
    if tag in actions:
        raise ValueError(f"tables.{table.name}: two columns are read from <{tag}>")
    actions[tag] = action


def _row_actions(table: tables.Table) -> dict[str, tuple]:
    """Actions inside one row kind, from the `xml` paths of its table's columns (so an
    element the schema does not allow in this row kind cannot invent a column).
    Group wrappers (transactionAmounts, ownershipNature, ...) need no action: the walk
    is flat and their children are met anyway."""
    paths = {c.name: c.xml for c in table.columns}
    actions: dict[str, tuple] = {}
    for c in table.columns:
        if c.xml is None:
            continue
        if c.kind == "fn":
            if paths.get(c.name.removesuffix("_FN")) != c.xml:  # ids of an element without a value
                _add(actions, c.xml, (CODING, None, c.name, None), table)
        elif paths.get(f"{c.name}_FN") == c.xml:
            _add(actions, c.xml, (HOLDER, c.name, f"{c.name}_FN", _CONVERTERS.get(c.kind)), table)
        else:
            _add(actions, c.xml, (LEAF, c.name, _CONVERTERS.get(c.kind)), table)
    return actions


_ROW_TABLES = (tables.NONDERIV_TRANS, tables.DERIV_TRANS, tables.NONDERIV_HOLDING, tables.DERIV_HOLDING)
_TABLE_NAMES = tuple(t.name for t in _ROW_TABLES)
_ROW_TAGS = tuple(_tag(t.xml) for t in _ROW_TABLES)
_SUBMISSION_TEMPLATE = row_template(tables.SUBMISSION, keep_filing_date=True)
_OWNER_TEMPLATE = row_template(tables.REPORTING_OWNER)
_FOOTNOTE_TEMPLATE = row_template(tables.FOOTNOTES)
_SIGNATURE_TEMPLATE = row_template(tables.OWNER_SIGNATURE)

# Relationship flags in the order the SEC data set spells RPTOWNER_RELATIONSHIP, which
# the walk composes from them (the one owner column not read from one element's text).
_RELATIONSHIPS = (("isDirector", "Director"), ("isOfficer", "Officer"), ("isTenPercentOwner", "TenPercentOwner"), ("isOther", "Other"))
_COMPOSED = "RPTOWNER_RELATIONSHIP"


def _top_actions() -> dict[str, tuple]:
    """Actions outside the row kinds: the document's own fields, the reporting owners,
    footnotes and signatures, from the catalogue's `xml` paths."""
    actions: dict[str, tuple] = {}
    for c in tables.SUBMISSION.columns:
        if c.xml is not None:
            _add(actions, c.xml, (SUB, c.name, _CONVERTERS.get(c.kind)), tables.SUBMISSION)
    for c in tables.REPORTING_OWNER.columns:
        if c.xml is not None and c.name != _COMPOSED:
            if c.kind != "text":
                raise ValueError(f"tables.reporting_owner.{c.name}: the walk reads an owner's fields as text")
            _add(actions, c.xml, (OWNER_LEAF, c.name), tables.REPORTING_OWNER)
    for i, (tag, _) in enumerate(_RELATIONSHIPS):
        actions[tag] = (ROLE, i)
    for c in tables.OWNER_SIGNATURE.columns:
        if c.xml is not None:
            _add(actions, c.xml, (SIGNATURE_LEAF, c.name, _CONVERTERS.get(c.kind)), tables.OWNER_SIGNATURE)
    for table, start in ((tables.REPORTING_OWNER, OWNER), (tables.FOOTNOTES, FOOTNOTE), (tables.OWNER_SIGNATURE, SIGNATURE)):
        _add(actions, table.xml, (start,), table)
    return actions


def _dispatch(row_tables: tuple[tables.Table, ...]) -> dict[str, tuple]:
    """The walk's dispatch table: each row kind gets the top-level actions merged with
    its own, so the walk needs one dictionary lookup per element whatever part of the
    document it is in."""
    top = _top_actions()
    merged = {_tag(table.xml): {**top, **_row_actions(table)} for table in row_tables}
    starts = {
        tag: (ROW, index, table.position, row_template(table), merged[tag])
        for index, (tag, table) in enumerate(zip(merged, row_tables))
    }
    for actions in (top, *merged.values()):
        actions.update(starts)
    return top


_TOP_ACTIONS = _dispatch(_ROW_TABLES)


class _BadValue(Exception):
    """A value that does not convert; carries what the quarantine message needs."""

    def __init__(self, reason: str, column: str, element: etree._Element, problem: str):
        super().__init__(problem)
        self.reason, self.column, self.element, self.problem = reason, column, element, problem


#: The tag given to the elements inside a text field (see `_all_text`); no action has it.
_PASSED_OVER = "passed-over"


def _all_text(el: etree._Element) -> str:
    """All the text of an element the schema gives only text (remarks, a footnote) but
    which has child elements, taken once.

    libxml2 writes the text out in one piece (gathering it node by node would make a
    Python string per node: gigabytes for a few megabytes of nested markup), and the
    descendants are renamed so the walk passes them by: a field nested in the field
    would otherwise take the text of its own subtree again, level after level."""
    text = etree.tostring(el, method="text", encoding="unicode", with_tail=False)
    for inner in el.iterdescendants():
        inner.tag = _PASSED_OVER
    return text


def _text(el: etree._Element) -> str | None:
    """Stripped text of a leaf (all its text when it unexpectedly has children), None if blank."""
    text = el.text if len(el) == 0 else _all_text(el)
    if text is None:
        return None
    text = text.strip()
    return text or None


def _convert(converter: Converter, text: str, column: str, el: etree._Element) -> Any:
    try:
        return converter(text)
    except ValueError as exc:
        raise _bad(converter, column, el, exc) from None


def _bad(converter: Converter, column: str, el: etree._Element, exc: ValueError) -> _BadValue:
    """What a failed conversion raises (the hot paths call their converter inline and
    come here only on failure: a call less per value)."""
    return _BadValue(_REASON_BY_CONVERTER[converter], column, el, str(exc))


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
            offset=byte_offset(part, version_el.sourceline, None, b"<schemaVersion"),
        )

    submission = _SUBMISSION_TEMPLATE.copy()
    submission["ACCESSION_NUMBER"] = accession
    owners: list[Row] = []
    roles: list[list[bool]] = []
    rows: tuple[list[Row], ...] = ([], [], [], [])
    footnotes: list[Row] = []
    footnote_ids: set[str] = set()
    signatures: list[Row] = []
    several: list[tuple[Row, str]] = []  # (row, _FN column) holding a list of footnote ids
    lookup = _TOP_ACTIONS.get  # the dispatch of the current part of the document
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
                                    raise _bad(converter, spec[1], holder, exc) from None
                continue
            fresh = False
            if tag == "footnoteId":
                if holder is not None and el.getparent() is holder:
                    ref = el.get("id")
                    if ref:
                        column = spec[2]
                        notes = row[column]
                        if notes is None:
                            row[column] = ref
                        elif notes.__class__ is list:
                            notes.append(ref)
                        else:  # a second id: collect in a list, joined once at the end
                            row[column] = [notes, ref]
                            several.append((row, column))
                continue
            action = lookup(tag)
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
                                raise _bad(converter, action[1], el, exc) from None
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
                lookup = action[4].get
                holder = None
                where = target
            elif kind == SUB:
                text = el.text if len(el) == 0 else _all_text(el)
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
                text = el.text if len(el) == 0 else _all_text(el)
                footnote = _FOOTNOTE_TEMPLATE.copy()
                footnote["ACCESSION_NUMBER"] = accession
                footnote["FOOTNOTE_ID"] = ident
                footnote["FOOTNOTE_TXT"] = (text.strip() or None) if text is not None else None
                footnotes.append(footnote)
            elif kind == CODING:
                spec, holder = action, el
            elif kind == ROLE:
                text = el.text
                if text is not None and (text := text.strip()) and roles:
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
            offset=byte_offset(part, bad.element.sourceline, None, needle),
        ) from None

    for target, column in several:
        target[column] = ",".join(target[column])
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
        tables.SUBMISSION.name: submission,
        tables.REPORTING_OWNER.name: owners,
        tables.FOOTNOTES.name: footnotes,
        tables.OWNER_SIGNATURE.name: signatures,
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
            offset=byte_offset(part, el.sourceline, None),
        )
    raise FilingError(
        errors.DUPLICATE_FOOTNOTE,
        f"footnote id {ident!r} is used twice",
        field=f"footnotes/footnote[@id={ident}]",
        offset=byte_offset(part, el.sourceline, None, f'"{ident}"'.encode()),
    )
