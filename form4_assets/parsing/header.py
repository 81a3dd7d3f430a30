"""The SEC header of a submission, in either container format.

The public complete-submission `.txt` writes the header as indented `KEY: value`
lines (`REPORTING-OWNER:` / `OWNER DATA:` / `COMPANY CONFORMED NAME: ...`); filings
before 2002 mark owner blocks as `<REPORTING-OWNER>` ... `</REPORTING-OWNER>` and the
issuer as `SUBJECT COMPANY:`. The dissemination `.nc` writes the same facts as SGML
tags without end tags for leaf values (`<CONFORMED-NAME>Snow Jessica<CIK>0002009134`),
often on one line. Both are tokenized into (name, value) pairs (lines for `.txt`,
one regular expression for `.nc`), and one loop maps the pairs through one action table, so the
two formats cannot drift apart in what they extract. Every real filing has a
header, so this runs as often as the XML extraction and is kept as lean.

Choices: SIC is kept as its four-digit code (the `.txt` adds the industry title in
words, the `.nc` gives only the code); SEC ACT is kept as written (`1934 Act` in
`.txt`, `34` in `.nc`); former names are a JSON list of
`{"name": ..., "date_of_change": "YYYY-MM-DD"}` in header order.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

from form4_assets import tables
from form4_assets.parsing import errors
from form4_assets.parsing.errors import FilingError
from form4_assets.parsing.model import Row, row_template
from form4_assets.parsing.values import header_date, header_datetime

_PARTY_TEMPLATE: Row = row_template(tables.HEADER_PARTIES)
_HEADER_TEMPLATE: Row = row_template(tables.FILING_HEADERS)

# Action kinds; the action table maps a `.txt` key or `.nc` tag to (kind, payload).
TOP, TOP_DATE, TOP_DATETIME, TOP_COUNT, PARTY, END_PARTY, BLOCK, FIELD, SIC, ADDRESS, PHONE, FORMER = range(12)
# BLOCK payloads: which address block the following address lines belong to (an index
# into the ADDRESS payload pair), or the start of a former-name block.
BUSINESS, MAIL, FORMER_BLOCK = 0, 1, 2

_ACTIONS: dict[str, tuple[int, Any]] = {
    # top level -> FILING_HEADERS
    "ACCESSION NUMBER": (TOP, "ACCESSION_NUMBER"),
    "ACCESSION-NUMBER": (TOP, "ACCESSION_NUMBER"),
    "CONFORMED SUBMISSION TYPE": (TOP, "CONFORMED_SUBMISSION_TYPE"),
    "TYPE": (TOP, "CONFORMED_SUBMISSION_TYPE"),
    "PUBLIC DOCUMENT COUNT": (TOP_COUNT, "PUBLIC_DOCUMENT_COUNT"),
    "PUBLIC-DOCUMENT-COUNT": (TOP_COUNT, "PUBLIC_DOCUMENT_COUNT"),
    "CONFORMED PERIOD OF REPORT": (TOP_DATE, "PERIOD_OF_REPORT"),
    "PERIOD": (TOP_DATE, "PERIOD_OF_REPORT"),
    "FILED AS OF DATE": (TOP_DATE, "FILED_AS_OF_DATE"),
    "FILING-DATE": (TOP_DATE, "FILED_AS_OF_DATE"),
    "DATE AS OF CHANGE": (TOP_DATE, "DATE_AS_OF_CHANGE"),
    "DATE-OF-FILING-DATE-CHANGE": (TOP_DATE, "DATE_AS_OF_CHANGE"),
    "ACCEPTANCE-DATETIME": (TOP_DATETIME, "ACCEPTANCE_DATETIME"),
    # party blocks -> HEADER_PARTIES.ROLE
    "REPORTING-OWNER": (PARTY, "REPORTING-OWNER"),
    "ISSUER": (PARTY, "ISSUER"),
    "FILER": (PARTY, "FILER"),
    "SUBJECT COMPANY": (PARTY, "SUBJECT-COMPANY"),
    "SUBJECT-COMPANY": (PARTY, "SUBJECT-COMPANY"),
    "FILED BY": (PARTY, "FILED-BY"),
    "FILED-BY": (PARTY, "FILED-BY"),
    "/REPORTING-OWNER": (END_PARTY, None),
    "/ISSUER": (END_PARTY, None),
    "/FILER": (END_PARTY, None),
    "/SUBJECT-COMPANY": (END_PARTY, None),
    "/FILED-BY": (END_PARTY, None),
    # blocks inside a party: addresses need to know which one they are in
    "OWNER DATA": (BLOCK, None),
    "COMPANY DATA": (BLOCK, None),
    "OWNER-DATA": (BLOCK, None),
    "COMPANY-DATA": (BLOCK, None),
    "FILING VALUES": (BLOCK, None),
    "FILING-VALUES": (BLOCK, None),
    "BUSINESS ADDRESS": (BLOCK, BUSINESS),
    "BUSINESS-ADDRESS": (BLOCK, BUSINESS),
    "MAIL ADDRESS": (BLOCK, MAIL),
    "MAIL-ADDRESS": (BLOCK, MAIL),
    "FORMER COMPANY": (BLOCK, FORMER_BLOCK),
    "FORMER NAME": (BLOCK, FORMER_BLOCK),
    "FORMER-COMPANY": (BLOCK, FORMER_BLOCK),
    "FORMER-NAME": (BLOCK, FORMER_BLOCK),
    # party fields
    "COMPANY CONFORMED NAME": (FIELD, "NAME"),
    "CONFORMED-NAME": (FIELD, "NAME"),
    "CENTRAL INDEX KEY": (FIELD, "CIK"),
    "CIK": (FIELD, "CIK"),
    "STANDARD INDUSTRIAL CLASSIFICATION": (SIC, "SIC"),
    "ASSIGNED-SIC": (SIC, "SIC"),
    "IRS NUMBER": (FIELD, "IRS_NUMBER"),
    "IRS-NUMBER": (FIELD, "IRS_NUMBER"),
    "STATE OF INCORPORATION": (FIELD, "STATE_OF_INCORPORATION"),
    "STATE-OF-INCORPORATION": (FIELD, "STATE_OF_INCORPORATION"),
    "FISCAL YEAR END": (FIELD, "FISCAL_YEAR_END"),
    "FISCAL-YEAR-END": (FIELD, "FISCAL_YEAR_END"),
    "FORM TYPE": (FIELD, "FORM_TYPE"),
    "FORM-TYPE": (FIELD, "FORM_TYPE"),
    "SEC ACT": (FIELD, "SEC_ACT"),
    "ACT": (FIELD, "SEC_ACT"),
    "SEC FILE NUMBER": (FIELD, "FILE_NUMBER"),
    "FILE-NUMBER": (FIELD, "FILE_NUMBER"),
    "FILM NUMBER": (FIELD, "FILM_NUMBER"),
    "FILM-NUMBER": (FIELD, "FILM_NUMBER"),
    "BUSINESS PHONE": (PHONE, "BUSINESS_PHONE"),
    "PHONE": (PHONE, "BUSINESS_PHONE"),
    "STREET 1": (ADDRESS, ("BUSINESS_STREET1", "MAIL_STREET1")),
    "STREET1": (ADDRESS, ("BUSINESS_STREET1", "MAIL_STREET1")),
    "STREET 2": (ADDRESS, ("BUSINESS_STREET2", "MAIL_STREET2")),
    "STREET2": (ADDRESS, ("BUSINESS_STREET2", "MAIL_STREET2")),
    "CITY": (ADDRESS, ("BUSINESS_CITY", "MAIL_CITY")),
    "STATE": (ADDRESS, ("BUSINESS_STATE", "MAIL_STATE")),
    "ZIP": (ADDRESS, ("BUSINESS_ZIP", "MAIL_ZIP")),
    "FORMER CONFORMED NAME": (FORMER, "name"),
    "FORMER-CONFORMED-NAME": (FORMER, "name"),
    "DATE OF NAME CHANGE": (FORMER, "date_of_change"),
    "DATE-CHANGED": (FORMER, "date_of_change"),
}
#: Largest header count kept: PUBLIC_DOCUMENT_COUNT is a 64-bit integer column (SQLite
#: INTEGER, PostgreSQL bigint), so a larger count could not be stored as written.
MAX_COUNT = 2**63 - 1
_SIC_CODE = re.compile(r"\[(\d{3,4})\]")
#: The action table again under each key as a `.txt` header indents it (one or two
#: tabs), so the common line is looked up as split, without stripping its key first;
#: any other spelling of a key is found by stripping it (the same action either way).
_INDENTED: dict[str, tuple[int, Any]] = {
    **_ACTIONS, **{f"\t{k}": a for k, a in _ACTIONS.items()}, **{f"\t\t{k}": a for k, a in _ACTIONS.items()}
}

# `.nc`: `<TAG>value` anywhere, values running to the next tag. The middle group makes
# the matches (name, separator, value) triples, the shape `str.partition` gives `.txt` lines.
_NC_PAIR = re.compile(r"<(/?[A-Z][A-Z0-9-]*)(>)([^<]*)")


class SecHeader(NamedTuple):
    """What was read from an SEC header: the FILING_HEADERS row, the HEADER_PARTIES rows,
    and the first value that could not be read (left None in the row). The caller
    quarantines the filing for that problem, keeping everything else that was read."""

    header: Row
    parties: list[Row]
    problem: FilingError | None


def parse_txt_header(text: str) -> SecHeader:
    """Header of a public complete-submission `.txt` (text between <SEC-HEADER> tags).

    Lines are `<tabs>KEY:<tabs>value` or `<TAG>value`; a split and a `partition` per
    line cost far less than a multi-line regular-expression search."""
    return _build([line.partition(":") for line in text.split("\n") if line], "txt", "\x00" in text)


def parse_nc_header(text: str) -> SecHeader:
    """Header of a dissemination `.nc` (from <SUBMISSION> up to the first <DOCUMENT>)."""
    return _build(_NC_PAIR.findall(text), "nc", "\x00" in text)


def _shown(value: str) -> str:
    """A value for a message: quoted, and cut when long (a garbage field can be megabytes)."""
    return repr(value) if len(value) <= 40 else f"{value[:40]!r}... ({len(value)} characters)"


def _count(name: str, value: str) -> int:
    """A header count: ASCII digits, at most what a 64-bit integer column holds."""
    if not (value.isascii() and value.isdigit()):
        raise FilingError(errors.BAD_NUMBER, f"SEC header {name}: not a count: {_shown(value)}", field=f"header/{name}")
    if len(value) > len(str(MAX_COUNT)) or int(value) > MAX_COUNT:
        raise FilingError(
            errors.OUT_OF_RANGE,
            f"SEC header {name}: the {len(value.lstrip('0'))}-digit count {_shown(value)} is larger than "
            f"a 64-bit integer column holds ({MAX_COUNT})",
            field=f"header/{name}",
        )
    return int(value)


def _top_value(kind: int, name: str, value: str) -> Any:
    """The typed value of a top-level header field; raises FilingError."""
    if kind == TOP:
        return value
    if kind == TOP_COUNT:
        return _count(name, value)
    try:
        return header_date(value) if kind == TOP_DATE else header_datetime(value)
    except ValueError as exc:
        raise FilingError(errors.BAD_DATE, f"SEC header {name}: {exc}", field=f"header/{name}") from None


def _build(triples: list[tuple[str, str, str]], container: str, nul: bool) -> SecHeader:
    """FILING_HEADERS row and HEADER_PARTIES rows from (name, separator, raw value)
    triples; a `.txt` line without a colon is a `<TAG>value` line or nothing. A value
    that cannot be read is left None and reported once the rest has been read; so is a
    value with a NUL character (no text column can hold one), looked for only when the
    header text has one (`nul`)."""
    problem: FilingError | None = None
    header = _HEADER_TEMPLATE.copy()
    header["CONTAINER"] = container
    parties: list[Row] = []
    party: Row = {}  # fields outside any party block are dropped
    address = None  # BUSINESS or MAIL inside an address block
    formers: list[dict[str, str | None]] = []
    lookup, indented = _ACTIONS.get, _INDENTED.get
    for name, separator, value in triples:
        if not separator:
            name = name.strip()
            if not name.startswith("<"):
                continue
            name, _, value = name[1:].partition(">")
        action = indented(name) or lookup(name.strip())
        if action is None:
            continue
        kind, payload = action
        value = value.strip()
        if nul and "\x00" in value:
            problem = problem or FilingError(
                errors.NUL_IN_TEXT, f"SEC header {name.strip()}: a NUL character in {_shown(value)}",
                field=f"header/{name.strip()}",
            )
            continue
        if kind == ADDRESS:
            if value and address is not None:
                party[payload[address]] = value
        elif kind == FIELD:
            if value:
                party[payload] = value
        elif kind == BLOCK:
            if payload == FORMER_BLOCK:
                address = None
                if party:
                    formers.append({"name": None, "date_of_change": None})
            else:
                address = payload
        elif kind == PARTY:
            _close(parties, formers)
            party = _PARTY_TEMPLATE.copy()
            party["PARTY_SK"] = len(parties) + 1
            party["ROLE"] = payload
            parties.append(party)
            formers = []
            address = None
        elif kind == END_PARTY:
            _close(parties, formers)
            party, formers, address = {}, [], None
        elif kind == PHONE:
            if value and address == BUSINESS:  # the data set has no mail-address phone
                party[payload] = value
        elif kind == SIC:
            found = _SIC_CODE.search(value)
            code = found.group(1) if found else value if value.isdigit() else None
            if code:
                party["SIC"] = code
        elif kind == FORMER:
            if value and formers:
                if payload == "date_of_change":
                    try:
                        value = header_date(value).isoformat()
                    except ValueError:
                        pass  # kept as written: a typo in a historical name change is not worth a quarantine
                formers[-1][payload] = value
        elif value:
            try:
                header[payload] = _top_value(kind, name, value)
            except FilingError as exc:
                problem = problem or exc
    _close(parties, formers)

    accession = header["ACCESSION_NUMBER"]
    issuer = next((p for p in parties if p["ROLE"] == "ISSUER"), None) or next(
        (p for p in parties if p["ROLE"] == "SUBJECT-COMPANY"), None
    )
    if issuer is not None:
        header["ISSUER_CIK"] = issuer["CIK"]
        header["ISSUER_NAME"] = issuer["NAME"]
    for p in parties:
        p["ACCESSION_NUMBER"] = accession
    return SecHeader(header, parties, problem)


def _close(parties: list[Row], formers: list[dict[str, str | None]]) -> None:
    """Store the former names of the party being closed (the last one opened)."""
    if parties and formers and parties[-1]["FORMER_NAMES"] is None:
        parties[-1]["FORMER_NAMES"] = json.dumps(formers)
