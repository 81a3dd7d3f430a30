"""Checks of a derived asset that stay right when dates are loaded out of order or at once.

Every aggregate, signal and outcome partition D reads its inputs on D and on earlier dates
(form4_assets.aggregates.staleness). A date computed before an earlier date it reads
changed is stale: its rows no longer follow from its inputs, though nothing is wrong
with the code. So the checks of such an asset are evaluated together, under the
warehouse write lock (no other run's write lands between their queries), and:

- `current_with_earlier_dates` (WARN) lists the asset's stale partitions, the whole
  warehouse's, each on the run's latest date on or before it, with the remedy;
- the checks that compare the asset with its inputs skip the run's stale dates (0
  checked, the reason in their details) instead of failing on what the WARN reports.

Everything is reported per filing date through defs.checks.report_checks.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import dagster as dg
import sqlalchemy as sa

from form4_assets.aggregates import staleness
from form4_assets.defs.checks import CheckPolicy, report_checks
from form4_assets.warehouse.checks_sql import CheckOutcome
from form4_assets.warehouse.store import write_transaction

ByDate = Callable[[sa.Connection, list[dt.date]], Mapping[dt.date, CheckOutcome]]
Outcomes = dict[CheckPolicy, dict[dt.date, CheckOutcome]]


def _current_policy(asset: str) -> CheckPolicy:
    return CheckPolicy(
        "current_with_earlier_dates", asset, dg.AssetCheckSeverity.WARN,
        "No partition of this asset was computed before a partition it reads (same or earlier filing date) "
        "changed, as happens when dates are materialized out of order or by runs at the same time. "
        "WARN with the stale dates: re-materialize the derived assets (aggregates, signals, outcomes) for them "
        "(one run, dates in order; runs.refresh_stale_aggregates). Each partition of the warehouse is reported on "
        "the run's latest date on or before it.",
    )


#: The staleness check of every derived asset.
CURRENT: dict[str, CheckPolicy] = {asset: _current_policy(asset) for asset in staleness.INPUTS}


def on_each(finding_of: Callable[[sa.Connection, list[dt.date]], CheckOutcome]) -> ByDate:
    """An invariant over some dates, evaluated on each date alone."""
    return lambda conn, days: {day: finding_of(conn, [day]) for day in days}


@dataclass(frozen=True)
class ScopedCheck:
    """One check of the asset and how it is evaluated per date."""

    policy: CheckPolicy
    by_date: ByDate
    stale_too: bool = False  # also on stale dates: the check does not compare the asset with its inputs


def current_by_date(
    asset: str, days: list[dt.date], partitions: list[dt.date], stale: list[staleness.Stale]
) -> dict[dt.date, CheckOutcome]:
    """current_with_earlier_dates on each date of the run, over every partition of the asset.

    A run's write on D can make any later partition stale, also one outside the run, so
    each partition of the warehouse is reported on the run's latest date on or before it
    (the run's first date for earlier ones): every partition is counted once, and a stale
    later date shows on the date that changed under it.
    """
    findings = {day: CheckOutcome() for day in days}

    def home(day: dt.date) -> dt.date:
        return days[max(bisect.bisect_right(days, day) - 1, 0)]

    for day in partitions:
        findings[home(day)].checked += 1
    for s in stale:
        findings[home(s.filing_date)].add(
            {"table": asset, "column": "FILING_DATE", "found": s.filing_date.isoformat(), "expected": s.because}
        )
    return findings


def _skipped(because: str) -> CheckOutcome:
    return CheckOutcome(checked=0, failures=0, details={"skipped": f"stale ({because}): see current_with_earlier_dates"})


def evaluate(
    context: dg.AssetExecutionContext, engine: sa.Engine, asset: str, dates: Sequence[dt.date],
    checks: Sequence[ScopedCheck],
) -> Outcomes:
    """Each selected check's outcome on each date of the run, and current_with_earlier_dates'."""
    days = sorted(set(dates))
    selected = context.selected_asset_check_keys
    with write_transaction(engine) as conn:
        partitions, stale = staleness.staleness_of(conn, asset)
        outcomes: Outcomes = {CURRENT[asset]: current_by_date(asset, days, partitions, stale)} if days else {}
        because = {s.filing_date: s.because for s in stale}
        for check in checks:
            if check.policy.check_key not in selected:
                continue
            over = days if check.stale_too else [d for d in days if d not in because]
            findings = check.by_date(conn, over) if over else {}
            outcomes[check.policy] = {
                day: findings[day] if day in findings else _skipped(because[day]) for day in days
            }
    return outcomes


def report(
    context: dg.AssetExecutionContext, outcomes: Outcomes, policies: Sequence[CheckPolicy], dates: Sequence[dt.date]
) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
    """Each policy's outcomes reported per filing date on the asset's partitions (after its materialization)."""
    yield from report_checks(context, [(p, lambda days, p=p: outcomes[p]) for p in policies], dates)
