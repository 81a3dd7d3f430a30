"""Range runs through the webserver for the end-to-end tests: launch one, read it back per date.

A range run is launched the way the UI does it (a backfill, which the daemon turns into
one run for single-run backfill policies); what it wrote is read back per filing date
from the warehouse and through GraphQL, as the UI's partition views ask for it.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import sqlalchemy as sa

from form4_assets_tests.e2e_support import DagsterServers, check_executions, launch_backfill, wait_for_backfill


def count_on(warehouse: Path, table: str, day: str) -> int:
    """Rows of `table` filed on `day` in the SQLite warehouse."""
    engine = sa.create_engine(f"sqlite:///{warehouse}")
    try:
        with engine.connect() as conn:
            query = sa.text(f'SELECT count(*) FROM {table} WHERE "FILING_DATE" = :d')
            return int(conn.execute(query, {"d": dt.date.fromisoformat(day)}).scalar_one())
    finally:
        engine.dispose()


def launch_range(servers: DagsterServers, days: list[str], assets: list[str], timeout: float = 420) -> tuple[dict, dict]:
    """A backfill of `assets` over `days`, waited for: (backfill info, its one run)."""
    backfill_id = launch_backfill(servers, days, assets)
    info = wait_for_backfill(servers, backfill_id, timeout=timeout)
    assert info["numPartitions"] == len(days)
    assert len(info["runs"]) == 1, info["runs"]
    (run,) = info["runs"]
    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert tags["dagster/backfill"] == backfill_id
    assert (tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]) == (days[0], days[-1])
    return info, run


def evaluations_of_run(servers: DagsterServers, asset: str, check: str, run_id: str) -> dict[str, dict]:
    """The run's executions of one check by partition, asked partition by partition as the UI does."""
    everything = [e for e in check_executions(servers, asset, check) if e["runId"] == run_id]
    by_partition: dict[str, dict] = {}
    for execution in everything:
        assert execution["partition"] not in by_partition, (asset, check, execution["partition"])
        (same,) = [e for e in check_executions(servers, asset, check, execution["partition"]) if e["runId"] == run_id]
        by_partition[execution["partition"]] = same
    return by_partition


def plant_negative_shares(mirror: Path, manifest: list[dict], day: str) -> str:
    """Make one clean filing of `day` report a negative share count; return its accession."""
    for entry in manifest:
        rows = [r for r in entry["rows"] if r["table"] == "nonderiv_trans" and r["shares"]]
        if entry["filing_date"] == day and rows and not entry["broken"] and not entry["inconsistent"]:
            # Listed under every CIK of the filing: hard links to one file, so editing one edits all.
            path, *links = sorted(mirror.rglob(f"{entry['accession']}.txt"))
            assert all(link.samefile(path) for link in links), links
            text = path.read_text(encoding="utf-8")
            planted, n = re.subn(r"(<transactionShares>\s*<value>)([0-9])", r"\1-\2", text, count=1)
            assert n == 1, path
            path.write_text(planted, encoding="utf-8")
            return entry["accession"]
    raise AssertionError(f"no clean filing with transactions on {day}")
