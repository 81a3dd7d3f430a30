"""A planted effect is recovered from insider_track_records (issue 15).

A pattern history (synthetic.patterns: insiders whose routine or opportunistic class is
designed) is loaded as the pipeline does; synthetic prices (synthetic.prices) plant a
drift of 0.5% a day over the 21 trading days after each purchase by an insider whose
designed class that year is opportunistic, and none elsewhere. The track records must
show it: the planted insiders' opportunistic segment beats the benchmark by about
exp(0.005 × 21) − 1 ≈ 11% at 21 days, every purchase of theirs hits, and the routine
insiders' trades show no such edge.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from pathlib import Path

import sqlalchemy as sa

from form4_assets.edgar.business_days import business_days
from form4_assets.outcomes import reconcile
from form4_assets.outcomes.build import build_all_outcomes
from form4_assets.prices import read_prices
from form4_assets.signals.build import build_insider_patterns
from form4_assets.synthetic.prices import BENCHMARK, make_synthetic_prices, purchase_plants
from form4_assets_tests.aggregates_support import load_pattern_history, select_all

DRIFT, DAYS = 0.005, 21
PLANTED = math.exp(DRIFT * DAYS) - 1


def _load_history(engine: sa.Engine, root: Path) -> tuple[list[dict], dict]:
    records, design, dates = load_pattern_history(engine, root, first_year=2020, years=4, issuers=3)
    build_insider_patterns(engine, dates)  # the classes; the other signals play no part here
    return records, {(i["owner_cik"], i["issuer_cik"], int(y)): c for i in design for y, c in i["classes"].items()}


def test_planted_drift_after_opportunistic_purchases_is_recovered(engine: sa.Engine, tmp_path: Path) -> None:
    records, classes = _load_history(engine, tmp_path / "mirror")

    def opportunistic(record: dict, row: dict) -> bool:
        return classes[(record["owners"][0]["cik"], record["issuer"]["cik"], int(row["trans_date"][:4]))] == "opportunistic"

    plants = purchase_plants(records, opportunistic, DRIFT, DAYS)
    planted_owners = {r["owners"][0]["cik"] for r in records for row in r["rows"] if row["code"] == "P" and opportunistic(r, row)}
    assert len(plants) >= 3 and len(planted_owners) >= 3
    prices = make_synthetic_prices(tmp_path / "prices", {r["issuer"]["ticker"] for r in records},
                                   dt.date(2019, 12, 2), dt.date(2024, 2, 29), plants, noise=0.004)
    book = read_prices(prices, BENCHMARK)
    # As of every business day of the classified year (2023) and the 21 trading days after it.
    dates = list(business_days(dt.date(2023, 1, 2), dt.date(2024, 2, 9)))
    build_all_outcomes(engine, dates, book)

    rows = select_all(engine, "insider_track_records", ISSUERCIK="ALL")
    current: dict[tuple[str, str], dict] = {}
    for r in sorted(rows, key=lambda r: r["FILING_DATE"]):
        current[(r["RPTOWNERCIK"], r["SEGMENT"])] = r
    planted = [r for (owner, segment), r in current.items() if owner in planted_owners and segment == "opportunistic"]
    assert len(planted) == len(planted_owners)
    for r in planted:
        assert r["MEASURED_21D"] == r["PURCHASES"] >= 1 and r["HIT_RATE_21D"] == 1, r
        assert abs(float(r["MEAN_EXCESS_21D"]) - PLANTED) < 0.06, r  # the walk's own noise: 0.4% a day, ~2% over 21 days
    recovered = statistics.mean(float(r["MEAN_EXCESS_21D"]) for r in planted)
    assert abs(recovered - PLANTED) < 0.03, recovered
    routine = [float(r["MEAN_EXCESS_21D"]) for (_, segment), r in current.items()
               if segment == "routine" and r["MEAN_EXCESS_21D"] is not None]
    assert routine and abs(statistics.mean(routine)) < PLANTED / 3, routine
    # Every history filing's SEC header says ACCEPTANCE-DATETIME ...160500: after the close, so every
    # trade enters at the next session's close.
    outcomes = [r for r in select_all(engine, "trade_outcomes") if r["ENTRY_DATE"] is not None]
    assert outcomes and {(r["ACCEPTANCE_DATETIME"].time(), r["ENTRY_RULE"]) for r in outcomes} == {
        (dt.time(16, 5), "after_close_next_day")}
    assert all(r["ENTRY_DATE"] == min(d for d in book.calendar(r["TICKER"]) if d > r["TRADE_FILING_DATE"]) for r in outcomes)
    with engine.connect() as conn:
        assert reconcile.records_reconcile(conn, dates[-30:]).passed
        finding = reconcile.outcomes_reconcile(conn, dates[-30:], book)
        assert finding.passed, finding.examples[:3]
