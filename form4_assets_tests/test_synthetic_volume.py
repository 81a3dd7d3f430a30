"""The synthetic mirror's volumes against EDGAR's 2024 Q3 figures: filings per day, issuers
per filing, and the share of filings with a derivative transaction."""

from __future__ import annotations

import datetime as dt
import random
import statistics

from form4_assets.edgar.business_days import business_days
from form4_assets.synthetic import DEFAULT_PER_DAY
from form4_assets.synthetic.mirror import make_mirror
from form4_assets.synthetic.volume import day_volume, population_size
from form4_assets_tests.synthetic_helpers import load_manifest


def test_daily_volumes_follow_edgar_at_the_default_per_day():
    """2024 Q3 on EDGAR: per day median 508, 90th percentile 820, maximum 2,260 (the SEC's data set)."""
    days = list(business_days(dt.date(2024, 7, 1), dt.date(2024, 9, 30)))
    medians, p90s, maxima = [], [], []
    for seed in range(20):
        rng = random.Random(seed)
        volumes = sorted(day_volume(rng, DEFAULT_PER_DAY, day) for day in days)
        medians.append(volumes[len(volumes) // 2])
        p90s.append(volumes[int(0.9 * (len(volumes) - 1))])
        maxima.append(volumes[-1])
    assert 450 < statistics.median(medians) < 570
    assert 720 < statistics.median(p90s) < 920
    assert 1700 < statistics.median(maxima) < 2600
    # A year at the default: about 200,000 filings, heavy days up to about 2,500.
    year = list(business_days(dt.date(2024, 1, 2), dt.date(2024, 12, 31)))[:250]
    rng = random.Random(1)
    volumes = [day_volume(rng, DEFAULT_PER_DAY, day) for day in year]
    assert 160_000 < sum(volumes) < 220_000 and max(volumes) < 3200


def test_issuers_file_about_as_often_as_on_edgar(tmp_path):
    """~2.8 filings per issuer per month and ~32% of filings with a derivative transaction (2024 Q3)."""
    per_month = DEFAULT_PER_DAY * 21 / population_size(DEFAULT_PER_DAY)
    assert 2.3 < per_month < 3.3
    make_mirror(tmp_path, dt.date(2024, 7, 8), dt.date(2024, 7, 10), per_day=DEFAULT_PER_DAY, include_seed=False)
    records = load_manifest(tmp_path)
    issuers = {r["issuer"]["cik"] for r in records}
    assert len(issuers) > 0.6 * len(records)  # three days touch most issuers about once
    with_deriv = sum(any(x["table"] == "deriv_trans" for x in r["rows"]) for r in records) / len(records)
    assert 0.26 < with_deriv < 0.38
