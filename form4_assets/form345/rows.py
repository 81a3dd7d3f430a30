"""A data set's records as sec_* warehouse rows, filed under their submission's filing date.

Only SUBMISSION carries FILING_DATE; every other table's row takes the date of its
accession's SUBMISSION row, so SUBMISSION is read first (accession -> date) and the rest
stream after it. A row whose accession has no SUBMISSION row in the data set goes on the
data set's first filing date. A line that cannot be read becomes a `sec_rejected_rows` row with its
file, line, field and reason: nothing is dropped and one bad line never stops an import. An
accession whose SUBMISSION line lacks ISSUERCIK or DOCUMENT_TYPE, or one of whose owners lacks
RPTOWNERCIK, has every line rejected (`missing_key`, naming the line at fault), as the parser
quarantines such a filing whole: the aggregates key rows by those fields.

Rows are tuples in their table's column order (`tables.py`), made by a plan drawn once per
file (which slot each header name fills, and its converter from `convert`): a year is
1.5M rows, and a dict per row cost more than reading the line.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from form4_assets.bounds import escaped_text
from form4_assets.form345.convert import Converter, Spelling, converter, spelling_of
from form4_assets.form345.dataset import Dataset, Record, TableFile
from form4_assets.form345.values import BadValue, parse_sec_date, to_warehouse
from form4_assets.tables import (
    SEC_COLUMN_ALIASES,
    SEC_REJECTED_ROWS,
    SEC_TABLES_BY_FILE,
    Column,
    Table,
)

REJECTED = SEC_REJECTED_ROWS.name
#: A row of a sec_* table (or sec_rejected_rows): its values in the table's column order.
SecRow = tuple[Any, ...]
_REJECTED_COLUMNS = SEC_REJECTED_ROWS.column_names
_REJECTED_DATE = _REJECTED_COLUMNS.index("FILING_DATE")
#: json.dumps(..., sort_keys=True) makes an encoder per call; one is enough (same text).
_JSON = json.JSONEncoder(sort_keys=True)


#: Fields every filing must have, by data-set file: the parser quarantines a filing without an
#: issuerCik, a documentType or an owner's rptOwnerCik (parsing.errors.MISSING_FIELD), and the
#: aggregates key their rows by them. A line lacking one makes its whole accession unusable.
REQUIRED: dict[str, tuple[str, ...]] = {
    "SUBMISSION.tsv": ("ISSUERCIK", "DOCUMENT_TYPE"),
    "REPORTINGOWNER.tsv": ("RPTOWNERCIK",),
}


@dataclass(frozen=True)
class Missing:
    """Why an accession's rows cannot be kept: a required field empty on one of its lines."""

    field: str
    source: str  # '<data set>/<file>'
    line: int

    def message(self) -> str:
        return f"no {self.field} ({self.source} line {self.line}): the accession's rows cannot be attributed"


@dataclass
class Index:
    """What the rows of a data set need to know before they stream: each accession's filing date,
    and the accessions with a required field missing (all their rows are rejected, on every table)."""

    dates: dict[str, dt.date]
    unusable: dict[str, Missing]


def filing_dates(dataset: Dataset) -> dict[str, dt.date]:
    """Accession -> FILING_DATE of every readable SUBMISSION row."""
    return index(dataset, ("SUBMISSION.tsv",)).dates


def index(dataset: Dataset, files: Collection[str] = tuple(REQUIRED)) -> Index:
    """The data set's `Index`: one pass over SUBMISSION and the required columns of REPORTINGOWNER."""
    found = Index({}, {})
    for name, required in REQUIRED.items():
        if name not in files or name not in dataset.table_names:
            continue
        for table_file, records in dataset.records(name):
            header = table_file.header
            if "ACCESSION_NUMBER" not in header:
                break
            accession = header.index("ACCESSION_NUMBER")
            needed = [(header.index(f), f) for f in required if f in header]
            filed = header.index("FILING_DATE") if name == "SUBMISSION.tsv" and "FILING_DATE" in header else None
            parsed: dict[str, dt.date | None] = {}  # a quarter has ~65 distinct filing dates
            for record in records:
                if not isinstance(record, Record):
                    continue
                values = record.values
                for i, field in needed:
                    if values[i] == "" and values[accession] not in found.unusable:
                        found.unusable[values[accession]] = Missing(field, table_file.source, record.line)
                if filed is None:
                    continue
                text = values[filed]
                if text not in parsed:
                    try:
                        parsed[text] = parse_sec_date(text)
                    except ValueError:
                        parsed[text] = None
                day = parsed[text]
                if day is not None:
                    found.dates.setdefault(values[accession], day)
    return found


