"""Our parse of the filings against the SEC's own data-set rows, field by field.

For every filing date where both sides have submissions, each parsed table is compared
with its sec_* twin accession by accession: rows are paired by FOOTNOTE_ID for
footnotes and by document order elsewhere (our row position; the SEC's surrogate key,
which it assigns in document order, or its file order where it has none), then every
column the data set has is compared after normalising the two conventions of a
one-record-per-line file that lose information: every number is NUMBER(16,2), rounded to
two decimals (half away from zero, as Oracle rounds), and text holds no line breaks, so
runs of whitespace compare as one space. A column the SEC row's file does not have
(ABSENT_COLUMNS: AFF10B5ONE, which the 2024 Q3 files lack) is not compared for that row
and is listed as not in the data set, instead of counting as a mismatch on every row. What differs is reported, never corrected.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

from form4_assets.tables import PARSED_TABLES, SEC_TABLES_BY_FILE, Table
from form4_assets.warehouse.schema import TABLES

CENT = Decimal("0.01")
MAX_MISMATCHES = 20


@dataclass
class TableAgreement:
    """How one parsed table agrees with its sec_* twin over some filing dates."""

    table: str
    accessions_both: int = 0
    only_ours: list[str] = field(default_factory=list)
    only_sec: list[str] = field(default_factory=list)
    rows_only_ours: int = 0
    rows_only_sec: int = 0
    compared: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    agreed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    mismatches: list[dict[str, Any]] = field(default_factory=list)
    mismatch_count: int = 0
    not_in_sec: list[str] = field(default_factory=list)

    @property
    def fields_compared(self) -> int:
        return sum(self.compared.values())

    @property
    def fields_agreed(self) -> int:
        return sum(self.agreed.values())

    @property
    def agrees(self) -> bool:
        return not (self.only_ours or self.only_sec or self.rows_only_ours or self.rows_only_sec or self.mismatch_count)


def _normalised(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "decimal":
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    if kind == "text":
        return " ".join(str(value).split())
    return value


def _order_key(spec: Table) -> str | None:
    """The column that pairs rows within an accession (None: document order)."""
    return "FOOTNOTE_ID" if "FOOTNOTE_ID" in spec.column_names else None


def _rows_by_accession(conn: sa.Connection, table: sa.Table, dates: Sequence[dt.date],
                       order: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    query = sa.select(table).where(table.c.FILING_DATE.in_(sorted(dates))).order_by(
        table.c.ACCESSION_NUMBER, *(table.c[c] for c in order)
    )
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in conn.execute(query):
        out[row.ACCESSION_NUMBER].append(dict(row._mapping))
    return out


def _pairs(ours: list[dict[str, Any]], sec: list[dict[str, Any]], key: str | None):
    if key is None:
        return list(zip(ours, sec)), len(ours) - min(len(ours), len(sec)), len(sec) - min(len(ours), len(sec))
    mine = {r[key]: r for r in ours}
    theirs = {r[key]: r for r in sec}
    pairs = [(mine[k], theirs[k]) for k in mine if k in theirs]
    return pairs, len(set(mine) - set(theirs)), len(set(theirs) - set(mine))


def reconcile_table(conn: sa.Connection, parsed: Table, dates: Sequence[dt.date]) -> TableAgreement:
    """Compare one parsed table with its sec_* twin for `dates`."""
    assert parsed.sec_file is not None
    sec = SEC_TABLES_BY_FILE[parsed.sec_file]
    ours_position = [c for c in parsed.key if c != "ACCESSION_NUMBER"]
    sec_order = [c.name for c in sec.columns if c.name.endswith("_SK")] or ["SOURCE_LINE"]
    columns = [
        c for c in sec.columns
        if not c.extra and c.name in parsed.column_names and not c.name.endswith("_SK")
        and c.name not in ("ACCESSION_NUMBER", "FILING_DATE")
    ]
    key = _order_key(parsed)
    ours = _rows_by_accession(conn, TABLES[parsed.name], dates, ours_position)
    theirs = _rows_by_accession(conn, TABLES[sec.name], dates, sec_order)
    result = TableAgreement(parsed.name)
    absent: set[str] = set()
    result.only_ours = sorted(set(ours) - set(theirs))
    result.only_sec = sorted(set(theirs) - set(ours))
    for accession in sorted(set(ours) & set(theirs)):
        result.accessions_both += 1
        pairs, extra_ours, extra_sec = _pairs(ours[accession], theirs[accession], key)
        result.rows_only_ours += extra_ours
        result.rows_only_sec += extra_sec
        for position, (mine, sec_row) in enumerate(pairs, 1):
            lacks = set(json.loads(sec_row["ABSENT_COLUMNS"])) if sec_row["ABSENT_COLUMNS"] else set()
            absent |= lacks
            for column in columns:
                if column.name in lacks:
                    continue
                a = _normalised(column.kind, mine[column.name])
                b = _normalised(column.kind, sec_row[column.name])
                result.compared[column.name] += 1
                if a == b:
                    result.agreed[column.name] += 1
                    continue
                result.mismatch_count += 1
                if len(result.mismatches) < MAX_MISMATCHES:
                    result.mismatches.append({
                        "accession": accession, "row": position, "column": column.name,
                        "ours": mine[column.name], "sec": sec_row[column.name],
                        "sec_source": f"{sec_row['SOURCE_FILE']}:{sec_row['SOURCE_LINE']}",
                    })
    result.not_in_sec = [c.name for c in columns if c.name in absent]
    return result


def dates_with_both(conn: sa.Connection, dates: Sequence[dt.date]) -> list[dt.date]:
    """The filing dates among `dates` that have parsed submissions and SEC submissions."""
    found = []
    for name in ("submission", "sec_submission"):
        table = TABLES[name]
        query = sa.select(table.c.FILING_DATE).where(table.c.FILING_DATE.in_(sorted(dates))).distinct()
        found.append({d for (d,) in conn.execute(query)})
    return sorted(found[0] & found[1])


def reconcile(engine: sa.Engine, dates: Sequence[dt.date]) -> tuple[list[dt.date], list[TableAgreement]]:
    """Every parsed table against its SEC twin, over the dates among `dates` where both exist."""
    with engine.connect() as conn:
        both = dates_with_both(conn, dates)
        if not both:
            return [], []
        return both, [reconcile_table(conn, parsed, both) for parsed in PARSED_TABLES]
