"""Stage 5, signals: thin Dagster assets over form4_assets.signals (issue 13).

effective_transactions → filing_timeliness, trading_plans, insider_patterns →
insider_signals. Same filing-date partitions and single-run backfills as the
aggregates; each date is computed and committed in date order. The reconciliation
checks are blocking; timeliness_dates_sane is a warning (bad dates are the filer's).
Like the aggregates' checks (form4_assets.defs.current), they run under the warehouse
write lock over the run's dates still current, and each asset reports the WARN
`current_with_earlier_dates`.
"""

# No `from __future__ import annotations`: Dagster reads the context, config and resource annotations at definition time.

from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal

import dagster as dg
from dagster import AssetExecutionContext

from form4_assets.defs.checks import CheckPolicy
from form4_assets.defs.current import CURRENT, ByDate, ScopedCheck, evaluate, report
from form4_assets.defs.metadata import (
    asset_options,
    definition_metadata,
    derived_lineage,
    markdown_table,
    materialize_result,
)
from form4_assets.defs.partitions import partition_dates
from form4_assets.defs.resources import WarehouseResource
from form4_assets.signals import build, reconcile
from form4_assets.signals.screens import ClusterDefinition, ScreenConfig
from form4_assets.tables import FILING_TIMELINESS, INSIDER_PATTERNS, INSIDER_SIGNALS, TRADING_PLANS
from form4_assets.warehouse.store import preview_rows

GROUP = "signals"
ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN
_E = "effective_transactions"

TIMELINESS_RECONCILES = CheckPolicy(
    "reconciles_with_effective_transactions", "filing_timeliness", ERROR,
    "One row per effective transaction row of each filing date, with its owner, issuer and transaction date, "
    "and IS_LATE exactly when BUSINESS_DAYS_TO_FILE exceeds DEADLINE_BUSINESS_DAYS.",
)
TIMELINESS_DATES_SANE = CheckPolicy(
    "timeliness_dates_sane", "filing_timeliness", WARN,
    "Every row has an execution date on or before its filing date (and a Form 3 its period of report); "
    "offending rows carry DATE_ERROR and no lateness (WARN: the filer's data).",
)
PLANS_RECONCILE = CheckPolicy(
    "reconciles_with_effective_transactions", "trading_plans", ERROR,
    "Exactly the filings of each date with open-market rows, their P/S and plan row counts equal a SQL GROUP BY, "
    "PLAN_STATUS is plan exactly when a row is planned, DAYS_SINCE_ADOPTION = TRANS_DATE − ADOPTION_DATE.",
)
PATTERNS_RECONCILE = CheckPolicy(
    "reconciles_with_effective_transactions", "insider_patterns", ERROR,
    "Every purchase and sale count of the year and the three prior years equals a SQL GROUP BY over the effective "
    "transactions (prior years: filed and amended before the year began); unclassified exactly when a prior year is empty.",
)
SIGNALS_RECONCILE = CheckPolicy(
    "reconciles_with_effective_transactions", "insider_signals", ERROR,
    "One row per issuer with filings on the date; 90-day sales, plan sales and opportunistic net shares equal a SQL "
    "GROUP BY over the effective transactions joined to insider_patterns; every listed accession counts as of the date; "
    "the CEO/CFO purchase, ownership-increase and cluster columns equal a recomputation by other routes (per officer "
    "title, cross-multiplied ΔOwn, per buyer under the row's own CLUSTER_DEFINITION).",
)


class SignalsConfig(dg.Config):
    """The screens' parameters (defaults documented in the README: issue 13's cluster-buy choice)."""

    own_increase_min_pct: float = 10.0
    cluster_min_insiders: int = 3
    cluster_window_days: int = 10
    cluster_min_dollars: float = 0.0
    cluster_exclude_ten_pct_and_funds: bool = True

    def screens(self) -> ScreenConfig:
        return ScreenConfig(
            own_increase_min_pct=Decimal(str(self.own_increase_min_pct)),
            cluster=ClusterDefinition(
                min_insiders=self.cluster_min_insiders, window_days=self.cluster_window_days,
                min_dollars=Decimal(str(self.cluster_min_dollars)),
                exclude_ten_pct_and_funds=self.cluster_exclude_ten_pct_and_funds,
            ),
        )


_COMMON = asset_options(GROUP)


Checked = Iterator[dg.MaterializeResult | dg.AssetCheckEvaluation | dg.Output]


