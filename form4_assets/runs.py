"""Run the daily job over a range of filing dates as ONE run, as a single-run backfill does.

Used by the demo, the benchmark and the tests, so they exercise the same job, resources
and backfill policy as the UI rather than a hand-assembled subset.
"""

from __future__ import annotations

import dagster as dg

# Private module, on purpose: a single-run backfill marks its range with these two tags,
# and Dagster 1.13 has no public in-process API for "one run over partitions first..last"
# (execute_in_process and materialize take one partition_key). The tag names are part of
# Dagster's run storage format; dagster is pinned in pyproject.toml so an upgrade that
# moves them fails loudly in the tests that run ranges (test_assets.py).
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from form4_assets.defs.resources import EdgarSourceResource, WarehouseResource


def daily_job(warehouse: WarehouseResource, edgar: EdgarSourceResource) -> dg.JobDefinition:
    """`daily_filings_job` of the code location, bound to the given resources."""
    from form4_assets.definitions import build_definitions

    return build_definitions({"warehouse": warehouse, "edgar": edgar}).resolve_job_def("daily_filings_job")


def execute_range(
    job: dg.JobDefinition, first: str, last: str, instance: dg.DagsterInstance, raise_on_error: bool = False
) -> dg.ExecuteInProcessResult:
    """One run of `job` over the partitions first..last (keys), tagged like a single-run backfill."""
    return job.execute_in_process(
        instance=instance,
        tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last},
        raise_on_error=raise_on_error,
    )


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
    return execute_range(daily_job(warehouse, edgar), first, last, instance, raise_on_error)
