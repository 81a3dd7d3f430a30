"""A local Dagster instance (DAGSTER_HOME) set up before its first run.

`prepare_home` writes the instance's dagster.yaml (unless the user has their own) and
creates the instance storage, under a file lock, before anything runs. Without that,
the first processes to open a new home each create Dagster's SQLite storage at the same
moment and one fails (`table secondary_indexes already exists`); a team instance on
PostgreSQL gets the same by `dagster instance migrate` once at set-up (deploy/dagster.yaml).

The dagster.yaml turns off the UI's community pop-up (nux), sets telemetry as asked (off
unless the user opts in), and enables run monitoring with `MonitoredRunLauncher`, so a
run whose process is killed is marked failed instead of staying STARTED.
"""

from __future__ import annotations

import fcntl
import json
from pathlib import Path

import dagster as dg

#: First line of the dagster.yaml this module writes; a file without it is the user's and is kept.
MARKER = "# Written by form4-assets for a local Dagster instance"
#: How often the daemon's run monitor looks at started runs (seconds): cheap on a laptop.
MONITOR_POLL_SECONDS = 10

_TEMPLATE = """{marker} (rewritten by `form4-assets demo` / `init-instance`;
# remove this first line to keep your own edits). Storage: SQLite files in this directory.
telemetry:
  enabled: {telemetry}
nux:
  enabled: false
# A run whose process dies (kill -9, out of memory) is marked failed by the daemon's run
# monitor: MonitoredRunLauncher is Dagster's default launcher plus a run-worker health check.
run_launcher:
  module: form4_assets.launcher
  class: MonitoredRunLauncher
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  max_resume_run_attempts: 0
  poll_interval_seconds: {poll}
# Dagster's SQLite event log (the same files) keeping its connections open: Dagster's own opens
# a new one and syncs to disk for every event, tens of milliseconds each (form4_assets.event_storage).
event_log_storage:
  module: form4_assets.event_storage
  class: PooledSqliteEventLogStorage
  config:
    base_dir: {event_logs}
"""


def instance_yaml(home: Path, telemetry: bool = False, poll_seconds: int = MONITOR_POLL_SECONDS) -> str:
    """The dagster.yaml of the instance at `home` (its event logs where Dagster's default puts them)."""
    event_logs = json.dumps(str(home.resolve() / "history" / "runs"))  # a quoted YAML string
    return _TEMPLATE.format(marker=MARKER, telemetry=str(telemetry).lower(), poll=poll_seconds, event_logs=event_logs)


def prepare_home(home: Path, *, telemetry: bool = False) -> dg.DagsterInstance:
    """The instance at `home`, its dagster.yaml written (when not the user's own) and storage created.

    Several processes may call this at once on a new home: a lock file serialises them,
    so exactly one creates the storage and the others open it.
    """
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    with (home / ".form4_assets.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not config.exists() or config.read_text(encoding="utf-8").startswith(MARKER):
                config.write_text(instance_yaml(home, telemetry), encoding="utf-8")
            instance = dg.DagsterInstance.from_config(str(home))
            instance.get_runs(limit=1)  # every storage is created by now; touch them to be sure
            instance.all_instigator_state()
            instance.get_latest_materialization_events([dg.AssetKey("raw_filings")])
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return instance

