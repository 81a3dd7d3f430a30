"""Partition writes and reads: the only way rows enter the warehouse.

A partition is a filing date. `replace_partitions` deletes every row of the given
dates from the named tables and inserts the new rows in ONE transaction, so a re-run
gives identical tables and a run killed midway (or an insert that fails) leaves the
previous state. Inserts bind each row as a tuple with the columns' own SQLAlchemy type
processors and hand the batch to the driver's bulk path (sqlite3 executemany, PostgreSQL
COPY): per-row parameter dicts cost more than the database's own work.

Every write holds the warehouse's write lock (`write_transaction`), so concurrent runs
write one at a time, and an aggregate computed inside the lock reads a state no other
writer changes under it. Each write also records, per table and filing date, its place
in the write order and whether the rows changed (`partition_versions`): that is how an
aggregate partition computed before an earlier date changed is found stale
(form4_assets.aggregates.staleness).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from form4_assets.warehouse.pgcopy import NotCopyable, copy_payload, copy_rows
from form4_assets.warehouse.schema import PARTITION_VERSIONS_TABLE, TABLES, ExactDecimal

#: Key of the PostgreSQL advisory lock that serialises partition writes ("F4WR"); the
#: second key is the schema's hash, so warehouses in other schemas do not wait for it.
WRITE_LOCK_KEY = 0x46345752


@contextmanager
def write_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A transaction holding the warehouse write lock until it commits or rolls back.

    PostgreSQL: a transaction-scoped advisory lock (per schema). SQLite: BEGIN IMMEDIATE,
    its write lock, waiting up to the busy timeout. Reads inside see a state that no other
    writer changes before the commit, which is what an aggregate recompute needs.
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                sa.text("SELECT pg_advisory_xact_lock(:key, hashtext(current_schema()))"), {"key": WRITE_LOCK_KEY}
            )
        elif conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        yield conn


def _table(name: str) -> sa.Table:
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"no warehouse table named {name!r} (known: {', '.join(sorted(TABLES))})") from None


#: Column types whose bound value is remembered per value of exactly this class (see `_bind`).
#: Not date-times: equal aware date-times in two zones are written differently.
_REMEMBERED: tuple[tuple[type, type], ...] = ((sa.Date, dt.date), (ExactDecimal, Decimal), (sa.Boolean, bool))


def _tuples(table: sa.Table, rows: Iterable[Mapping[str, Any]], dates: frozenset[dt.date],
            dialect: sa.Dialect) -> list[tuple[Any, ...]]:
    """Rows as tuples in column order (absent → NULL), bound for the driver, checked against the partition
    (see `_bind`)."""
    return _bind(table, rows, dates, dialect)[0]


def _bind(table: sa.Table, rows: Iterable[Mapping[str, Any]], dates: frozenset[dt.date],
          dialect: sa.Dialect) -> tuple[list[tuple[Any, ...]], dict[dt.date, list[tuple[Any, ...]]]]:
    """Rows as tuples in column order (absent → NULL), bound for the driver, checked against
    the partition; and the same tuples grouped by FILING_DATE (every one of `dates` present).

    The column types' own bind processors convert each value (dates, decimals, flags, and
    any TypeDecorator of the schema), exactly as SQLAlchemy would for a dict, but without
    compiling and processing one parameter dict per row. NULL binds as NULL (as for every
    type of the schema). A date's, an exact decimal's or a flag's conversion is remembered per value
    for the call, keyed by values of exactly that class (a day's rows share a handful of
    dates and many amounts; equal values of the class bind alike, and a refused value is
    never remembered, so it is refused each time). A row outside `dates` would survive the
    next re-run's delete and break idempotency, and an unknown column is a programming
    error worth naming. A value its type refuses raises StatementError (as SQLAlchemy's own
    binding would), before the transaction starts.
    """
    names = [c.name for c in table.columns]
    known = frozenset(names)
    processors = []
    for i, c in enumerate(table.columns):
        process = c.type._cached_bind_processor(dialect)
        if process is not None:
            remembered = next((cls for kind, cls in _REMEMBERED if isinstance(c.type, kind)), None)
            processors.append((i, process, remembered, {}))
    out: list[tuple[Any, ...]] = []
    by_day: dict[dt.date, list[tuple[Any, ...]]] = {day: [] for day in dates}
    for i, row in enumerate(rows):
        if not known.issuperset(row):
            raise ValueError(f"{table.name} row {i}: unknown column(s) {', '.join(sorted(set(row) - known))}")
        day_rows = by_day.get(row.get("FILING_DATE"))
        if day_rows is None:
            raise ValueError(
                f"{table.name} row {i} (ACCESSION_NUMBER={row.get('ACCESSION_NUMBER')}): "
                f"FILING_DATE {row.get('FILING_DATE')} is not one of the partitions being replaced"
            )
        values = list(map(row.get, names))
        for k, process, remembered, memo in processors:
            value = values[k]
            if value is None:
                continue
            if value.__class__ is remembered:
                bound = memo.get(value)
                if bound is not None:
                    values[k] = bound
                    continue
            try:
                bound = process(value)
            except (TypeError, ValueError) as exc:  # e.g. a decimal the storage cannot hold exactly
                # The error SQLAlchemy raises when a bind processor refuses a value, naming where.
                raise sa.exc.StatementError(
                    f"{table.name} row {i} (ACCESSION_NUMBER={row.get('ACCESSION_NUMBER')}), column {names[k]}: {exc}",
                    f"INSERT INTO {table.name}", {names[k]: value}, exc,
                ) from exc
            if value.__class__ is remembered:
                memo[value] = bound
            values[k] = bound
        bound_row = tuple(values)
        out.append(bound_row)
        day_rows.append(bound_row)
    return out, by_day


def _insert(conn: sa.Connection, table: sa.Table, rows: list[tuple[Any, ...]]) -> None:
    """Insert bound tuples with the driver's bulk path: sqlite3 executemany, or PostgreSQL's
    COPY (form4_assets.warehouse.pgcopy); psycopg2's execute_values (one multi-row INSERT per
    page of rows) only for rows holding a value COPY's text cannot carry exactly."""
    prep = conn.dialect.identifier_preparer
    target = f"{prep.format_table(table)} ({', '.join(prep.quote(c.name) for c in table.columns)})"
    if conn.dialect.name != "postgresql":
        conn.exec_driver_sql(f"INSERT INTO {target} VALUES ({', '.join('?' * len(table.columns))})", rows)
        return
    try:
        payload = copy_payload(rows)
    except NotCopyable:
        payload = None
    if payload is not None:
        copy_rows(conn, target, payload)
        return
    from psycopg2.extras import execute_values

    head = f"INSERT INTO {target} VALUES "
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        execute_values(cursor, head + "%s", rows, page_size=1000)
    except conn.dialect.loaded_dbapi.Error as exc:
        # The same exception classes as a SQLAlchemy insert raises (IntegrityError, ...).
        raise sa.exc.DBAPIError.instance(head, None, exc, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect) from exc
    finally:
        cursor.close()


