"""The one partitions definition every asset shares: EDGAR filing dates.

Daily partitions in New York time since July 2003 (when ownership filings became XML),
weekends excluded. The exclusion cron must fire exactly on the partition ticks
("0 0 * * *"), or it silently excludes nothing; a test asserts that Saturdays and
Sundays are absent. Holidays stay in: EDGAR publishes no index then, so the partition
materializes empty and successfully (~6,000 keys, well within what the UI handles).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence

import dagster as dg

#: Fires at the same minute and hour as the daily partition ticks, on Saturday and Sunday.
WEEKEND_TICKS = "0 0 * * 6,0"

filing_date_partitions = dg.DailyPartitionsDefinition(
    start_date="2003-07-01",
    timezone="America/New_York",
    end_offset=0,
    exclusions=[WEEKEND_TICKS],
)


def partition_dates(context: dg.AssetExecutionContext) -> list[dt.date]:
    """Every filing date a run covers, in order.

    A single-run backfill covers a whole range, so this reads `partition_keys` (which
    honours the weekend exclusions) rather than `partition_key`.
    """
    return keys_to_dates(context.partition_keys)


def keys_to_dates(keys: Sequence[str]) -> list[dt.date]:
    return sorted(dt.date.fromisoformat(key) for key in keys)


def filing_dates_from(start: dt.date, count: int) -> list[dt.date]:
    """The first `count` partition dates on or after `start` (weekdays, holidays included),
    as a range backfill would select them."""
    keys = filing_date_partitions.get_partition_keys()
    first = bisect.bisect_left(keys, start.isoformat())
    return keys_to_dates(keys[first : first + count])

