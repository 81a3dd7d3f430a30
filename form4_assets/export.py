"""`form4-assets export`: the warehouse in the SEC Form 345 data-set layout.

Eight tab-separated files (SUBMISSION.tsv, REPORTINGOWNER.tsv, …), one row per row filed
in the date range, so code written for the SEC's quarterly files reads ours unchanged.

By default the files are the SEC's, byte for byte: its 2024 Q3 header
(`form345.layout.sec_header`: no AFF10B5ONE, no CONTACT_*), dates DD-MON-YYYY, numbers
rounded to two decimals (half away from zero, as its NUMBER(16,2)) and printed with a
decimal point (250000.0), footnote ids ``F1, F3``, a field holding a double quote wrapped
in double quotes (inner ones doubled), line breaks and tabs inside text as one space,
ASCII only (accents dropped, any other character ``?``). A filing date whose filings were
parsed is exported from the parse (flags 0/1: the parse keeps a flag's value, not its
spelling); a date known only from an imported SEC data set is exported from its sec_*
rows, which print back exactly as the SEC wrote them (flags as filed), so importing a
data set and exporting it gives its lines back.

`lossless=True` (`--lossless`) writes the parse as stored instead: every catalogue column
of the data set (AFF10B5ONE included), exact decimals (0.125, never 0.13), flags 0/1,
``F1,F3``, UTF-8, no quoting (tabs and line breaks inside text become single spaces).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, TextIO

import sqlalchemy as sa

from form4_assets.form345.layout import sec_header, sec_line
from form4_assets.form345.values import sec_date, sec_number
from form4_assets.tables import PARSED_TABLES, SEC_TABLES_BY_FILE, Column, Table
from form4_assets.warehouse.schema import TABLES, build_table

EXPORTED: tuple[Table, ...] = tuple(t for t in PARSED_TABLES if t.sec_file)
_BREAKS = re.compile(r"[\t\r\n]+")
_CENT = Decimal("0.01")


def sec_value(column: Column, value: Any) -> str:
    """One field as the lossless export prints it (exact decimals, flags 0/1)."""
    if value is None:
        return ""
    if column.kind == "date":
        return sec_date(value)
    if column.kind == "datetime":
        return f"{sec_date(value)} {value:%H:%M:%S}"
    if column.kind == "decimal":
        return sec_number(value)
    if column.kind == "flag":
        return "1" if value else "0"
    return _BREAKS.sub(" ", str(value))


def ascii_text(text: str) -> str:
    """ASCII as the SEC's files are: letters lose their accents, anything else becomes ``?``."""
    if text.isascii():
        return text
    stripped = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return stripped.encode("ascii", "replace").decode("ascii")


def sec_layout_value(column: Column, value: Any) -> str:
    """One parsed field as the SEC's data sets print it."""
    if value is None:
        return ""
    if column.kind == "decimal":
        return sec_number(Decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP))
    if column.kind == "fn":
        return ", ".join(str(value).split(","))
    return ascii_text(sec_value(column, value))


def exported_columns(spec: Table) -> list[Column]:
    """The lossless export's columns: every data-set column of the catalogue."""
    return [c for c in spec.columns if not c.extra]


def _parsed_query(spec: Table, columns: Sequence[Column], start: dt.date, end: dt.date) -> sa.Select[Any]:
    """The parsed rows filed start … end; the SQL table is built from the catalogue entry
    `spec` (not looked up by name), so what is exported follows the catalogue alone."""
    table = build_table(spec, sa.MetaData())
    return (
        sa.select(*(table.c[c.name] for c in columns))
        .where(table.c.FILING_DATE.between(start, end))
        .order_by(*(table.c[k] for k in spec.key))
    )


def export_table(conn: sa.Connection, spec: Table, start: dt.date, end: dt.date, path: Path) -> int:
    """One lossless data-set file of `spec` for the filing dates start … end; the row count."""
    with path.open("w", encoding="utf-8", newline="\n") as out:
        return _write_lossless(conn, spec, start, end, out)


def _write_lossless(conn: sa.Connection, spec: Table, start: dt.date, end: dt.date, out: TextIO) -> int:
    columns = exported_columns(spec)
    out.write("\t".join(c.name for c in columns) + "\n")
    count = 0
    for row in conn.execution_options(yield_per=10_000).execute(_parsed_query(spec, columns, start, end)):
        out.write("\t".join(sec_value(c, v) for c, v in zip(columns, row)) + "\n")
        count += 1
    return count


def _parsed_dates(conn: sa.Connection, start: dt.date, end: dt.date) -> set[dt.date]:
    table = TABLES["submission"]
    query = sa.select(table.c.FILING_DATE).where(table.c.FILING_DATE.between(start, end)).distinct()
    return {day for (day,) in conn.execute(query)}


def _write_sec_layout(conn: sa.Connection, spec: Table, start: dt.date, end: dt.date, parsed: set[dt.date],
                      out: TextIO) -> int:
    sec = SEC_TABLES_BY_FILE[spec.sec_file]  # type: ignore[index]
    header = sec_header(sec)
    columns = [spec.column(name) for name in header]
    writer = csv.writer(out, delimiter="\t", quotechar='"', doublequote=True, lineterminator="\n")
    writer.writerow(header)
    count = 0
    for row in conn.execution_options(yield_per=10_000).execute(_parsed_query(spec, columns, start, end)):
        writer.writerow([sec_layout_value(c, v) for c, v in zip(columns, row)])
        count += 1
    table = TABLES[sec.name]
    query = sa.select(table).where(table.c.FILING_DATE.between(start, end))
    if parsed:
        query = query.where(table.c.FILING_DATE.not_in(sorted(parsed)))
    for row in conn.execution_options(yield_per=10_000).execute(query.order_by(table.c.SOURCE_FILE, table.c.SOURCE_LINE)):
        out.write(sec_line(sec, header, row._mapping) + "\n")
        count += 1
    return count


def export(engine: sa.Engine, start: dt.date, end: dt.date, directory: Path, lossless: bool = False) -> dict[str, int]:
    """All eight files into `directory` (created); rows written per file."""
    if end < start:
        raise ValueError(f"--end {end} is before --start {start}")
    directory.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        parsed = _parsed_dates(conn, start, end)
        for spec in EXPORTED:
            name: str = spec.sec_file  # type: ignore[assignment]
            if lossless:
                counts[name] = export_table(conn, spec, start, end, directory / name)
                continue
            with (directory / name).open("w", encoding="ascii", errors="replace", newline="\n") as out:
                counts[name] = _write_sec_layout(conn, spec, start, end, parsed, out)
    return counts
