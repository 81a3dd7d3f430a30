"""The local Dagster instance: storage created before the first run, killed runs marked failed.

Issue 14, finding 17. The slow test starts a real `dagster-daemon` on an instance set up
by `prepare_home` (the demo's), launches a run through the queue, kills the run's
process with SIGKILL and waits for the daemon's run monitor to mark the run failed.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml

from form4_assets.instance import MARKER, prepare_home
from form4_assets_tests.e2e_support import wait_until

REPO = Path(__file__).resolve().parent.parent
DAGSTER_BIN = Path(sys.executable).parent


def _prepare(home: str) -> None:
    prepare_home(Path(home)).dispose()


def test_first_opens_of_a_new_home_do_not_race(tmp_path: Path) -> None:
    """Three processes open the same new home at once: all succeed (the storage is created once, under the lock)."""
    ctx = multiprocessing.get_context("spawn")
    for round_ in range(1):
        home = tmp_path / f"home{round_}"
        procs = [ctx.Process(target=_prepare, args=(str(home),)) for _ in range(3)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(120)
        assert [p.exitcode for p in procs] == [0] * 3
        assert (home / "history" / "runs.db").exists() and (home / "schedules" / "schedules.db").exists()
    config = yaml.safe_load((tmp_path / "home0" / "dagster.yaml").read_text())
    assert config["nux"] == {"enabled": False} and config["telemetry"] == {"enabled": False}
    assert config["run_monitoring"]["enabled"] is True
    assert config["run_launcher"] == {"module": "form4_assets.launcher", "class": "MonitoredRunLauncher"}


def test_user_dagster_yaml_is_kept_and_telemetry_follows_the_choice(tmp_path: Path) -> None:
    prepare_home(tmp_path / "mine", telemetry=True).dispose()
    assert yaml.safe_load((tmp_path / "mine" / "dagster.yaml").read_text())["telemetry"] == {"enabled": True}
    own = tmp_path / "own"
    own.mkdir()
    (own / "dagster.yaml").write_text("telemetry:\n  enabled: true\n")
    prepare_home(own).dispose()
    assert (own / "dagster.yaml").read_text() == "telemetry:\n  enabled: true\n"
    assert not (own / "dagster.yaml").read_text().startswith(MARKER)


def test_deploy_instance_monitors_runs() -> None:
    config = yaml.safe_load((REPO / "deploy" / "dagster.yaml").read_text())
    assert config["run_launcher"] == {"module": "form4_assets.launcher", "class": "MonitoredRunLauncher"}
    assert config["run_monitoring"]["enabled"] is True
    assert config["run_monitoring"]["max_resume_run_attempts"] == 0


SLEEPER = """
import time
import dagster as dg

@dg.op
def nap() -> None:
    time.sleep(600)

@dg.job
def sleeper() -> None:
    nap()

defs = dg.Definitions(jobs=[sleeper])
"""



RUN_IN_PROCESS = """
import sys
import dagster as dg
sys.path.insert(0, sys.argv[2])
from sleeper import sleeper
sleeper.execute_in_process(instance=dg.DagsterInstance.from_config(sys.argv[1]))
"""


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_run_killed_with_sigkill_is_marked_failed_by_the_daemon(tmp_path: Path) -> None:
    """A run killed with -9 (here one executed in its own process, as the demo runs) stays
    STARTED until a daemon with run monitoring sees its process gone and marks it failed."""
    home = tmp_path / "home"
    prepare_home(home).dispose()
    (tmp_path / "sleeper.py").write_text(SLEEPER)
    (tmp_path / "workspace.yaml").write_text(
        "load_from:\n  - python_file:\n      relative_path: sleeper.py\n      location_name: sleeper\n"
    )
    env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(REPO)}
    worker = subprocess.Popen([sys.executable, "-c", RUN_IN_PROCESS, str(home), str(tmp_path)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        run = wait_until(lambda: next(iter(instance.get_runs(limit=1)), None), what="the run to start", timeout=90)
        wait_until(lambda: instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED,
                   what="the run to be STARTED", timeout=60)
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
    time.sleep(2)
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED, "nothing else marks it"

    log = (tmp_path / "daemon.log").open("w")
    daemon = subprocess.Popen([str(DAGSTER_BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"], cwd=tmp_path,
                              env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until(lambda: instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE,
                   what="the run to be marked failed", timeout=120)
        messages = [e.message or "" for e in instance.all_logs(run.run_id)]
        assert any(f"run worker process {worker.pid} is gone" in m for m in messages), messages[-3:]
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
        log.close()
        instance.dispose()


def test_init_instance_command(tmp_path: Path, capsys) -> None:
    from form4_assets.cli import main

    assert main(["init-instance", str(tmp_path / "h")]) == 0
    assert (tmp_path / "h" / "history" / "runs.db").exists()
    assert yaml.safe_load((tmp_path / "h" / "dagster.yaml").read_text())["nux"] == {"enabled": False}
    assert f"export DAGSTER_HOME={(tmp_path / 'h').resolve()}" in capsys.readouterr().out
