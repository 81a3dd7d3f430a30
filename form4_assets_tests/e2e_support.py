"""Helpers for the end-to-end tests: real servers on loopback, started and always stopped.

Every process is started in its own session (process group) so that stopping it also
stops the children Dagster spawns (code servers, run workers). Every wait is bounded:
a helper that gives up raises with the tail of the process log, so a failing CI run
says why the server never answered.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
WORKSPACE_YAML = REPO_ROOT / "workspace.yaml"

T = TypeVar("T")

#: Chromium flags for a sandboxless CI container that must not reach the network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]

#: A test Dagster instance: local SQLite storage, runs launched at once (no queue), and
#: no telemetry or first-run prompt. The daemon still runs backfills and schedules.
TEST_DAGSTER_YAML = """\
run_coordinator:
  module: dagster.core.run_coordinator
  class: DefaultRunCoordinator
telemetry:
  enabled: false
nux:
  enabled: false
"""


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    probe: Callable[[], T | None], *, timeout: float, what: str, interval: float = 0.5
) -> T:
    """Call ``probe`` until it returns something other than None or False, at most ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = probe()
        except Exception as exc:  # a server still starting refuses connections
            last_error = exc
            value = None
        if value is not None and value is not False:
            return value
        time.sleep(interval)
    detail = f" (last error: {last_error!r})" if last_error else ""
    raise TimeoutError(f"gave up after {timeout:.0f}s waiting for {what}{detail}")


@dataclass
class ManagedProcess:
    """A child process in its own process group, with its output in a log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "<no log>"

    def check_alive(self) -> None:
        code = self.popen.poll()
        if code is not None:
            raise RuntimeError(f"{self.name} exited with code {code}; log tail:\n{self.log_tail()}")

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM the whole process group, then SIGKILL whatever is left after ``timeout``."""
        if self.popen.poll() is None:
            _signal_group(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        # Children (code servers, run workers) may outlive the leader; the group id stays theirs.
        _signal_group(self.popen.pid, signal.SIGKILL)
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - the kernel reaps SIGKILLed leaders
            pass
        # Orphaned children are reaped by init, a moment after SIGKILL: give it a few seconds.
        deadline = time.monotonic() + 10
        while _group_exists(self.popen.pid) and time.monotonic() < deadline:
            time.sleep(0.2)


def _group_exists(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - a member we may not signal still exists
        return True
    return True


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def start_process(
    name: str, cmd: list[str], *, env: Mapping[str, str], cwd: Path, log_dir: Path
) -> ManagedProcess:
    """Start ``cmd`` in a new session so it and its children can be stopped together."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        popen = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return ManagedProcess(name, popen, log_path)


def _console_script(name: str) -> str:
    """The console script next to this interpreter (so a venv's Dagster is the one used)."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed (pip install -e '.[test]')")
    return found


class GraphQLError(RuntimeError):
    """The webserver answered a GraphQL request with errors."""


@dataclass
class DagsterServers:
    """A running dagster-webserver (and optionally dagster-daemon) on one loopback port."""

    port: int
    dagster_home: Path
    processes: list[ManagedProcess] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None, timeout: float = 60) -> dict:
        """POST one GraphQL request to /graphql; raise on transport or GraphQL errors."""
        response = requests.post(
            f"{self.base_url}/graphql",
            json={"query": query, "variables": dict(variables or {})},
            timeout=timeout,
        )
        response.raise_for_status()
        body = response.json()
        if body.get("errors"):
            raise GraphQLError(f"GraphQL errors: {body['errors']}")
        return body["data"]

    def check_alive(self) -> None:
        for process in self.processes:
            process.check_alive()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.log_tail()}" for p in self.processes)


_LOCATION_STATUS = """
query {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on PythonError { message stack }
        }
      }
    }
  }
}
"""


def _location_loaded(servers: DagsterServers) -> bool:
    """True once every code location is loaded; raise when one failed to load."""
    servers.check_alive()
    data = servers.graphql(_LOCATION_STATUS, timeout=10)["workspaceOrError"]
    entries = data.get("locationEntries") or []
    for entry in entries:
        loaded = entry["locationOrLoadError"]
        if loaded and loaded["__typename"] == "PythonError":
            raise RuntimeError(f"code location {entry['name']} failed to load: {loaded['message']}\n{''.join(loaded['stack'])}")
    return bool(entries) and all(e["loadStatus"] == "LOADED" for e in entries)


def _create_instance_storage(dagster_home: Path) -> None:
    """Create (and migrate) the instance's storage once, before any server process starts.

    On a fresh SQLite instance the webserver's and the daemon's code servers would
    otherwise both create the schedule database at the same moment and can leave two
    alembic heads behind ("Version table 'alembic_version' has more than one head").
    """
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(dagster_home)) as instance:
        instance.run_storage, instance.event_log_storage, instance.schedule_storage  # noqa: B018


