"""EDGAR business days (pandas' federal holiday calendar), which are also the synthetic
mirror's publishing days (Good Friday included)."""

from __future__ import annotations

import datetime as dt

import pytest

from form4_assets.edgar.business_days import business_days, holidays, holidays_in, is_business_day
from form4_assets.edgar.paths import daily_index_path
from form4_assets.synthetic.mirror import make_mirror


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th (1-based) given weekday (Mon=0) of a month; n=-1 is the last one."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: dt.date) -> dt.date:
    return day + dt.timedelta(days={5: -1, 6: 1}.get(day.weekday(), 0))


def _federal_holidays(year: int) -> set[dt.date]:
    """An independent statement of the federal holiday rules (5 U.S.C. 6103), the reference."""
    fixed = [(1, 1), (7, 4), (11, 11), (12, 25)] + ([(6, 19)] if year >= 2021 else [])
    days = {_observed(dt.date(year, m, d)) for m, d in fixed}
    days.add(_observed(dt.date(year + 1, 1, 1)))  # New Year's Day on a Saturday: 31 December
    days |= {_nth_weekday(year, 1, 0, 3), _nth_weekday(year, 2, 0, 3), _nth_weekday(year, 5, 0, -1),
             _nth_weekday(year, 9, 0, 1), _nth_weekday(year, 10, 0, 2), _nth_weekday(year, 11, 3, 4)}
    return {d for d in days if d.year == year}


@pytest.mark.parametrize("year", range(2003, 2031))
def test_holidays_match_the_federal_rules_year_by_year(year: int) -> None:
    assert set(holidays(year)) == _federal_holidays(year)


def test_a_span_of_years_has_each_year_s_holidays() -> None:
    # The signals' business-day calendar is built from one query over 1990-2100 (holidays_in).
    assert holidays_in(2003, 2030) == sorted(d for year in range(2003, 2031) for d in holidays(year))
    assert holidays_in(2022, 2022) == sorted(holidays(2022)) and dt.date(2021, 12, 31) in holidays_in(2021, 2022)


def test_2024_holidays_are_the_published_ones() -> None:
    assert sorted(holidays(2024)) == [dt.date(2024, m, d) for m, d in (
        (1, 1), (1, 15), (2, 19), (5, 27), (6, 19), (7, 4), (9, 2), (10, 14), (11, 11), (11, 28), (12, 25))]
    assert holidays(2024)[dt.date(2024, 11, 28)] == "Thanksgiving Day"


def test_weekend_holidays_are_observed_on_the_nearest_weekday() -> None:
    assert dt.date(2022, 12, 26) in holidays(2022)  # Christmas on Sunday
    assert dt.date(2021, 12, 31) in holidays(2021)  # New Year's Day 2022 on Saturday
    assert dt.date(2026, 7, 3) in holidays(2026)    # Independence Day on Saturday
    assert dt.date(2023, 11, 10) in holidays(2023)  # Veterans Day on Saturday
    assert dt.date(2019, 6, 19) not in holidays(2019)  # Juneteenth became a holiday in 2021


def test_good_friday_is_an_edgar_business_day_the_mirror_publishes(tmp_path) -> None:
    # The real daily index of 2025-04-18 (Good Friday, Easter 20 April 2025) lists 253 ownership filings.
    good_friday = dt.date(2025, 4, 18)
    assert is_business_day(good_friday) and is_business_day(dt.date(2024, 3, 29))
    days = list(business_days(dt.date(2025, 4, 16), dt.date(2025, 4, 22)))
    assert days == [dt.date(2025, 4, 16), dt.date(2025, 4, 17), good_friday, dt.date(2025, 4, 21), dt.date(2025, 4, 22)]
    make_mirror(tmp_path, dt.date(2025, 4, 17), dt.date(2025, 4, 21), per_day=20, include_seed=False)
    published = [d for d in (dt.date(2025, 4, 17) + dt.timedelta(days=k) for k in range(5))
                 if (tmp_path / daily_index_path(d, "master")).exists()]
    assert published == [dt.date(2025, 4, 17), good_friday, dt.date(2025, 4, 21)]


def test_business_days_skip_weekends_and_holidays() -> None:
    days = list(business_days(dt.date(2024, 6, 28), dt.date(2024, 7, 8)))
    assert days == [dt.date(2024, 6, 28), dt.date(2024, 7, 1), dt.date(2024, 7, 2), dt.date(2024, 7, 3),
                    dt.date(2024, 7, 5), dt.date(2024, 7, 8)]
    assert not is_business_day(dt.date(2024, 7, 6)) and is_business_day(dt.date(2023, 11, 8))
