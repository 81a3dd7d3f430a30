"""Partition writes and reads: the only way rows enter the warehouse.

A partition is a filing date. `replace_partitions` deletes every row of the given
dates from the named tables and inserts the new rows in ONE transaction, so a re-run
gives identical tables and a run killed midway (or an insert that fails) leaves the
previous state. Inserts go through SQLAlchemy Core executemany with lists of dicts,
which the drivers batch (SQLite executemany, psycopg2 "insertmanyvalues").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from form4_assets.warehouse.schema import TABLES


def _table(name: str) -> sa.Table:
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"no warehouse table named {name!r} (known: {', '.join(sorted(TABLES))})") from None


def _normalised(table: sa.Table, rows: Iterable[Mapping[str, Any]], dates: frozenset[dt.date]) -> list[dict[str, Any]]:
    """Rows with every column present (absent → NULL), checked against the partition.

    executemany compiles one statement for the whole batch, so every dict must carry the
    same keys; a row outside `dates` would survive the next re-run's delete and break
    idempotency, and an unknown column is a programming error worth naming.
    """
    names = [c.name for c in table.columns]
    known = set(names)
    out: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        unknown = set(row) - known
        if unknown:
            raise ValueError(f"{table.name} row {i}: unknown column(s) {', '.join(sorted(unknown))}")
        if row.get("FILING_DATE") not in dates:
            raise ValueError(
                f"{table.name} row {i} (ACCESSION_NUMBER={row.get('ACCESSION_NUMBER')}): "
                f"FILING_DATE {row.get('FILING_DATE')} is not one of the partitions being replaced"
            )
        out.append({name: row.get(name) for name in names})
    return out


def replace_partitions(
    engine: sa.Engine, dates: Sequence[dt.date], tables: Mapping[str, Sequence[Mapping[str, Any]]]
) -> dict[str, int]:
    """Replace the rows of `dates` in each named table by `tables[name]`, atomically.

    Returns the number of rows inserted per table. Raises (and changes nothing) when a
    row is malformed or the database rejects an insert.
    """
    wanted = frozenset(dates)
    prepared = {name: (_table(name), _normalised(_table(name), rows, wanted)) for name, rows in tables.items()}
    with engine.begin() as conn:
        for table, rows in prepared.values():
            conn.execute(table.delete().where(table.c.FILING_DATE.in_(sorted(wanted))))
            if rows:
                conn.execute(table.insert(), rows)
    return {name: len(rows) for name, (_, rows) in prepared.items()}


def count_rows(engine: sa.Engine, name: str, dates: Sequence[dt.date]) -> int:
    """Rows of a table in the given partitions."""
    table = _table(name)
    query = sa.select(sa.func.count()).select_from(table).where(table.c.FILING_DATE.in_(sorted(set(dates))))
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def count_rows_by_date(engine: sa.Engine, name: str, dates: Sequence[dt.date]) -> dict[dt.date, int]:
    """Rows of a table per partition, every one of `dates` present (0 when empty), in one query."""
    table = _table(name)
    wanted = sorted(set(dates))
    query = (
        sa.select(table.c.FILING_DATE, sa.func.count())
        .where(table.c.FILING_DATE.in_(wanted))
        .group_by(table.c.FILING_DATE)
    )
    counts = dict.fromkeys(wanted, 0)
    with engine.connect() as conn:
        for day, n in conn.execute(query):
            counts[day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))] = int(n)
    return counts


def preview_rows(
    engine: sa.Engine, name: str, dates: Sequence[dt.date], columns: Sequence[str], limit: int = 5
) -> list[dict[str, Any]]:
    """A few rows of the given partitions in key order, for a metadata preview."""
    table = _table(name)
    key = [c for c in table.primary_key.columns]
    query = (
        sa.select(*(table.c[c] for c in columns))
        .where(table.c.FILING_DATE.in_(sorted(set(dates))))
        .order_by(*key)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def read_partition(engine: sa.Engine, name: str, day: dt.date) -> list[dict[str, Any]]:
    """Every row of one partition of a table, in key order."""
    table = _table(name)
    query = sa.select(table).where(table.c.FILING_DATE == day).order_by(*table.primary_key.columns)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def replace_dataset_rows(
    engine: sa.Engine,
    dates: Sequence[dt.date],
    sources: Sequence[str],
    tables: Sequence[str],
    rows: Iterable[tuple[str, Mapping[str, Any]]],
    batch: int = 10_000,
) -> dict[str, int]:
    """Replace, in ONE transaction, the rows of `dates` that came from the data sets `sources`.

    For tables filled from bulk files (the sec_* tables): a partition holds the rows of
    every data set imported for its date (a filing accepted late on a quarter's last day is
    in the next quarter's file), so re-importing one data set replaces its own rows only
    (SOURCE_FILE is '<data set>/<file>'). `rows` is streamed and inserted in batches, so
    memory holds one batch whatever the data set's size.
    """
    wanted = frozenset(dates)
    specs = {name: _table(name) for name in tables}
    counts = dict.fromkeys(tables, 0)
    pending: dict[str, list[Mapping[str, Any]]] = {name: [] for name in tables}
    with engine.begin() as conn:
        for table in specs.values():
            for source in sources:
                conn.execute(
                    table.delete().where(
                        table.c.FILING_DATE.in_(sorted(wanted)), table.c.SOURCE_FILE.startswith(f"{source}/", autoescape=True)
                    )
                )

        def flush(name: str) -> None:
            if pending[name]:
                conn.execute(specs[name].insert(), _normalised(specs[name], pending[name], wanted))
                counts[name] += len(pending[name])
                pending[name] = []

        for name, row in rows:
            pending[name].append(row)
            if len(pending[name]) >= batch:
                flush(name)
        for name in tables:
            flush(name)
    return counts
