"""The local instance's event log (form4_assets.event_storage) with two processes at once.

A run worker in its own process writes events into an instance set up by `prepare_home`
while this process follows the run the way the webserver's run page does (Dagster's
event watcher) and reads it; then the worker is killed with -9 and what it committed
must still be there for a fresh instance.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from form4_assets.event_storage import PooledSqliteEventLogStorage
from form4_assets.instance import prepare_home
from form4_assets_tests.e2e_support import wait_until

REPO = Path(__file__).resolve().parent.parent
EVENTS = 5

WORKER = """
import sys, time
from pathlib import Path
import dagster as dg

go, events = Path(sys.argv[2]), int(sys.argv[3])

@dg.op
def emit(context) -> None:
    while not go.exists():
        time.sleep(0.1)
    for i in range(events):
        context.log_event(dg.AssetMaterialization("watched", metadata={"i": i}))
        time.sleep(0.3)
    time.sleep(600)

@dg.job
def emitter() -> None:
    emit()

emitter.execute_in_process(instance=dg.DagsterInstance.from_config(sys.argv[1]))
"""



def _latest_index(instance: dg.DagsterInstance) -> int | None:
    """The metadata `i` of the latest materialization the index file holds."""
    latest = instance.get_latest_materialization_event(dg.AssetKey("watched"))
    return None if latest is None else latest.asset_materialization.metadata["i"].value


def _materializations(entries) -> list[int]:
    return [e.asset_materialization.metadata["i"].value for e in entries
            if e.dagster_event is not None and e.dagster_event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION]


def test_prepared_home_uses_the_pooled_storage_in_wal_with_synchronous_normal(tmp_path: Path) -> None:
    instance = prepare_home(tmp_path / "home")
    try:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        assert Path(storage._base_dir) == (tmp_path / "home" / "history" / "runs").resolve()
        with storage.index_connection() as conn:
            assert conn.execute(sa.text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert conn.execute(sa.text("PRAGMA synchronous")).scalar_one() == 1  # NORMAL (FULL is 2)
    finally:
        instance.dispose()


@pytest.mark.timeout(180)
def test_a_second_process_follows_a_live_run_and_commits_survive_kill_9(tmp_path: Path) -> None:
    home = tmp_path / "home"
    prepare_home(home).dispose()
    go = tmp_path / "go"
    worker = subprocess.Popen([sys.executable, "-c", WORKER, str(home), str(go), str(EVENTS)],
                              env={**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(REPO)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    instance = dg.DagsterInstance.from_config(str(home))
    seen: list[dg.EventLogEntry] = []
    all_seen = threading.Event()

    def follow(entry: dg.EventLogEntry, _cursor: str) -> None:
        seen.append(entry)
        if len(_materializations(seen)) == EVENTS:
            all_seen.set()

    try:
        run = wait_until(lambda: next(iter(instance.get_runs(limit=1)), None), what="the run to start", timeout=90,
                         interval=0.2)
        instance.watch_event_logs(run.run_id, None, follow)
        go.touch()
        # The watcher is woken by the worker's writes while the run is still going on.
        assert all_seen.wait(60), f"the watcher saw {_materializations(seen)}"
        assert worker.poll() is None
        assert _materializations(instance.all_logs(run.run_id)) == list(range(EVENTS))
        # Dagster writes an event to the run's file, then to the index: killed between the two,
        # the index would rightly lack the last one. Kill only once both have committed it.
        wait_until(lambda: _latest_index(instance) == EVENTS - 1, what="the index to hold the last event",
                   timeout=30, interval=0.2)
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
        instance.end_watch_event_logs(run.run_id, follow)
        instance.dispose()
    fresh = dg.DagsterInstance.from_config(str(home))
    try:
        assert _materializations(fresh.all_logs(run.run_id)) == list(range(EVENTS))
        assert _latest_index(fresh) == EVENTS - 1  # the index file's copy survived the kill
        assert fresh.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED
    finally:
        fresh.dispose()