def _materialize(
    context: AssetExecutionContext, warehouse: WarehouseResource, asset: str, write: Callable,
    checks: Sequence[tuple[CheckPolicy, ByDate]], preview: Sequence[str] = (),
) -> Checked:
    """Write the asset's dates, then its result and each check on each date (as the aggregates do);
    each check gives its outcome per date from a few queries over all of them."""
    engine = warehouse.engine()
    dates = partition_dates(context)
    written = write(engine, dates)
    context.log.info(f"{asset}: {written} over {len(dates)} filing dates")
    per_date = {}
    if dates and preview:
        rows = preview_rows(engine, asset, [dates[-1]], list(preview), limit=20)
        per_date[dates[-1]] = {
            "latest": dg.MetadataValue.md(f"### {asset} as of {dates[-1]}\n\n" + markdown_table(rows, list(preview)))
        }
    outcomes = evaluate(context, engine, asset, dates, [ScopedCheck(policy, by_date) for policy, by_date in checks])
    yield materialize_result(context, engine, asset, dates, per_date=per_date)
    yield from report(context, outcomes, [*(policy for policy, _ in checks), CURRENT[asset]], dates)


@dg.asset(
    name="filing_timeliness",
    deps=[_E, "ownership_documents", "filing_headers", "transactions"],
    description=FILING_TIMELINESS.description,
    metadata=definition_metadata("filing_timeliness", derived_lineage(FILING_TIMELINESS)),
    check_specs=[p.spec() for p in (TIMELINESS_RECONCILES, TIMELINESS_DATES_SANE, CURRENT["filing_timeliness"])],
    **_COMMON,
)
def filing_timeliness(context: AssetExecutionContext, warehouse: WarehouseResource) -> Checked:
    yield from _materialize(context, warehouse, "filing_timeliness", build.build_filing_timeliness,
                        [(TIMELINESS_RECONCILES, reconcile.timeliness_by_date), (TIMELINESS_DATES_SANE, reconcile.dates_sane_by_date)])


@dg.asset(
    name="trading_plans",
    deps=[_E, "ownership_documents"],
    description=TRADING_PLANS.description,
    metadata=definition_metadata("trading_plans", derived_lineage(TRADING_PLANS)),
    check_specs=[PLANS_RECONCILE.spec(), CURRENT["trading_plans"].spec()],
    **_COMMON,
)
def trading_plans(context: AssetExecutionContext, warehouse: WarehouseResource) -> Checked:
    yield from _materialize(context, warehouse, "trading_plans", build.build_trading_plans,
                        [(PLANS_RECONCILE, reconcile.plans_by_date)],
                        ("ISSUERTRADINGSYMBOL", "RPTOWNERNAME", "PLAN_STATUS", "ADOPTION_DATE", "TRANS_DATE",
                         "DAYS_SINCE_ADOPTION", "COOLING_OFF_STATUS"))


@dg.asset(
    name="insider_patterns",
    deps=[_E],
    description=INSIDER_PATTERNS.description,
    metadata=definition_metadata("insider_patterns", derived_lineage(INSIDER_PATTERNS)),
    check_specs=[PATTERNS_RECONCILE.spec(), CURRENT["insider_patterns"].spec()],
    **_COMMON,
)
def insider_patterns(context: AssetExecutionContext, warehouse: WarehouseResource) -> Checked:
    yield from _materialize(context, warehouse, "insider_patterns", build.build_insider_patterns,
                        [(PATTERNS_RECONCILE, reconcile.patterns_by_date)],
                        ("ISSUERTRADINGSYMBOL", "RPTOWNERNAME", "YEAR", "CLASS", "ROUTINE_MONTHS"))


@dg.asset(
    name="insider_signals",
    deps=[_E, "insider_patterns", "filing_timeliness", "ownership_documents", "transactions"],
    description=INSIDER_SIGNALS.description,
    metadata=definition_metadata("insider_signals", derived_lineage(INSIDER_SIGNALS)),
    check_specs=[SIGNALS_RECONCILE.spec(), CURRENT["insider_signals"].spec()],
    **_COMMON,
)
def insider_signals(context: AssetExecutionContext, config: SignalsConfig, warehouse: WarehouseResource) -> Checked:
    screens = config.screens()
    yield from _materialize(context, warehouse, "insider_signals",
                        lambda engine, dates: build.build_insider_signals(engine, dates, screens),
                        [(SIGNALS_RECONCILE, reconcile.signals_by_date)],
                        ("ISSUERTRADINGSYMBOL", "OPP_NET_BUY_SHARES_90D", "EXEC_BUY_ROWS", "OWN_INCREASE_ROWS",
                         "CLUSTER_INSIDERS", "IS_CLUSTER", "LATE_ROWS_90D", "PLAN_SALE_SHARE_90D"))

