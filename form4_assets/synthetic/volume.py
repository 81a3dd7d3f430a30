"""How many ownership filings a synthetic day has and how many issuers file them.

Volumes are calibrated on the SEC's 2024 Q3 Form 345 figures: at the default
``--per-day`` of 508 (``synthetic.DEFAULT_PER_DAY``) a quarter's days have median ~508, 90th
percentile ~820 and maximum ~2,260 filings. A day is the median times the month's season
times a lognormal spread, or (2% of days) a heavy day of 3.3-4.6 times the median. The season
is heavier in the months of annual grants and Form 5s (February, March) and of the
post-earnings trading windows; Q3 averages 1, a year about 1.3 (about 190,000 filings over
250 days at the default).
"""

from __future__ import annotations

import datetime as dt
import random

_SEASON = {1: 1.1, 2: 2.1, 3: 2.0, 4: 1.05, 5: 1.6, 6: 1.2, 7: 0.9, 8: 1.2, 9: 0.9, 10: 1.0, 11: 1.5, 12: 1.3}
_DAY_SIGMA, _HEAVY_RATE, _HEAVY_FACTOR = 0.37, 0.02, (3.3, 4.6)
#: Issuers per filing of a median day: 4,239 distinct issuers filed 36,075 times in 2024 Q3,
#: about 2.8 filings per issuer per month.
_ISSUERS_PER_FILING = 8.3


def day_volume(rng: random.Random, per_day: int, day: dt.date) -> int:
    """How many ownership filings (new ones and amendments) `day` has, for a median day of `per_day`."""
    if rng.random() < _HEAVY_RATE:
        return round(per_day * rng.uniform(*_HEAVY_FACTOR))
    return round(per_day * _SEASON[day.month] * rng.lognormvariate(0, _DAY_SIGMA))


def population_size(per_day: int) -> int:
    """Issuers in the population: EDGAR's ~2.8 filings per issuer per month (at least 300,
    so that small mirrors still have variety)."""
    return max(300, round(_ISSUERS_PER_FILING * per_day))
