"""The end-to-end helpers stop everything they start, also when the test body fails."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
import requests

from form4_assets_tests.e2e_support import dagster_servers, start_process, wait_until


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes (its parent has not reaped it yet).
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_stop_kills_the_whole_process_group(tmp_path: Path) -> None:
    """A child that ignores SIGTERM and a grandchild are both gone after stop()."""
    script = (
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(300)\n"
    )
    process = start_process("stubborn", [sys.executable, "-c", script], env=os.environ, cwd=tmp_path, log_dir=tmp_path)
    grandchild = int(wait_until(lambda: process.log_path.read_text().strip() or None, timeout=30, what="grandchild pid"))
    assert _alive(process.popen.pid) and _alive(grandchild)
    began = time.monotonic()
    process.stop(timeout=2)
    assert time.monotonic() - began < 15
    assert process.popen.poll() is not None
    wait_until(lambda: not _alive(grandchild), timeout=10, what="grandchild to die")


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_servers_are_stopped_when_the_block_raises(tmp_path: Path) -> None:
    started = {}
    with pytest.raises(RuntimeError, match="test body failed"):
        with dagster_servers(
            dagster_home=tmp_path / "home",
            env={"FORM4_DATA_DIR": str(tmp_path / "data")},
            log_dir=tmp_path / "logs",
            with_daemon=True,
        ) as servers:
            started["url"] = servers.base_url
            started["pids"] = [p.popen.pid for p in servers.processes]
            assert requests.get(f"{servers.base_url}/server_info", timeout=10).ok
            raise RuntimeError("test body failed")
    assert len(started["pids"]) == 2
    for pid in started["pids"]:
        assert not _alive(pid), pid
        # Nothing is left in its process group either (code servers, run workers).
        with pytest.raises(ProcessLookupError):
            os.killpg(pid, 0)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{started['url']}/server_info", timeout=5)