def replace_partitions(
    engine: sa.Engine, dates: Sequence[dt.date], tables: Mapping[str, Sequence[Mapping[str, Any]]]
) -> dict[str, int]:
    """Replace the rows of `dates` in each named table by `tables[name]`, atomically.

    Returns the number of rows inserted per table. Raises (and changes nothing) when a
    row is malformed or the database rejects an insert.
    """
    with write_transaction(engine) as conn:
        return replace_partitions_in(conn, dates, tables)


def replace_partitions_in(
    conn: sa.Connection, dates: Sequence[dt.date], tables: Mapping[str, Sequence[Mapping[str, Any]]]
) -> dict[str, int]:
    """`replace_partitions` inside the caller's `write_transaction` (to compute and write under one lock)."""
    wanted = frozenset(dates)
    prepared = {name: (_table(name), rows) for name, rows in tables.items()}
    bound = {name: _bind(table, rows, wanted, conn.dialect) for name, (table, rows) in prepared.items()}
    digests = {(name, day): _digest(rows) for name, (_, by_day) in bound.items() for day, rows in by_day.items()}
    for name, (table, _) in prepared.items():
        conn.execute(table.delete().where(table.c.FILING_DATE.in_(sorted(wanted))))
        if bound[name][0]:
            _insert(conn, table, bound[name][0])
    record_versions(conn, digests)
    return {name: len(rows) for name, (_, rows) in prepared.items()}


