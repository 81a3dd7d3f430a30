"""The SEC header of a submission, in either container format.

The public complete-submission `.txt` writes the header as indented `KEY: value`
lines (`REPORTING-OWNER:` / `OWNER DATA:` / `COMPANY CONFORMED NAME: ...`); filings
before 2002 mark owner blocks as `<REPORTING-OWNER>` ... `</REPORTING-OWNER>` and the
issuer as `SUBJECT COMPANY:`. The dissemination `.nc` writes the same facts as SGML
tags without end tags for leaf values (`<CONFORMED-NAME>Snow Jessica<CIK>0002009134`),
often on one line. Both are reduced to the same events (top-level field, open party,
open block, party field) and fed to one builder, so the two formats cannot drift
apart in what they extract.

Choices: SIC is kept as its four-digit code (the `.txt` adds the industry title in
words, the `.nc` gives only the code); SEC ACT is kept as written (`1934 Act` in
`.txt`, `34` in `.nc`); former names are a JSON list of
`{"name": ..., "date_of_change": "YYYY-MM-DD"}` in header order.
"""

from __future__ import annotations

import json
import re
from typing import Any

from form4_assets import tables
from form4_assets.parsing import errors
from form4_assets.parsing.errors import FilingError
from form4_assets.parsing.values import header_date, header_datetime

Row = dict[str, Any]

_PARTY_COLUMNS = tuple(c for c in tables.HEADER_PARTIES.column_names if c not in ("FILING_DATE", "ACCESSION_NUMBER"))
_HEADER_COLUMNS = tuple(c for c in tables.FILING_HEADERS.column_names if c != "FILING_DATE")

# Top-level header fields: `.txt` key or `.nc` tag -> FILING_HEADERS column.
_TOP = {
    "ACCESSION NUMBER": "ACCESSION_NUMBER",
    "ACCESSION-NUMBER": "ACCESSION_NUMBER",
    "CONFORMED SUBMISSION TYPE": "CONFORMED_SUBMISSION_TYPE",
    "TYPE": "CONFORMED_SUBMISSION_TYPE",
    "PUBLIC DOCUMENT COUNT": "PUBLIC_DOCUMENT_COUNT",
    "PUBLIC-DOCUMENT-COUNT": "PUBLIC_DOCUMENT_COUNT",
    "CONFORMED PERIOD OF REPORT": "PERIOD_OF_REPORT",
    "PERIOD": "PERIOD_OF_REPORT",
    "FILED AS OF DATE": "FILED_AS_OF_DATE",
    "FILING-DATE": "FILED_AS_OF_DATE",
    "DATE AS OF CHANGE": "DATE_AS_OF_CHANGE",
    "DATE-OF-FILING-DATE-CHANGE": "DATE_AS_OF_CHANGE",
    "ACCEPTANCE-DATETIME": "ACCEPTANCE_DATETIME",
}
_TOP_DATES = frozenset({"PERIOD_OF_REPORT", "FILED_AS_OF_DATE", "DATE_AS_OF_CHANGE"})

# Party blocks: `.txt` heading or `.nc` tag -> HEADER_PARTIES.ROLE.
_ROLES = {
    "REPORTING-OWNER": "REPORTING-OWNER",
    "ISSUER": "ISSUER",
    "FILER": "FILER",
    "SUBJECT COMPANY": "SUBJECT-COMPANY",
    "SUBJECT-COMPANY": "SUBJECT-COMPANY",
    "FILED BY": "FILED-BY",
    "FILED-BY": "FILED-BY",
}

# Blocks inside a party -> the prefix that selects the column mapping below.
_BLOCKS = {
    "OWNER DATA": "data",
    "COMPANY DATA": "data",
    "OWNER-DATA": "data",
    "COMPANY-DATA": "data",
    "FILING VALUES": "filing",
    "FILING-VALUES": "filing",
    "BUSINESS ADDRESS": "business",
    "BUSINESS-ADDRESS": "business",
    "MAIL ADDRESS": "mail",
    "MAIL-ADDRESS": "mail",
    "FORMER COMPANY": "former",
    "FORMER NAME": "former",
    "FORMER-COMPANY": "former",
    "FORMER-NAME": "former",
}

_DATA = {
    "COMPANY CONFORMED NAME": "NAME",
    "CONFORMED-NAME": "NAME",
    "CENTRAL INDEX KEY": "CIK",
    "CIK": "CIK",
    "STANDARD INDUSTRIAL CLASSIFICATION": "SIC",
    "ASSIGNED-SIC": "SIC",
    "IRS NUMBER": "IRS_NUMBER",
    "IRS-NUMBER": "IRS_NUMBER",
    "STATE OF INCORPORATION": "STATE_OF_INCORPORATION",
    "STATE-OF-INCORPORATION": "STATE_OF_INCORPORATION",
    "FISCAL YEAR END": "FISCAL_YEAR_END",
    "FISCAL-YEAR-END": "FISCAL_YEAR_END",
}
_FILING = {
    "FORM TYPE": "FORM_TYPE",
    "FORM-TYPE": "FORM_TYPE",
    "SEC ACT": "SEC_ACT",
    "ACT": "SEC_ACT",
    "SEC FILE NUMBER": "FILE_NUMBER",
    "FILE-NUMBER": "FILE_NUMBER",
    "FILM NUMBER": "FILM_NUMBER",
    "FILM-NUMBER": "FILM_NUMBER",
}
_ADDRESS = {
    "STREET 1": "STREET1",
    "STREET1": "STREET1",
    "STREET 2": "STREET2",
    "STREET2": "STREET2",
    "CITY": "CITY",
    "STATE": "STATE",
    "ZIP": "ZIP",
    "BUSINESS PHONE": "PHONE",
    "PHONE": "PHONE",
}
_FORMER = {
    "FORMER CONFORMED NAME": "name",
    "FORMER-CONFORMED-NAME": "name",
    "DATE OF NAME CHANGE": "date_of_change",
    "DATE-CHANGED": "date_of_change",
}
_SIC_CODE = re.compile(r"\[(\d{3,4})\]")


