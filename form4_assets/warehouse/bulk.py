"""Bulk writes of rows read from files (the sec_* tables): millions of rows in one transaction.

The partition path (`store.replace_partitions`) takes a day's rows as dicts. A year of the
SEC's data sets is 1.5M rows, and there per-row dicts and one bind call per value cost
more than the database's own work. Here rows come as tuples in the table's column order
holding the warehouse's values (exact Decimals, dates, booleans), and each batch is bound
column by column, only for the columns whose type converts (decimals through the one
exact conversion of `schema.to_sql_decimal` with its quick path, dates remembered as they repeat), then handed
to the driver's bulk path: sqlite3 `executemany`, PostgreSQL `COPY ... FROM STDIN`.
Every write holds the warehouse write lock (`store.write_transaction`) and records each
(table, filing date) in `partition_versions`, like a partition write, so the aggregates
built from these rows are found stale when a re-import changes them. A partition holds
the rows of several data sets (a quarter's last day is in the next quarter's file too) and
an import replaces its own only, so the partition's digest is a JSON object of one entry
per data set, and an import replaces the entries of its own data sets. An entry is the data
set's fingerprint (its files' checksums: a row's values follow from its file, and its date
from SUBMISSION) with the count of the date's rows: re-importing unchanged files changes no
digest, and a changed data set counts as a change on every date it fills. Hashing the bound
rows per date instead, as the partition writes do, would cost several seconds a year.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from form4_assets.warehouse.pgcopy import copy_payload, copy_rows
from form4_assets.warehouse.schema import PARTITION_VERSIONS_TABLE, TABLES
from form4_assets.warehouse.store import record_versions, write_transaction

BATCH_ROWS = 20_000


def replace_dataset_rows(
    engine: sa.Engine,
    dates: Sequence[dt.date],
    sources: Mapping[str, str],
    tables: Sequence[str],
    rows: Iterable[tuple[str, tuple[Any, ...]]],
    batch: int = BATCH_ROWS,
) -> dict[str, int]:
    """Replace, in ONE transaction, the rows of `dates` that came from the data sets `sources`
    (name -> fingerprint, `form345.dataset.Dataset.fingerprint`).

    For tables filled from bulk files (the sec_* tables): a partition holds the rows of
    every data set imported for its date (a filing accepted late on a quarter's last day is
    in the next quarter's file), so re-importing one data set replaces its own rows only
    (SOURCE_FILE is '<data set>/<file>'). `rows` is streamed, each row a tuple in its table's
    column order, and written in batches, so memory holds one batch whatever the data set's
    size. Raises (and changes nothing) when a row is outside `dates`, has the wrong width, or
    holds a value its column cannot store exactly.
    """
    wanted = frozenset(dates)
    writers = {name: _Writer(TABLES[name], wanted) for name in tables}
    pending: dict[str, list[tuple[Any, ...]]] = {name: [] for name in tables}
    with write_transaction(engine) as conn:
        for writer in writers.values():
            table = writer.table
            for source in sources:
                conn.execute(table.delete().where(
                    table.c.FILING_DATE.in_(sorted(wanted)), table.c.SOURCE_FILE.startswith(f"{source}/", autoescape=True)
                ))
        # SQLite: the secondary indexes are built once at the end, sorting (CREATE INDEX), instead of
        # taking each row at a random place (accessions and dates are in no order in the files),
        # which costs more than the rows themselves; inside the transaction, so readers and a
        # failed import see the indexes as they were. PostgreSQL keeps them: dropping one would
        # lock the table's readers out for the whole import.
        rebuilt = [index for w in writers.values() for index in w.table.indexes] if conn.dialect.name == "sqlite" else []
        for index in rebuilt:
            index.drop(conn)
        for name, row in rows:
            waiting = pending[name]
            # A batch holds one file's rows (counted per date and data set).
            at = writers[name].source_file
            if len(waiting) >= batch or (waiting and waiting[-1][at] != row[at]):
                writers[name].write(conn, waiting)
                pending[name] = waiting = []
            waiting.append(row)
        for name, waiting in pending.items():
            writers[name].write(conn, waiting)
        for index in rebuilt:
            index.create(conn)
        _record_dataset_versions(conn, writers, sorted(wanted), sources)
    return {name: writer.written for name, writer in writers.items()}


def _record_dataset_versions(conn: sa.Connection, writers: dict[str, _Writer], dates: Sequence[dt.date],
                             sources: Mapping[str, str]) -> None:
    """partition_versions of every (table, date) of the import: the data sets written replace their
    entries of each partition's digest, the others' entries are kept."""
    v = PARTITION_VERSIONS_TABLE
    query = sa.select(v.c.TABLE_NAME, v.c.FILING_DATE, v.c.DIGEST).where(
        v.c.TABLE_NAME.in_(sorted(writers)), v.c.FILING_DATE.in_(dates))
    before = {(name, day): digest for name, day, digest in conn.execute(query)}
    replaced = set(sources)
    digests: dict[tuple[str, dt.date], str | None] = {}
    for name, writer in writers.items():
        for day in dates:
            try:
                entries = json.loads(before.get((name, day)) or "{}")
            except ValueError:
                entries = None
            if not isinstance(entries, dict):
                digests[(name, day)] = None  # not written by this path: a change
                continue
            entries = {source: d for source, d in entries.items() if source not in replaced}
            for source_file, count in writer.counts.get(day, {}).items():
                data_set = source_file.split("/", 1)[0]
                entries[data_set] = f"{sources[data_set]}:{count}"
            digests[(name, day)] = json.dumps(entries, sort_keys=True)
    record_versions(conn, digests)


class _Writer:
    """Binds and inserts batches of one table's rows."""

    def __init__(self, table: sa.Table, dates: frozenset[dt.date]) -> None:
        self.table = table
        self.dates = dates
        self.names = [c.name for c in table.columns]
        self.filing_date = self.names.index("FILING_DATE")
        self.source_file = self.names.index("SOURCE_FILE")
        self.written = 0
        #: date -> source file -> rows of that date written from it
        self.counts: dict[dt.date, Counter[str]] = defaultdict(Counter)
        self._processors: dict[str, list[tuple[int, Callable[[Any], Any]]]] = {}

    def processors(self, dialect: sa.Dialect) -> list[tuple[int, Callable[[Any], Any]]]:
        """(column position, bind processor) of the columns whose type converts on this dialect."""
        if dialect.name not in self._processors:
            found = []
            for i, column in enumerate(self.table.columns):
                process = column.type._cached_bind_processor(dialect)
                if isinstance(column.type, sa.Date) and process is not None:
                    process = _remembered(process)
                if process is not None:
                    found.append((i, process))
            self._processors[dialect.name] = found
        return self._processors[dialect.name]

    def bound_columns(self, dialect: sa.Dialect, rows: list[tuple[Any, ...]]) -> list[Sequence[Any]]:
        """The batch column by column, checked against the partitions and bound for the driver."""
        width = len(self.names)
        if any(len(row) != width for row in rows):
            bad = next(i for i, row in enumerate(rows) if len(row) != width)
            raise ValueError(f"{self.table.name} row {self.written + bad}: {len(rows[bad])} values for {width} columns")
        columns: list[Sequence[Any]] = list(zip(*rows))
        outside = set(columns[self.filing_date]) - self.dates
        if outside:
            bad = next(i for i, row in enumerate(rows) if row[self.filing_date] in outside)
            raise ValueError(f"{self.table.name} row {self.written + bad} ({self._where(rows[bad])}): FILING_DATE "
                             f"{rows[bad][self.filing_date]} is not one of the partitions being replaced")
        for k, process in self.processors(dialect):
            try:
                columns[k] = list(map(process, columns[k]))
            except (TypeError, ValueError) as exc:  # e.g. a decimal the storage cannot hold exactly
                bad = next(i for i, row in enumerate(rows) if _refuses(process, row[k]))
                raise sa.exc.StatementError(
                    f"{self.table.name} row {self.written + bad} ({self._where(rows[bad])}), column {self.names[k]}: {exc}",
                    f"INSERT INTO {self.table.name}", {self.names[k]: rows[bad][k]}, exc,
                ) from exc
        return columns

    def _where(self, row: tuple[Any, ...]) -> str:
        key = [c.name for c in self.table.primary_key.columns]
        return ", ".join(f"{name}={row[self.names.index(name)]}" for name in key)

    def write(self, conn: sa.Connection, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        source = rows[0][self.source_file]  # a batch holds one file's rows
        for day, count in Counter(map(itemgetter(self.filing_date), rows)).items():
            self.counts[day][source] += count
        columns = self.bound_columns(conn.dialect, rows)
        prep = conn.dialect.identifier_preparer
        target = f"{prep.format_table(self.table)} ({', '.join(prep.quote(name) for name in self.names)})"
        if conn.dialect.name == "postgresql":
            copy_rows(conn, target, copy_payload(zip(*columns)))  # one stream, not a statement per page
        else:
            conn.exec_driver_sql(f"INSERT INTO {target} VALUES ({', '.join('?' * len(self.names))})", list(zip(*columns)))
        self.written += len(rows)


def _remembered(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A bind processor that remembers its results (dates repeat: every row has FILING_DATE)."""
    seen: dict[Any, Any] = {}

    def bind(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            seen[value] = result = process(value)
            return result
    return bind


def _refuses(process: Callable[[Any], Any], value: Any) -> bool:
    try:
        process(value)
    except (TypeError, ValueError):
        return True
    return False
