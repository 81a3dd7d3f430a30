"""Engines for the warehouse: SQLite by default (WAL, busy timeout), PostgreSQL by URL."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import sqlalchemy as sa

from form4_assets.warehouse.schema import IMPLIED_INDEXES, metadata

SQLITE_BUSY_TIMEOUT_MS = 30_000
#: WAL pages a commit may leave before it checkpoints them into the database file (SQLite's
#: default is 1,000 pages, 4 MiB). A day's write is a few MiB, so at the default nearly every
#: commit also checkpointed: copied the WAL into the file and fsynced both, about 100 ms a day,
#: more than the day's inserts. 16,384 pages (64 MiB at 4 KiB pages) checkpoints every dozen
#: days or so; durability is unchanged (a committed transaction is in the WAL either way, and
#: recovery replays it), and readers find a page in the WAL through its hash index.
SQLITE_WAL_AUTOCHECKPOINT_PAGES = 16_384


def make_engine(url: str) -> sa.Engine:
    """An engine for the warehouse URL, with SQLite set up for concurrent readers.

    SQLite gets WAL journaling and a busy timeout so a reader (the UI, `explain`)
    never blocks a materialization and two writers wait rather than fail with
    "database is locked", and checkpoints less often than its default (see
    SQLITE_WAL_AUTOCHECKPOINT_PAGES).
    """
    if url.startswith("sqlite"):
        database = sa.engine.make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            _switch_to_wal(cursor)
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT_PAGES}")
            cursor.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _switch_to_wal(cursor: sqlite3.Cursor) -> None:
    """Put the database file in WAL mode, waiting out other connections for up to the busy timeout.

    WAL is a property of the file, so only the first connection to a new database really
    switches. That switch needs an exclusive lock, and when another connection holds a
    lock SQLite may answer "database is locked" at once instead of calling the busy
    handler (it does so whenever waiting could deadlock), so several first runs
    connecting together would fail. The retry gives them the same patience as any
    other statement under the busy timeout.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    pause = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.25)


#: Key of the PostgreSQL advisory lock that serialises schema creation.
SCHEMA_LOCK_KEY = 0x46344153  # "F4AS"


def create_schema(engine: sa.Engine) -> None:
    """Create every warehouse table and index that does not exist yet (also the indexes a
    newer version adds to a table that exists).

    Two first runs starting together on an empty PostgreSQL warehouse would both see
    no tables and race in CREATE TABLE ("already exists"), so creation holds a lock:
    a transaction-scoped advisory lock on PostgreSQL, the write lock (BEGIN IMMEDIATE,
    waiting up to the busy timeout) on SQLite, whose driver would otherwise run the DDL
    outside any transaction.
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
        elif conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        _create_missing(conn)


def _create_missing(conn: sa.Connection) -> None:
    """Create the tables that do not exist (with their indexes) and the indexes missing from
    those that do (and drop those `schema.IMPLIED_INDEXES` names), from one look at the
    catalogue: asking table by table and index by index
    (`create_all` and `checkfirst`) is a round trip each, most of a second per run on PostgreSQL."""
    inspector = sa.inspect(conn)
    existing = set(inspector.get_table_names())
    metadata.create_all(conn, tables=[t for t in metadata.sorted_tables if t.name not in existing], checkfirst=False)
    present = [t for t in metadata.sorted_tables if t.name in existing]
    if not present:
        return
    found = inspector.get_multi_indexes(filter_names=[t.name for t in present])
    for table in present:  # indexes added (or made redundant) since an existing warehouse was created
        have = {index["name"] for index in found.get((None, table.name), [])}
        for index in table.indexes:
            if index.name not in have:
                index.create(conn)
        for name in sorted(have & IMPLIED_INDEXES.get(table.name, frozenset())):
            conn.execute(sa.text(f'DROP INDEX "{name}"'))
