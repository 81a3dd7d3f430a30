"""A data set's records as sec_* warehouse rows, filed under their submission's filing date.

Only SUBMISSION carries FILING_DATE; every other table's row takes the date of its
accession's SUBMISSION row, so SUBMISSION is read first (accession -> date) and the rest
stream after it. A row whose accession has no SUBMISSION row in the data set goes on the
data set's first filing date. A line that cannot be read becomes a `sec_rejected_rows` row with its
file, line, field and reason: nothing is dropped and one bad line never stops an import.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterator

from form4_assets.bounds import escaped_text
from form4_assets.form345.dataset import Dataset, Record, TableFile
from form4_assets.form345.values import BadValue, parse_sec_date, spelling, to_warehouse
from form4_assets.tables import (
    FORBIDDEN_TEXT_CHAR,
    SEC_COLUMN_ALIASES,
    SEC_REJECTED_ROWS,
    SEC_TABLES_BY_FILE,
    Column,
    Row,
    Table,
)

REJECTED = SEC_REJECTED_ROWS.name
#: The kinds whose SEC text can differ from how the stored value prints (see values.spelling).
_SPELLED = frozenset({"flag", "decimal"})


def filing_dates(dataset: Dataset) -> dict[str, dt.date]:
    """Accession -> FILING_DATE of every readable SUBMISSION row."""
    dates: dict[str, dt.date] = {}
    if "SUBMISSION.tsv" not in dataset.table_names:
        return dates
    for table_file, records in dataset.records("SUBMISSION.tsv"):
        if not {"ACCESSION_NUMBER", "FILING_DATE"} <= set(table_file.header):
            return dates
        accession, filed = table_file.header.index("ACCESSION_NUMBER"), table_file.header.index("FILING_DATE")
        for record in records:
            if isinstance(record, Record):
                try:
                    dates.setdefault(record.values[accession], parse_sec_date(record.values[filed]))
                except ValueError:
                    continue
    return dates


def dataset_rows(dataset: Dataset, wanted: Collection[dt.date] | None = None) -> Iterator[tuple[str, Row]]:
    """(table name, row) for every line of the data set filed on one of `wanted` (all when None)."""
    dates = filing_dates(dataset)
    fallback = min(dates.values(), default=None)
    for name in dataset.table_names:
        spec = SEC_TABLES_BY_FILE[name]
        for table_file, records in dataset.records(name):
            columns = _columns_of(table_file, {c.name: c for c in spec.columns})
            absent = _absent(spec, columns)
            accession_at = table_file.header.index("ACCESSION_NUMBER") if "ACCESSION_NUMBER" in table_file.header else None
            for record in records:
                table, row = _row(table_file, spec.name, columns, accession_at, record, dates, fallback)
                if table == spec.name:
                    row["ABSENT_COLUMNS"] = absent
                if row["FILING_DATE"] is not None and (wanted is None or row["FILING_DATE"] in wanted):
                    yield table, row


def _columns_of(table_file: TableFile, known: dict[str, Column]) -> list[tuple[str, Column | None]]:
    """Each header name with the catalogue column it fills (None: kept in EXTRA_COLUMNS)."""
    return [(name, known.get(SEC_COLUMN_ALIASES.get(name, name))) for name in table_file.header]


def _absent(spec: Table, columns: list[tuple[str, Column | None]]) -> str | None:
    """JSON list of the table's data-set columns that this file's header lacks, or None."""
    present = {column.name for _, column in columns if column is not None}
    missing = [c.name for c in spec.columns if not c.extra and c.name not in present]
    return json.dumps(missing) if missing else None


def _rejected(table_file: TableFile, sec_table: str, line: int, day: dt.date | None, accession: str | None,
              field: str | None, reason: str, message: str, text: str) -> tuple[str, Row]:
    return REJECTED, {
        "FILING_DATE": day,
        "SOURCE_FILE": table_file.source,
        "SOURCE_LINE": line,
        "SEC_TABLE": sec_table,
        "ACCESSION_NUMBER": accession,
        "FIELD": field,
        "REASON_CODE": reason,
        "MESSAGE": escaped_text(f"{table_file.source} line {line}: {message}"),
        "LINE_TEXT": escaped_text(text),  # a NUL shown as \\x00: PostgreSQL text cannot hold one
    }


def _field(table_file: TableFile, record: Record, name: str) -> str | None:
    return record.values[table_file.header.index(name)] if name in table_file.header else None


_LINE_REASONS = {"unreadable line": "unreadable_line", "bytes that are not UTF-8": "not_utf8"}


def _row(table_file: TableFile, sec_table: str, columns: list[tuple[str, Column | None]], accession_at: int | None,
         record: Record | tuple[int, str, str], dates: dict[str, dt.date],
         fallback: dt.date | None) -> tuple[str, Row]:
    if not isinstance(record, Record):
        line, message, text = record
        reason = next((code for prefix, code in _LINE_REASONS.items() if message.startswith(prefix)), "field_count")
        return _rejected(table_file, sec_table, line, fallback, None, None, reason, message, text)
    accession = (record.values[accession_at] or None) if accession_at is not None else None
    day = dates.get(accession) if accession else None
    if accession is None:
        return _rejected(table_file, sec_table, record.line, fallback, None, "ACCESSION_NUMBER",
                         "missing_accession", "no ACCESSION_NUMBER", record.text)
    if day is None and table_file.name == "SUBMISSION.tsv":
        return _rejected(table_file, sec_table, record.line, fallback, accession, "FILING_DATE", "bad_date",
                         f"FILING_DATE {_field(table_file, record, 'FILING_DATE')!r} is not a DD-MON-YYYY date", record.text)
    if day is None:
        # A row whose accession has no SUBMISSION row in this data set (a partial extract, or
        # a submission the SEC filed in another quarter) is kept, on the data set's first
        # filing date; the import's metadata counts such rows as orphans.
        day = fallback
    row: Row = {"SOURCE_FILE": table_file.source, "SOURCE_LINE": record.line}
    spelled: dict[str, str] = {}
    extra: dict[str, str] = {}
    for (name, column), text in zip(columns, record.values):
        if column is None:
            if text != "":
                extra[name] = text
            continue
        # Fast paths (a year is ~20M fields): an empty field is NULL, and text without a
        # NUL is stored as read; anything else is converted and bounds-checked.
        kind = column.kind
        if text == "" or (kind == "text" and FORBIDDEN_TEXT_CHAR not in text):
            row[column.name] = text or None
            continue
        try:
            value = to_warehouse(column, text)
        except BadValue as exc:
            return _rejected(table_file, sec_table, record.line, day, accession, name, exc.reason, str(exc), record.text)
        row[column.name] = value
        if kind in _SPELLED and (as_filed := spelling(column, text, value)) is not None:
            spelled[column.name] = as_filed
    row["FILING_DATE"] = day
    row["SEC_SPELLING"] = json.dumps(spelled, sort_keys=True) if spelled else None
    row["EXTRA_COLUMNS"] = json.dumps(extra, sort_keys=True) if extra else None
    return sec_table, row
