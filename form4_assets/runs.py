"""Run the daily job over a range of filing dates as ONE run, as a single-run backfill does.

Used by the demo, the benchmark and the tests, so they exercise the same job, resources
and backfill policy as the UI rather than a hand-assembled subset.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg

# Private, as is running a job with the code location's origin (execute_range_as_code_location).
from dagster._core.definitions.repository_definition import SINGLETON_REPOSITORY_NAME
from dagster._core.execution.execution_result import ExecutionResult

# Private module, on purpose: a single-run backfill marks its range with these two tags,
# and Dagster 1.13 has no public in-process API for "one run over partitions first..last"
# (execute_in_process and materialize take one partition_key). The tag names are part of
# Dagster's run storage format; dagster is pinned in pyproject.toml so an upgrade that
# moves them fails loudly in test_definitions.py::test_execute_range_runs_one_run_over_the_range.
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from form4_assets.aggregates.staleness import INPUTS as AGGREGATE_ASSETS, stale_partitions
from form4_assets.defs.partitions import filing_date_partitions
from form4_assets.defs.resources import EdgarSourceResource, Form345Resource, PriceSourceResource, WarehouseResource


def daily_job(warehouse: WarehouseResource, edgar: EdgarSourceResource, prices: PriceSourceResource | None = None,
              name: str = "daily_filings_job") -> dg.JobDefinition:
    """`daily_filings_job` (or another job, `name`) of the code location, bound to the given resources."""
    from form4_assets.definitions import build_definitions

    resources = {"warehouse": warehouse, "edgar": edgar, **({"prices": prices} if prices else {})}
    return build_definitions(resources).resolve_job_def(name)


def execute_range(
    job: dg.JobDefinition,
    first: str,
    last: str,
    instance: dg.DagsterInstance,
    raise_on_error: bool = False,
    asset_selection: Sequence[dg.AssetKey] | None = None,
) -> dg.ExecuteInProcessResult:
    """One run of `job` (or of `asset_selection` in it) over the partitions first..last (keys),
    tagged like a single-run backfill."""
    return job.execute_in_process(
        instance=instance,
        tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last},
        raise_on_error=raise_on_error,
        asset_selection=asset_selection,
    )


#: The code location's name in workspace.yaml (what `dagster dev` in the root or with `-w` shows).
LOCATION_NAME = "form4_assets"
_MODULE = "form4_assets.definitions"


def execute_range_as_code_location(
    first: str, last: str, instance: dg.DagsterInstance, run_config: Mapping[str, Any], job: str = "daily_filings_job"
) -> ExecutionResult:
    """One run of the code location's `daily_filings_job` (or `job`) over first..last, in this process,
    recorded with the code location's origin.

    The UI files runs under their code location by that origin (its Overview and the job's
    page list only such runs); `execute_in_process` records none. Resources come from
    `run_config` (or the environment, as for any run of the code location).
    """
    from dagster._core.definitions.reconstruct import ReconstructableRepository
    from dagster._core.execution.api import execute_run
    from dagster._core.remote_origin import InProcessCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

    reconstructable = ReconstructableRepository.for_module(_MODULE, "defs").get_reconstructable_job(job)
    location = InProcessCodeLocationOrigin(LoadableTargetOrigin(module_name=_MODULE), location_name=LOCATION_NAME)
    origin = RemoteJobOrigin(RemoteRepositoryOrigin(location, SINGLETON_REPOSITORY_NAME), job)
    run = instance.create_run_for_job(
        job_def=reconstructable.get_definition(),
        run_config=dict(run_config),
        tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last},
        remote_job_origin=origin,
        job_code_origin=reconstructable.get_python_origin(),
    )
    return execute_run(reconstructable, run, instance)


def refresh_stale_aggregates(
    *, warehouse: WarehouseResource, edgar: EdgarSourceResource, instance: dg.DagsterInstance,
    prices: PriceSourceResource | None = None,
) -> dg.ExecuteInProcessResult | None:
    """The remedy for stale aggregates, signals and outcomes: one run of those assets over the stale dates.

    Covers the earliest to the latest stale date (the run computes each date in order, so a
    date's refreshed inputs are in place before it); None when nothing is stale. The outcome
    assets need `prices` (or FORM4_PRICES_PATH): without a price source they skip and stay stale.
    """
    engine = warehouse.engine()
    with engine.connect() as conn:
        dates = sorted({s.filing_date for stale in stale_partitions(conn).values() for s in stale})
    if not dates:
        return None
    keys = [dg.AssetKey(name) for name in AGGREGATE_ASSETS]
    return execute_range(daily_job(warehouse, edgar, prices), dates[0].isoformat(), dates[-1].isoformat(), instance,
                         asset_selection=keys)


def run_daily_job(
    first: str,
    last: str,
    *,
    warehouse: WarehouseResource,
    edgar: EdgarSourceResource,
    instance: dg.DagsterInstance,
    raise_on_error: bool = False,
    prices: PriceSourceResource | None = None,
    job: str = "daily_filings_job",
) -> dg.ExecuteInProcessResult:
    """Materialize the whole graph (or `job`'s assets) for the partitions first..last (keys) in one run."""
    return execute_range(daily_job(warehouse, edgar, prices, job), first, last, instance, raise_on_error)


def import_form345(
    paths: Sequence[str | Path], *, warehouse: WarehouseResource, instance: dg.DagsterInstance,
    aggregates: bool = False,
) -> tuple[dg.ExecuteInProcessResult | None, list[dt.date]]:
    """Materialize the form345 group for every filing date the data sets hold, as ONE run
    (the same job, resources and single-run backfill policy as a UI backfill of that range);
    with `aggregates`, the aggregates and signals of those dates too (form345_history_job).

    Returns the run's result (None when the data sets hold no filing date) and the dates.
    """
    from form4_assets.definitions import build_definitions
    from form4_assets.form345.dataset import Dataset
    from form4_assets.form345.rows import filing_dates

    dates: set[dt.date] = set()
    for path in paths:
        with Dataset(path) as dataset:
            dates.update(filing_dates(dataset).values())
    keys = [k for k in filing_date_partitions.get_partition_keys() if dt.date.fromisoformat(k) in dates]
    outside = sorted(d for d in dates if d.isoformat() not in set(keys))
    if outside:
        raise ValueError(
            f"filing dates outside the partitions (weekdays since {filing_date_partitions.start:%Y-%m-%d}): "
            + ", ".join(map(str, outside[:5]))
        )
    if not keys:
        return None, []
    job = build_definitions(
        {"warehouse": warehouse, "edgar": EdgarSourceResource(), "form345": Form345Resource(paths=[str(p) for p in paths])}
    ).resolve_job_def("form345_history_job" if aggregates else "form345_import_job")
    return execute_range(job, keys[0], keys[-1], instance), sorted(dates)
