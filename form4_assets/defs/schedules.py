"""Every weekday evening, materialize the previous business day's filings.

EDGAR accepts Forms 3/4/5 until 22:00 ET and publishes the daily index overnight, so at
21:00 ET the last complete partition is the previous business day: on Monday evening
that is Friday (weekend partitions do not exist), on Wednesday evening Tuesday. The
partitions definition knows which keys exist, so the schedule asks it for the last
complete one at the tick rather than doing calendar arithmetic itself.

Default status RUNNING: starting `dagster dev` (with its daemon) is a deliberate act,
and a daily warehouse that silently does not update is the worse surprise. The README
says so and how to stop it.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from form4_assets.defs.freshness import freshness_checks
from form4_assets.defs.partitions import filing_date_partitions

daily_filings_job = dg.define_asset_job(
    "daily_filings_job",
    # The SEC's data sets are imported on demand (form345_import_job), not fetched nightly;
    # the freshness checks look at the clock, not at a run's rows (their sensor runs them).
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("form345") - dg.AssetSelection.checks(*freshness_checks),
    description="The whole asset graph for one or more filing dates (raw filings to aggregates).",
)

EVENING_CRON = "0 21 * * 1-5"
TIMEZONE = "America/New_York"


def previous_business_day_key(evening: dt.datetime) -> str | None:
    """The partition key the schedule requests at `evening` (timezone-aware)."""
    with dg.partition_loading_context(effective_dt=evening):
        return filing_date_partitions.get_last_partition_key()


@dg.schedule(
    cron_schedule=EVENING_CRON,
    execution_timezone=TIMEZONE,
    job=daily_filings_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Weekdays 21:00 America/New_York: the previous business day's filings.",
)
def previous_business_day_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    key = previous_business_day_key(context.scheduled_execution_time)
    if key is None:
        return dg.SkipReason("no complete filing-date partition yet")
    return dg.RunRequest(run_key=key, partition_key=key)
