"""A run launcher whose runs the daemon's run monitoring can see die.

Dagster's DefaultRunLauncher starts each run as a subprocess of the code server but
cannot tell the run monitor whether that process still lives, so a run killed with -9
(or by the OOM killer) stays STARTED forever, holding its queue and pool slots.
`MonitoredRunLauncher` is the same launcher plus that health check: the run worker's
process id is in its RUN_START event, and a process that is gone, a zombie, or a newer
process that reused the id means the worker died. The daemon's run monitoring
(`run_monitoring: enabled: true` in dagster.yaml) then marks the run failed.

The check reads /proc, so it needs the run workers on the daemon's machine, which is
how the DefaultRunLauncher runs them (code servers started by the daemon and webserver).
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import DagsterEventType, DagsterRun
from dagster._core.launcher.base import CheckRunHealthResult, WorkerStatus
from dagster._core.launcher.default_run_launcher import DefaultRunLauncher


def worker_alive(pid: int, started_at: float) -> bool:
    """Whether process `pid` runs and is the one that started by `started_at` (Unix time)."""
    stat = Path(f"/proc/{pid}/stat")
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: all we can ask is whether the id is in use
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    if fields[0] in ("Z", "X"):  # killed, not yet reaped by the code server
        return False
    boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime"))
    began = boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    return began <= started_at + 1.0  # a process started after the run began reused the id


class MonitoredRunLauncher(DefaultRunLauncher):
    """DefaultRunLauncher with a run-worker health check for Dagster's run monitoring."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        records = self._instance.get_records_for_run(run.run_id, of_type=DagsterEventType.RUN_START, limit=1).records
        if not records or records[0].event_log_entry.dagster_event is None:
            # Not started yet: the monitor's start timeout covers a worker that never starts.
            return CheckRunHealthResult(WorkerStatus.RUNNING, "no RUN_START event yet")
        entry = records[0].event_log_entry
        pid = entry.dagster_event.pid
        if pid is None:
            return CheckRunHealthResult(WorkerStatus.RUNNING, "RUN_START carries no process id")
        if worker_alive(pid, entry.timestamp):
            return CheckRunHealthResult(WorkerStatus.RUNNING, f"run worker process {pid} is alive")
        return CheckRunHealthResult(WorkerStatus.FAILED, f"run worker process {pid} is gone (killed or crashed)")
