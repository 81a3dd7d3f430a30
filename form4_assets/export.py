"""`form4-assets export`: the warehouse in the SEC Form 345 data-set layout.

Eight tab-separated files (SUBMISSION.tsv, REPORTINGOWNER.tsv, …) with the data set's
columns in its order (the non-extra columns of form4_assets.tables), one row per
warehouse row filed in the date range, so a user can point code written for the SEC's
quarterly files at our output. Values print the way the SEC prints them: dates
DD-MON-YYYY with an upper-case month, numbers with a decimal point (250000.0, 17.04 —
the exact decimal, never a float rendering), flags 0/1, nothing for null. The files
have no quoting, so tabs and line breaks inside text become single spaces.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from form4_assets.form345.values import sec_date, sec_number
from form4_assets.tables import PARSED_TABLES, Column, Table
from form4_assets.warehouse.schema import build_table

EXPORTED: tuple[Table, ...] = tuple(t for t in PARSED_TABLES if t.sec_file)
_BREAKS = re.compile(r"[\t\r\n]+")


def sec_value(column: Column, value: Any) -> str:
    """One field as the SEC data sets print it."""
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


def exported_columns(spec: Table) -> list[Column]:
    return [c for c in spec.columns if not c.extra]


def export_table(conn: sa.Connection, spec: Table, start: dt.date, end: dt.date, path: Path) -> int:
    """Write one data-set file for the filing dates start … end; returns the row count.

    The SQL table is built from the catalogue entry `spec` (not looked up by name), so
    what is exported follows the catalogue alone.
    """
    table = build_table(spec, sa.MetaData())
    columns = exported_columns(spec)
    query = (
        sa.select(*(table.c[c.name] for c in columns))
        .where(table.c.FILING_DATE.between(start, end))
        .order_by(*(table.c[k] for k in spec.key))
    )
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write("\t".join(c.name for c in columns) + "\n")
        for row in conn.execution_options(yield_per=10_000).execute(query):
            out.write("\t".join(sec_value(c, v) for c, v in zip(columns, row)) + "\n")
            count += 1
    return count


def export(engine: sa.Engine, start: dt.date, end: dt.date, directory: Path) -> dict[str, int]:
    """All eight files into `directory` (created); rows written per file."""
    if end < start:
        raise ValueError(f"--end {end} is before --start {start}")
    directory.mkdir(parents=True, exist_ok=True)
    with engine.connect() as conn:
        return {spec.sec_file: export_table(conn, spec, start, end, directory / spec.sec_file) for spec in EXPORTED}  # type: ignore[misc]