def dataset_rows(dataset: Dataset, wanted: Collection[dt.date] | None = None) -> Iterator[tuple[str, SecRow]]:
    """(table name, row) for every line of the data set filed on one of `wanted` (all when None)."""
    known = index(dataset)
    dates, unusable = known.dates, known.unusable
    fallback = min(dates.values(), default=None)
    for name in dataset.table_names:
        spec = SEC_TABLES_BY_FILE[name]
        for table_file, records in dataset.records(name):
            plan = _Plan.of(spec, table_file)
            for record in records:
                table, row = plan.row(record, dates, fallback, unusable)
                day = row[plan.filing_date if table == spec.name else _REJECTED_DATE]
                if day is not None and (wanted is None or day in wanted):
                    yield table, row


@dataclass(frozen=True, slots=True)
class _Field:
    """What one header name of a file fills: a slot of the row (None: kept in EXTRA_COLUMNS),
    with its converter (None: text) and spelling keeper."""

    name: str
    slot: int | None
    column: Column | None
    convert: Converter | None
    spell: Spelling | None


@dataclass(frozen=True)
class _Plan:
    """How the records of one table file become rows of its sec_* table."""

    table_file: TableFile
    spec: Table
    fields: tuple[_Field, ...]
    absent: str | None  # JSON list of the table's data-set columns this file lacks
    accession_at: int | None
    filing_date: int  # slot of FILING_DATE in the row
    slots: dict[str, int]
    texts: tuple[tuple[int, int], ...]  # (field position, slot) of the text columns: stored as read
    typed: tuple[tuple[int, _Field], ...]  # (field position, field) of the columns converted
    extras: tuple[tuple[int, str], ...]  # (field position, header name) of the columns kept in EXTRA_COLUMNS
    every: tuple[tuple[int, _Field], ...]  # (field position, field) of every catalogue column, in header order
    keys: tuple[tuple[int, str], ...]  # (field position, header name) of the SEC's *_SK keys: never empty

    @classmethod
    def of(cls, spec: Table, table_file: TableFile) -> _Plan:
        slots = {name: i for i, name in enumerate(spec.column_names)}
        known = {c.name: c for c in spec.columns}
        fields = []
        for name in table_file.header:
            column = known.get(SEC_COLUMN_ALIASES.get(name, name))
            fields.append(_Field(name, None, None, None, None) if column is None else
                          _Field(name, slots[column.name], column, converter(column), spelling_of(column)))
        present = {f.column.name for f in fields if f.column is not None}
        missing = [c.name for c in spec.columns if not c.extra and c.name not in present]
        header = table_file.header
        return cls(table_file, spec, tuple(fields), json.dumps(missing) if missing else None,
                   header.index("ACCESSION_NUMBER") if "ACCESSION_NUMBER" in header else None,
                   slots["FILING_DATE"], slots,
                   texts=tuple((i, f.slot) for i, f in enumerate(fields) if f.slot is not None and f.convert is None),
                   typed=tuple((i, f) for i, f in enumerate(fields) if f.slot is not None and f.convert is not None),
                   extras=tuple((i, f.name) for i, f in enumerate(fields) if f.slot is None),
                   every=tuple((i, f) for i, f in enumerate(fields) if f.slot is not None),
                   keys=tuple((i, f.name) for i, f in enumerate(fields) if f.column is not None
                              and f.column.name.endswith("_SK")))

    def rejected(self, line: int, day: dt.date | None, accession: str | None, field: str | None,
                 reason: str, message: str, text: str) -> tuple[str, SecRow]:
        source = self.table_file.source
        values = {
            "FILING_DATE": day,
            "SOURCE_FILE": source,
            "SOURCE_LINE": line,
            "SEC_TABLE": self.spec.name,
            "ACCESSION_NUMBER": accession,
            "FIELD": field,
            "REASON_CODE": reason,
            "MESSAGE": escaped_text(f"{source} line {line}: {message}"),
            "LINE_TEXT": escaped_text(text),  # a NUL shown as \\x00: PostgreSQL text cannot hold one
        }
        return REJECTED, tuple(values[name] for name in _REJECTED_COLUMNS)

    def row(self, record: Record | tuple[int, str, str], dates: dict[str, dt.date],
            fallback: dt.date | None, unusable: dict[str, Missing] | None = None) -> tuple[str, SecRow]:
        if not isinstance(record, Record):
            line, message, text = record
            reason = next((code for prefix, code in _LINE_REASONS.items() if message.startswith(prefix)), "field_count")
            return self.rejected(line, fallback, None, None, reason, message, text)
        values = record.values
        accession = (values[self.accession_at] or None) if self.accession_at is not None else None
        if accession is None:
            return self.rejected(record.line, fallback, None, "ACCESSION_NUMBER", "missing_accession",
                                 "no ACCESSION_NUMBER", record.text)
        day = dates.get(accession)
        if day is None and self.table_file.name == "SUBMISSION.tsv":
            filed = values[self.table_file.header.index("FILING_DATE")] if "FILING_DATE" in self.table_file.header else None
            return self.rejected(record.line, fallback, accession, "FILING_DATE", "bad_date",
                                 f"FILING_DATE {filed!r} is not a DD-MON-YYYY date", record.text)
        for i, name in self.keys:
            if values[i] == "":
                return self.rejected(record.line, day or fallback, accession, name, "missing_key",
                                     f"no {name}: the SEC's key of the row", record.text)
        missing = unusable.get(accession) if unusable else None
        if missing is not None:
            return self.rejected(record.line, day or fallback, accession, missing.field, "missing_key",
                                 missing.message(), record.text)
        if day is None:
            # A row whose accession has no SUBMISSION row in this data set (a partial extract, or
            # a submission the SEC filed in another quarter) is kept, on the data set's first
            # filing date; the import's metadata counts such rows as orphans.
            day = fallback
        row: list[Any] = [None] * len(self.slots)
        if record.nul:  # every field is then checked in header order, and the first refused one names the reason
            texts, typed = (), self.every
        else:
            texts, typed = self.texts, self.typed
        for i, slot in texts:
            row[slot] = values[i] or None
        spelled: dict[str, str] = {}
        for i, field in typed:
            text = values[i]
            if text == "":
                continue
            try:
                value = to_warehouse(field.column, text) if field.convert is None else field.convert(text)
            except BadValue as exc:
                return self.rejected(record.line, day, accession, field.name, exc.reason, str(exc), record.text)
            row[field.slot] = value
            if field.spell is not None and (as_filed := field.spell(text, value)) is not None:
                spelled[field.column.name] = as_filed  # type: ignore[union-attr]
        extra = {name: values[i] for i, name in self.extras if values[i] != ""}
        slots = self.slots
        row[slots["SOURCE_FILE"]] = self.table_file.source
        row[slots["SOURCE_LINE"]] = record.line
        row[slots["FILING_DATE"]] = day
        row[slots["SEC_SPELLING"]] = _JSON.encode(spelled) if spelled else None
        row[slots["EXTRA_COLUMNS"]] = _JSON.encode(extra) if extra else None
        row[slots["ABSENT_COLUMNS"]] = self.absent
        return self.spec.name, tuple(row)


_LINE_REASONS = {"unreadable line": "unreadable_line", "bytes that are not UTF-8": "not_utf8"}