@contextmanager
def dagster_servers(
    *,
    dagster_home: Path,
    env: Mapping[str, str],
    log_dir: Path,
    with_daemon: bool = True,
    start_timeout: float = 180.0,
    workspace: Path = WORKSPACE_YAML,
) -> Iterator[DagsterServers]:
    """Run dagster-webserver (and dagster-daemon) on workspace.yaml until the block exits.

    The instance in ``dagster_home`` gets TEST_DAGSTER_YAML unless a dagster.yaml is
    already there. Both processes are stopped, process group and all, however the block
    ends.
    """
    dagster_home.mkdir(parents=True, exist_ok=True)
    yaml_path = dagster_home / "dagster.yaml"
    if not yaml_path.exists():
        yaml_path.write_text(TEST_DAGSTER_YAML)
    _create_instance_storage(dagster_home)
    full_env = {
        **os.environ,
        **env,
        "DAGSTER_HOME": str(dagster_home),
        "DAGSTER_DISABLE_TELEMETRY": "1",
        "PYTHONUNBUFFERED": "1",
    }
    servers = DagsterServers(port=free_port(), dagster_home=dagster_home)
    try:
        if with_daemon:
            servers.processes.append(
                start_process(
                    "dagster-daemon",
                    [_console_script("dagster-daemon"), "run", "-w", str(workspace)],
                    env=full_env,
                    cwd=REPO_ROOT,
                    log_dir=log_dir,
                )
            )
        servers.processes.append(
            start_process(
                "dagster-webserver",
                [
                    _console_script("dagster-webserver"),
                    "-w", str(workspace),
                    "-h", "127.0.0.1",
                    "-p", str(servers.port),
                ],
                env=full_env,
                cwd=REPO_ROOT,
                log_dir=log_dir,
            )
        )

        def answering() -> bool:
            servers.check_alive()
            return requests.get(f"{servers.base_url}/server_info", timeout=5).ok

        try:
            wait_until(answering, timeout=start_timeout, what="dagster-webserver /server_info")
            wait_until(lambda: _location_loaded(servers), timeout=start_timeout, what="the code location to load")
        except Exception as exc:
            raise RuntimeError(f"{exc}\n{servers.logs()}") from exc
        yield servers
    finally:
        # The webserver first, so nothing launches new runs while the daemon stops.
        for process in reversed(servers.processes):
            process.stop()