def bind_partition(conn: sa.Connection, name: str, day: dt.date, rows: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """Rows of one partition of a table bound for the driver, exactly as `replace_partitions_in`
    binds them (checked against the partition): for a writer that keeps bound rows from one
    write to the next (`replace_partition_carrying_in`)."""
    return _bind(_table(name), rows, frozenset([day]), conn.dialect)[0]


def bound_date(conn: sa.Connection, day: dt.date) -> Any:
    """A date as partition writes bind it (the FILING_DATE of every bound row of partition `day`)."""
    process = sa.Date()._cached_bind_processor(conn.dialect)
    return day if process is None else process(day)


@dataclass(frozen=True)
class Carried:
    """Rows of a partition that are already stored (under another date) and are copied by one
    INSERT ... SELECT instead of being inserted again row by row: a window aggregate's rows that
    did not change since the previous date."""

    insert: sa.Executable  # copies exactly the carried rows (those of `bound` not `fresh`) into the partition


def replace_partition_carrying_in(
    conn: sa.Connection, name: str, day: dt.date, bound: Sequence[tuple[Any, ...]],
    fresh: Sequence[tuple[Any, ...]], carried: Carried | None,
) -> int:
    """`replace_partitions_in` for one table and date, from rows already bound (`bind_partition`).

    `bound` is every row of the partition in key order: the digest (so partition_versions) and the
    count cover them all, exactly as `replace_partitions_in` gives for the same rows (a re-run
    through either path records no change). `fresh` are the rows to insert; `carried` copies the
    others (None: `fresh` is every row), and must write exactly those, as many, else the transaction
    fails. The caller keeps the bound tuples of rows that did not change, so they are neither bound
    nor sent again.
    """
    table = _table(name)
    at, stamp = list(table.columns.keys()).index("FILING_DATE"), bound_date(conn, day)
    if any(row[at] != stamp for row in bound):  # it would survive the next re-run's delete
        raise ValueError(f"{name} {day}: a bound row's FILING_DATE is not the partition's")
    expected = len(bound) - len(fresh)
    if carried is None and expected:
        raise ValueError(f"{name} {day}: {expected} rows neither fresh nor carried")
    digests = {(name, day): _digest(list(bound))}
    conn.execute(table.delete().where(table.c.FILING_DATE == day))
    if fresh:
        _insert(conn, table, list(fresh))
    if carried is not None:
        copied = conn.execute(carried.insert).rowcount
        if copied != expected:
            raise RuntimeError(f"{name} {day}: carried {copied} rows where {expected} were expected")
    record_versions(conn, digests)
    return len(bound)


def mark_rewritten(conn: sa.Connection, partitions: Iterable[tuple[str, dt.date]]) -> None:
    """Record that rows of these (table, date) partitions were changed in place (not replaced whole)."""
    record_versions(conn, {key: None for key in partitions})


def _digest(rows: list[tuple[Any, ...]]) -> str:
    """SHA-256 of one date's rows as bound for the database, in the order given (same stored
    rows in the same order, same digest). The bound tuples are what the table will hold,
    and one `repr` of the list costs far less than one per row."""
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def record_versions(conn: sa.Connection, digests: Mapping[tuple[str, dt.date], str | None]) -> None:
    """Give these partitions the next write-order number; CHANGED_SEQ moves only when the rows did.

    Runs under the write lock, so the numbers follow the commit order. A digest of None
    (a partial rewrite) always counts as a change.
    """
    if not digests:
        return
    v = PARTITION_VERSIONS_TABLE
    seq = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(v.c.WRITTEN_SEQ), 0))).scalar_one()) + 1
    names = sorted({name for name, _ in digests})
    days = sorted({day for _, day in digests})
    where = v.c.TABLE_NAME.in_(names) & v.c.FILING_DATE.in_(days)
    before = {
        (r.TABLE_NAME, r.FILING_DATE): (r.CHANGED_SEQ, r.DIGEST)
        for r in conn.execute(sa.select(v.c.TABLE_NAME, v.c.FILING_DATE, v.c.CHANGED_SEQ, v.c.DIGEST).where(where))
    }
    rows = []
    for (name, day), digest in digests.items():
        old_changed, old_digest = before.get((name, day), (None, None))
        unchanged = digest is not None and digest == old_digest
        rows.append({"TABLE_NAME": name, "FILING_DATE": day, "WRITTEN_SEQ": seq,
                     "CHANGED_SEQ": old_changed if unchanged else seq, "DIGEST": digest})
    conn.execute(v.delete().where(where, sa.tuple_(v.c.TABLE_NAME, v.c.FILING_DATE).in_(list(digests))))
    conn.execute(v.insert(), rows)


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

