"""Business days of the synthetic mirror: weekdays minus federal holidays and Good Friday."""

from __future__ import annotations

import datetime as dt

from form4_assets.edgar.business_days import business_days, holidays, is_business_day


def test_2024_holidays_are_the_published_ones():
    assert sorted(holidays(2024)) == [dt.date(2024, m, d) for m, d in (
        (1, 1), (1, 15), (2, 19), (3, 29), (5, 27), (6, 19), (7, 4), (9, 2), (10, 14), (11, 11), (11, 28), (12, 25))]
    assert holidays(2024)[dt.date(2024, 3, 29)] == "Good Friday"


def test_weekend_holidays_are_observed_on_the_nearest_weekday():
    assert dt.date(2022, 12, 26) in holidays(2022)  # Christmas on Sunday
    assert dt.date(2021, 12, 31) in holidays(2021)  # New Year's Day 2022 on Saturday
    assert dt.date(2026, 7, 3) in holidays(2026)    # Independence Day on Saturday
    assert dt.date(2023, 11, 10) in holidays(2023)  # Veterans Day on Saturday
    assert dt.date(2019, 6, 19) not in holidays(2019)  # Juneteenth became a holiday in 2021
    assert dt.date(2025, 4, 18) in holidays(2025)  # Good Friday (Easter 20 April 2025)


def test_business_days_skip_weekends_and_holidays():
    days = list(business_days(dt.date(2024, 6, 28), dt.date(2024, 7, 8)))
    assert days == [dt.date(2024, 6, 28), dt.date(2024, 7, 1), dt.date(2024, 7, 2), dt.date(2024, 7, 3),
                    dt.date(2024, 7, 5), dt.date(2024, 7, 8)]
    assert not is_business_day(dt.date(2024, 7, 6)) and is_business_day(dt.date(2023, 11, 8))
