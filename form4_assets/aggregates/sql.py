"""Small SQL helpers shared by the aggregate modules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa

from form4_assets.warehouse.schema import TABLES

T = TypeVar("T")

#: Parameters per IN (...) list: well below SQLite's limit (32766) and kind to PostgreSQL.
CHUNK = 5000
ZERO = Decimal(0)


def chunks(values: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """Sorted, de-duplicated values in lists of at most `size` (for IN lists)."""
    items = sorted(set(values))  # type: ignore[type-var]
    for start in range(0, len(items), size):
        yield items[start : start + size]


def table(name: str) -> sa.Table:
    return TABLES[name]


def fetch(conn: sa.Connection, query: sa.Select) -> list[dict[str, Any]]:
    """Rows of a query as plain dicts keyed by column label (zipped from the row tuples:
    a RowMapping per row costs several times as much on the aggregates' large reads)."""
    result = conn.execute(query)
    keys = list(result.keys())
    return [dict(zip(keys, row)) for row in result]


def superseded_as_of(accession: sa.ColumnElement[Any], as_of: dt.date | sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """True when an amendment filed on or before `as_of` supersedes `accession`.

    This is how every aggregate applies amendments that arrived after the rows they
    replace: at read time, through the supersessions table, never by rewriting the
    earlier partition.
    """
    sup = TABLES["supersessions"]
    return sa.exists().where(sup.c.SUPERSEDED_ACCESSION == accession, sup.c.FILING_DATE <= as_of)


def effective_as_of(as_of: dt.date, *columns: str) -> sa.Select:
    """effective_transactions rows that count as of `as_of`: filed by then, not superseded by then."""
    et = TABLES["effective_transactions"]
    cols = [et.c[c] for c in columns] if columns else [et]
    return sa.select(*cols).where(
        et.c.FILING_DATE <= as_of, ~superseded_as_of(et.c.ACCESSION_NUMBER, as_of)
    )
