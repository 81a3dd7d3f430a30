"""What the benchmarks share: a run's step times and a child run's JSON line.

The benchmark scripts are run as files (`python benchmarks/year.py`), so their own
folder is on the import path and they import this module as `steps`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def step_seconds(instance: Any, run_id: str) -> dict[str, float]:
    """Wall time of each step of a run, from its STEP_START / STEP_SUCCESS events."""
    started: dict[str, float] = {}
    took: dict[str, float] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            started[event.step_key] = entry.timestamp
        elif event.event_type_value == "STEP_SUCCESS":
            took[event.step_key] = entry.timestamp - started[event.step_key]
    return took


def run_json_child(cmd: list[str], log: Path, what: str) -> dict[str, Any]:
    """Run a benchmark's child process (its stderr to `log`) and return the JSON object
    its last stdout line holds; a failed child ends the benchmark with the log's tail,
    since a timing of a crashed run would mean nothing."""
    with log.open("w") as stderr:
        done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=stderr, text=True)
    if done.returncode != 0:
        tail = [line for line in log.read_text().splitlines() if line.strip()][-30:]
        sys.stderr.write("\n".join(tail) + "\n")
        raise SystemExit(f"{what} failed (exit {done.returncode}); log: {log}")
    return json.loads(done.stdout.strip().splitlines()[-1])