def chromium_executable() -> str | None:
    """Debian's Chromium (installed by .ci/run); never a downloaded browser build."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def skip_or_fail(message: str) -> None:
    """Skip locally; fail under CI=true, where every component must be present."""
    import pytest

    if in_ci():
        pytest.fail(message + " — CI must provide it")
    pytest.skip(message)


# --- The user's flows through the webserver's GraphQL API -------------------------------

ASSET_GRAPH_QUERY = """
query AssetGraph {
  assetNodes {
    assetKey { path }
    groupName
    description
    kinds
    isPartitioned
    dependencyKeys { path }
    backfillPolicy { policyType }
    assetChecksOrError {
      __typename
      ... on AssetChecks { checks { name blocking description } }
    }
    metadataEntries {
      __typename
      label
      ... on TableSchemaMetadataEntry { schema { columns { name type description } } }
      ... on TableColumnLineageMetadataEntry {
        lineage { columnName columnDeps { assetKey { path } columnName } }
      }
    }
  }
}
"""


def asset_graph(servers: DagsterServers) -> dict[str, dict]:
    """Every asset node the UI shows, keyed by its asset key joined with '/'."""
    nodes = servers.graphql(ASSET_GRAPH_QUERY)["assetNodes"]
    return {"/".join(n["assetKey"]["path"]): n for n in nodes}


_REPOSITORIES = """
query { repositoriesOrError { __typename ... on RepositoryConnection {
  nodes { name location { name } jobs { name isAssetJob } } } } }
"""


def repository_selector(servers: DagsterServers) -> tuple[str, str]:
    """(code location name, repository name) of the one code location."""
    nodes = servers.graphql(_REPOSITORIES)["repositoriesOrError"]["nodes"]
    assert len(nodes) == 1, nodes
    return nodes[0]["location"]["name"], nodes[0]["name"]


_LAUNCH_RUN = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message stack }
    ... on Error { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""


def launch_partition_run(
    servers: DagsterServers, partition: str, job_name: str, asset_keys: list[str] | None = None
) -> str:
    """Launch one run of ``job_name`` (optionally a subset of its assets) for one partition."""
    location, repository = repository_selector(servers)
    selector: dict[str, Any] = {
        "repositoryLocationName": location,
        "repositoryName": repository,
        "jobName": job_name,
    }
    if asset_keys is not None:
        selector["assetSelection"] = [{"path": k.split("/")} for k in asset_keys]
    params = {
        "selector": selector,
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": partition}]},
    }
    result = servers.graphql(_LAUNCH_RUN, {"params": params})["launchRun"]
    if result["__typename"] != "LaunchRunSuccess":
        raise GraphQLError(f"launchRun failed: {result}")
    return result["run"]["runId"]


_RUN = """
query Run($runId: ID!) { runOrError(runId: $runId) { __typename
  ... on Run { runId status jobName tags { key value } assetSelection { path } } } }
"""
_RUN_ERRORS = """
query Logs($runId: ID!) { logsForRun(runId: $runId) { __typename
  ... on EventConnection { events { __typename
    ... on MessageEvent { message level }
    ... on ExecutionStepFailureEvent { error { message stack } } } } } }
"""
FINISHED_RUN_STATUSES = {"SUCCESS", "FAILURE", "CANCELED"}


def run_info(servers: DagsterServers, run_id: str) -> dict:
    return servers.graphql(_RUN, {"runId": run_id})["runOrError"]


def run_failure_summary(servers: DagsterServers, run_id: str) -> str:
    """The run's error-level messages, to put in an assertion message."""
    events = servers.graphql(_RUN_ERRORS, {"runId": run_id})["logsForRun"].get("events", [])
    lines = []
    for event in events:
        if event.get("error"):
            lines.append(f"{event['__typename']}: {event['error']['message']}")
        elif event.get("level") in ("ERROR", "CRITICAL"):
            lines.append(f"{event['__typename']}: {event.get('message')}")
    return "\n".join(lines[-20:])


def wait_for_run(servers: DagsterServers, run_id: str, timeout: float) -> dict:
    """Poll until the run finishes; return its info. The status may be FAILURE: callers assert."""

    def finished() -> dict | None:
        servers.check_alive()
        info = run_info(servers, run_id)
        return info if info.get("status") in FINISHED_RUN_STATUSES else None

    return wait_until(finished, timeout=timeout, what=f"run {run_id} to finish", interval=1.0)


