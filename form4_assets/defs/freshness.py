"""Is the previous business day in the warehouse by 23:00 New York time?

`previous_business_day_schedule` asks for it at 21:00; two hours later every asset of
the graph should have that partition. Dagster's `build_time_partition_freshness_checks`
says exactly this for a time-partitioned asset: after each tick of the deadline cron it
expects the last partition completed by then (weekends are not partitions, so on Monday
night that is Friday). A date the source cannot answer for fails its run instead of
materializing empty (form4_assets.pipeline.coverage), so it stays missing and this
check fails rather than calling an empty partition fresh.

The checks are evaluated by Dagster's freshness sensor (default RUNNING, like the
schedule: a warehouse that silently goes stale is the worse surprise) and can be
executed from the UI. They are WARN: staleness is worth seeing, and they do not sit in
the daily job (they depend on the clock, not on the rows a run writes).
"""

from __future__ import annotations

import dagster as dg

from form4_assets.defs.metadata import ASSET_TABLES, OPTIONAL_ASSETS
from form4_assets.defs.partitions import filing_date_partitions

#: Weekdays 23:00: two hours after the evening schedule asked for the previous business day.
DEADLINE_CRON = "0 23 * * 1-5"

freshness_checks = dg.build_time_partition_freshness_checks(
    assets=[dg.AssetKey(asset) for asset in ASSET_TABLES if asset not in OPTIONAL_ASSETS],
    deadline_cron=DEADLINE_CRON,
    timezone=filing_date_partitions.timezone,
    severity=dg.AssetCheckSeverity.WARN,
)

FRESHNESS_CHECK_KEYS: frozenset[dg.AssetCheckKey] = frozenset(
    key for checks in freshness_checks for key in checks.check_keys
)

freshness_sensor = dg.build_sensor_for_freshness_checks(
    freshness_checks=freshness_checks,
    minimum_interval_seconds=600,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