class _HeaderBuilder:
    """Collects header events into FILING_HEADERS / HEADER_PARTIES rows."""

    def __init__(self, container: str) -> None:
        self.header: Row = dict.fromkeys(_HEADER_COLUMNS)
        self.header["CONTAINER"] = container
        self.parties: list[Row] = []
        self._party: Row | None = None
        self._formers: list[dict[str, str | None]] = []
        self._block: str | None = None

    def top(self, key: str, value: str) -> bool:
        """A top-level field; returns False when `key` is not one."""
        column = _TOP.get(key)
        if column is None:
            return False
        if not value:
            return True
        try:
            if column in _TOP_DATES:
                self.header[column] = header_date(value)
            elif column == "ACCEPTANCE_DATETIME":
                self.header[column] = header_datetime(value)
            elif column == "PUBLIC_DOCUMENT_COUNT":
                if not (value.isascii() and value.isdigit()):
                    raise ValueError(f"not a count: {value!r}")
                self.header[column] = int(value)
            else:
                self.header[column] = value
        except ValueError as exc:
            reason = errors.BAD_NUMBER if column == "PUBLIC_DOCUMENT_COUNT" else errors.BAD_DATE
            raise FilingError(reason, f"SEC header {key}: {exc}", field=f"header/{key}") from None
        return True

    def open_party(self, key: str) -> bool:
        role = _ROLES.get(key)
        if role is None:
            return False
        self.close_party()
        self._party = dict.fromkeys(_PARTY_COLUMNS)
        self._party["PARTY_SK"] = len(self.parties) + 1
        self._party["ROLE"] = role
        self._block = None
        return True

    def open_block(self, key: str) -> bool:
        block = _BLOCKS.get(key)
        if block is None or self._party is None:
            return False
        self._block = block
        if block == "former":
            self._formers.append({"name": None, "date_of_change": None})
        return True

    def field(self, key: str, value: str) -> None:
        party, block = self._party, self._block
        if party is None or block is None or not value:
            return
        if block == "data":
            column = _DATA.get(key)
            if column == "SIC":
                found = _SIC_CODE.search(value)
                value = found.group(1) if found else value if value.isdigit() else ""
            if column and value:
                party[column] = value
        elif block == "filing":
            column = _FILING.get(key)
            if column:
                party[column] = value
        elif block in ("business", "mail"):
            column = _ADDRESS.get(key)
            if column == "PHONE" and block == "business":
                party["BUSINESS_PHONE"] = value
            elif column and column != "PHONE":
                party[f"{block.upper()}_{column}"] = value
        elif block == "former":
            name = _FORMER.get(key)
            if name == "date_of_change":
                try:
                    value = header_date(value).isoformat()
                except ValueError:
                    pass  # kept as written: a typo in a historical name change is not worth a quarantine
            if name:
                self._formers[-1][name] = value

    def close_party(self) -> None:
        if self._party is not None:
            if self._formers:
                self._party["FORMER_NAMES"] = json.dumps(self._formers)
            self.parties.append(self._party)
        self._party = None
        self._block = None
        self._formers = []

    def finish(self) -> tuple[Row, list[Row]]:
        self.close_party()
        accession = self.header["ACCESSION_NUMBER"]
        issuer = next((p for p in self.parties if p["ROLE"] == "ISSUER"), None)
        if issuer is None:
            issuer = next((p for p in self.parties if p["ROLE"] == "SUBJECT-COMPANY"), None)
        if issuer is not None:
            self.header["ISSUER_CIK"] = issuer["CIK"]
            self.header["ISSUER_NAME"] = issuer["NAME"]
        parties = [{"ACCESSION_NUMBER": accession, **p} for p in self.parties]
        return self.header, parties


_TXT_LINE = re.compile(r"^[ \t]*(?:<(/?)([A-Z][A-Z0-9-]*)>([^\n]*)|([A-Z][A-Z0-9 ./&-]*?):[ \t]*(.*?))[ \t\r]*$", re.M)


def parse_txt_header(text: str) -> tuple[Row, list[Row]]:
    """Header of a public complete-submission `.txt` (text between <SEC-HEADER> tags)."""
    builder = _HeaderBuilder("txt")
    for m in _TXT_LINE.finditer(text):
        closing, tag, tag_value, key, value = m.groups()
        if tag is not None:
            if closing:
                if tag in _ROLES:
                    builder.close_party()
            elif not builder.open_party(tag):
                builder.top(tag, tag_value.strip())
            continue
        if value:
            if not builder.top(key, value):
                builder.field(key, value)
        elif not builder.open_party(key):
            builder.open_block(key)
    return builder.finish()


_NC_TAG = re.compile(r"<(/?)([A-Z][A-Z0-9-]*)>([^<]*)")


def parse_nc_header(text: str) -> tuple[Row, list[Row]]:
    """Header of a dissemination `.nc` (from <SUBMISSION> up to the first <DOCUMENT>)."""
    builder = _HeaderBuilder("nc")
    for m in _NC_TAG.finditer(text):
        closing, tag, value = m.groups()
        value = value.strip()
        if closing:
            if tag in _ROLES:
                builder.close_party()
            continue
        if builder.open_party(tag) or builder.open_block(tag):
            continue
        if not builder.top(tag, value):
            builder.field(tag, value)
    return builder.finish()