_LAUNCH_BACKFILL = """
mutation Backfill($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message stack }
    ... on Error { message }
  }
}
"""
_BACKFILL = """
query Backfill($id: String!) { partitionBackfillOrError(backfillId: $id) { __typename
  ... on PartitionBackfill { id status numPartitions partitionNames isAssetBackfill
    runs { runId status tags { key value } }
    error { message } } } }
"""
FINISHED_BACKFILL_STATUSES = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}


def launch_backfill(servers: DagsterServers, partitions: list[str], asset_keys: list[str]) -> str:
    """Ask for a backfill of ``asset_keys`` over ``partitions``; the daemon carries it out."""
    params = {
        "partitionNames": partitions,
        "assetSelection": [{"path": k.split("/")} for k in asset_keys],
        "fromFailure": False,
        "title": "e2e test backfill",
    }
    result = servers.graphql(_LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"]
    if result["__typename"] != "LaunchBackfillSuccess":
        raise GraphQLError(f"launchPartitionBackfill failed: {result}")
    return result["backfillId"]


def backfill_info(servers: DagsterServers, backfill_id: str) -> dict:
    return servers.graphql(_BACKFILL, {"id": backfill_id})["partitionBackfillOrError"]


def wait_for_backfill(servers: DagsterServers, backfill_id: str, timeout: float) -> dict:
    """Poll until the backfill is finished and none of its runs is still going."""

    def finished() -> dict | None:
        servers.check_alive()
        info = backfill_info(servers, backfill_id)
        runs_done = all(r["status"] in FINISHED_RUN_STATUSES for r in info.get("runs", []))
        return info if info.get("status") in FINISHED_BACKFILL_STATUSES and runs_done else None

    return wait_until(finished, timeout=timeout, what=f"backfill {backfill_id} to finish", interval=2.0)


_MATERIALIZATIONS = """
query Mats($key: AssetKeyInput!, $partitions: [String!]) {
  assetNodes(assetKeys: [$key]) {
    assetMaterializations(partitions: $partitions, limit: 1) {
      runId partition
      metadataEntries {
        __typename label
        ... on IntMetadataEntry { intValue }
        ... on FloatMetadataEntry { floatValue }
        ... on TextMetadataEntry { text }
        ... on MarkdownMetadataEntry { mdStr }
        ... on TableSchemaMetadataEntry { schema { columns { name type } } }
        ... on TableColumnLineageMetadataEntry { lineage { columnName columnDeps { assetKey { path } columnName } } }
      }
    }
  }
}
"""


def latest_materialization(servers: DagsterServers, asset_key: str, partition: str) -> dict | None:
    """The newest materialization of one partition, with its metadata entries."""
    nodes = servers.graphql(
        _MATERIALIZATIONS, {"key": {"path": asset_key.split("/")}, "partitions": [partition]}
    )["assetNodes"]
    mats = nodes[0]["assetMaterializations"] if nodes else []
    return mats[0] if mats else None


def metadata_by_label(entries: list[dict]) -> dict[str, dict]:
    return {e["label"]: e for e in entries}


_CHECK_EXECUTIONS = """
query Checks($key: AssetKeyInput!, $name: String!, $partition: String) {
  assetCheckExecutions(assetKey: $key, checkName: $name, partition: $partition, limit: 20) {
    runId status partition
    evaluation { success severity partition metadataEntries { __typename label
      ... on IntMetadataEntry { intValue } } }
  }
}
"""


def check_executions(servers: DagsterServers, asset_key: str, check_name: str, partition: str | None = None) -> list[dict]:
    """Executions of one asset check, newest first (optionally of one partition)."""
    return servers.graphql(
        _CHECK_EXECUTIONS,
        {"key": {"path": asset_key.split("/")}, "name": check_name, "partition": partition},
    )["assetCheckExecutions"]
