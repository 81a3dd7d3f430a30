"""Dagster's SQLite event log, without a new engine, a new connection and an fsync per event.

Dagster's `SqliteEventLogStorage` keeps a SQLite file per run plus an index file, and opens
each of them anew for every read and write: an engine with `NullPool`, one connection, then
`dispose()`. In WAL mode the last connection to close a file checkpoints it into the
database, and the default `synchronous=FULL` syncs every commit, so each event of a run
costs tens of milliseconds: a range run over a year (about 17,000 events) spends minutes
in Dagster's storage alone, next to seconds on the ephemeral instance.

`PooledSqliteEventLogStorage` is the same storage (same files, same schema, same queries:
only `_connect` differs) with one engine per file kept open, a small pool of connections,
and `PRAGMA synchronous=NORMAL` on connections to files in WAL mode. Durability: a commit
survives the death of the process that made it (kill -9, out of memory), because it is in
the WAL file the operating system holds; only an operating-system crash or power loss may
lose the last commits before the next checkpoint (the database itself stays consistent).

Several processes (webserver, daemon, run workers) still share the files: WAL lets readers
read while one writer writes, and pooled connections are idle between uses (no open read
transaction holds a checkpoint back). The engines of the most recently used run files are
kept (`MAX_RUN_ENGINES`), the index file's always. The webserver follows a live run by
watching its file for changes; with connections kept open, commits change only the `-wal`
file until a checkpoint, so the watcher here watches both.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster._core.event_api import EventHandlerFn
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
    SqliteEventLogStorageWatchdog,
)
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool
from watchdog.events import FileSystemEvent

#: Run files whose engines (one open connection each) stay open; older ones are disposed.
MAX_RUN_ENGINES = 8


def _sync_normal_in_wal(dbapi_connection: Any, _record: Any) -> None:
    """On each new connection: `synchronous=NORMAL` if the file is in WAL mode (elsewhere it is
    not crash-safe, so a file in another journal mode keeps SQLite's default FULL)."""
    cursor = dbapi_connection.cursor()
    try:
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() == "wal":
            cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage with an engine and connection pool kept per file (see the module)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(  # ty: ignore[invalid-method-override]
        cls, inst_data: ConfigurableClassData | None, config_value: Any
    ) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        """The engine of a shard's file (created on first use); called under `_db_lock`."""
        if self._engines_pid != os.getpid():  # a forked child: the parent's connections are not its own
            for inherited in self._engines.values():
                inherited.dispose(close=False)
            self._engines.clear()
            self._engines_pid = os.getpid()
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        # One connection in the pool (`_db_lock` serialises every use); the overflow is for
        # Dagster's schema set-up, which inspects the file while holding a connection.
        engine = create_engine(
            self.conn_string_for_shard(shard),
            poolclass=QueuePool,
            pool_size=1,
            max_overflow=4,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        event.listen(engine, "connect", _sync_normal_in_wal)
        self._engines[shard] = engine
        runs = [s for s in self._engines if s != INDEX_SHARD_NAME]
        for old in runs[: max(len(runs) - MAX_RUN_ENGINES, 0)]:
            self._engines.pop(old).dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
                # A new file is switched to WAL by `_initdb`: connections made before that
                # kept synchronous=FULL, so they go and the next ones get NORMAL.
                engine.dispose()
            with engine.connect() as conn, conn.begin():
                yield conn

    def _dispose_engines(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        self._dispose_engines()  # the run files are deleted: no connection may keep them open
        super().wipe()

    def dispose(self) -> None:
        super().dispose()
        self._dispose_engines()

    def watch(self, run_id: str, cursor: str | None, callback: EventHandlerFn) -> None:
        """Dagster's `watch`, with a watcher that also sees the run file's WAL change."""
        from watchdog.observers import Observer

        if not self._obs:
            self._obs = Observer()
            self._obs.start()
        watchdog = _WalWatchdog(self, run_id, callback, cursor)
        self._watchers[run_id][callback] = (watchdog, self._obs.schedule(watchdog, self._base_dir, recursive=True))


class _WalWatchdog(SqliteEventLogStorageWatchdog):
    """Dagster's run-file watcher, also woken by writes to the file's `-wal` (where commits land
    between checkpoints when connections stay open)."""

    @property
    def patterns(self) -> list[str]:
        return [self._log_path, f"{self._log_path}-wal"]

    def on_modified(self, event: FileSystemEvent) -> None:
        self._process_log()
