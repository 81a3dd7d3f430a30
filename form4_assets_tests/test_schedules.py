"""Partitions skip weekends; the evening schedule asks for the previous business day."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from form4_assets.definitions import defs
from form4_assets.defs.partitions import filing_date_partitions
from form4_assets.defs.schedules import previous_business_day_key, previous_business_day_schedule

NEW_YORK = ZoneInfo("America/New_York")


def test_weekends_are_not_partitions() -> None:
    keys = filing_date_partitions.get_partition_keys_in_range(dg.PartitionKeyRange("2023-11-03", "2023-11-14"))
    assert keys == ["2023-11-03", "2023-11-06", "2023-11-07", "2023-11-08", "2023-11-09", "2023-11-10",
                    "2023-11-13", "2023-11-14"]
    assert filing_date_partitions.get_first_partition_key() == "2003-07-01"
    # A holiday (Thanksgiving 2023) is an ordinary, empty partition.
    assert filing_date_partitions.has_partition_key("2023-11-23")
    assert not filing_date_partitions.has_partition_key("2023-11-11")


@pytest.mark.parametrize(
    ("evening", "expected"),
    [
        (dt.datetime(2023, 11, 13, 21, 0), "2023-11-10"),  # Monday → Friday
        (dt.datetime(2023, 11, 14, 21, 0), "2023-11-13"),  # Tuesday → Monday
        (dt.datetime(2023, 11, 15, 21, 0), "2023-11-14"),  # Wednesday → Tuesday
        (dt.datetime(2023, 11, 17, 21, 0), "2023-11-16"),  # Friday → Thursday
        (dt.datetime(2024, 3, 11, 21, 0), "2024-03-08"),  # Monday after the DST change → Friday
    ],
)
def test_schedule_requests_previous_business_day(evening: dt.datetime, expected: str) -> None:
    evening = evening.replace(tzinfo=NEW_YORK)
    assert previous_business_day_key(evening) == expected
    context = dg.build_schedule_context(
        scheduled_execution_time=evening, repository_def=defs.get_repository_def()
    )
    requests = list(previous_business_day_schedule.evaluate_tick(context).run_requests or [])
    assert [r.partition_key for r in requests] == [expected]
    assert requests[0].job_name in (None, "daily_filings_job")


def test_schedule_runs_weekday_evenings_in_new_york() -> None:
    assert previous_business_day_schedule.cron_schedule == "0 21 * * 1-5"
    assert previous_business_day_schedule.execution_timezone == "America/New_York"
    assert previous_business_day_schedule.job_name == "daily_filings_job"
