"""Run the daily job over a range of filing dates as ONE run, as a single-run backfill does.

Used by the demo, the benchmark and the tests, so they exercise the same job, resources
and backfill policy as the UI rather than a hand-assembled subset.
"""

from __future__ import annotations

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from form4_assets.defs.resources import EdgarSourceResource, WarehouseResource


def run_daily_job(
    first: str,
    last: str,
    *,
    warehouse: WarehouseResource,
    edgar: EdgarSourceResource,
    instance: dg.DagsterInstance,
    raise_on_error: bool = False,
) -> dg.ExecuteInProcessResult:
    """Materialize the whole graph for the partitions first..last (keys) in one run."""
    from form4_assets.definitions import build_definitions

    job = build_definitions({"warehouse": warehouse, "edgar": edgar}).resolve_job_def("daily_filings_job")
    return job.execute_in_process(
        instance=instance,
        tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last},
        raise_on_error=raise_on_error,
    )
