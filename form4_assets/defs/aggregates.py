"""Stage 4, aggregates: thin Dagster assets over form4_assets.aggregates.

effective_transactions → issuer_daily_activity → net_insider_selling, and
effective_transactions → cluster_buys. All share the filing-date partitions and run a
backfill as one run; each date is computed and committed in date order (a date reads
what earlier dates wrote), one transaction per date under the warehouse write lock.
Each asset also reports `current_with_earlier_dates` (WARN): the dates of the whole
warehouse computed before an earlier date they read changed (form4_assets.aggregates.staleness),
each on the run's latest date on or before it.

The deps stay same-date (Dagster's default mapping) although D reads earlier dates: a
`TimeWindowPartitionMapping(start_offset=-N)` for the 90-day window makes Dagster's
backfill target every later date whose window holds a requested date (a three-day
backfill would materialize net_insider_selling for 67 dates), and the reach of
amendments and late filings has no bound to declare. The warehouse tracks staleness
itself, from the order in which partitions were written.

Checks are computed right after the writes, under the write lock and over the run's
dates still current (a stale date is skipped, and listed by `current_with_earlier_dates`),
and reported per filing date on the asset's partitions (`check_specs`, form4_assets.defs.checks), like the parse-stage
checks: a failing blocking check on any date stops the downstream aggregates of the
same run. Each reports how much it checked, how many problems it found and the first
offending rows.
"""

# No `from __future__ import annotations`: Dagster reads the context and resource annotations at definition time.

import base64
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext
import sqlalchemy as sa

from form4_assets.aggregates import build, net_selling_check, reconcile
from form4_assets.aggregates.charts import net_selling_png, overview_svg_markdown, write_png
from form4_assets.aggregates.net_selling import TOP_COLUMNS, history, top_movers
from form4_assets.defs.checks import CheckPolicy
from form4_assets.defs.current import CURRENT, ScopedCheck, evaluate, on_each, report
from form4_assets.defs.metadata import (
    asset_options,
    definition_metadata,
    derived_lineage,
    markdown_table,
    materialize_result,
)
from form4_assets.defs.partitions import partition_dates
from form4_assets.defs.resources import WarehouseResource, data_dir_of
from form4_assets.tables import CLUSTER_BUYS, EFFECTIVE_TRANSACTIONS, ISSUER_DAILY_ACTIVITY, NET_INSIDER_SELLING
from form4_assets.warehouse.schema import TABLES
from form4_assets.warehouse.store import preview_rows

GROUP = "aggregates"
PLOT_ISSUERS = 5
PLOT_DAYS = 180


ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN

#: The aggregates' checks; ERROR ones are blocking (see form4_assets.defs.checks).
SUPERSEDED_EXCLUDED = CheckPolicy(
    "superseded_rows_excluded", "effective_transactions", ERROR,
    "No row belongs to a filing superseded by an amendment filed on or before its filing date.",
)
COFILERS_ONCE = CheckPolicy(
    "cofilers_counted_once", "effective_transactions", ERROR,
    "Each filing contributes one row per transaction row, attributed to its first reporting owner "
    "(a joint filing is not multiplied by its owners).",
)
AMENDMENTS_MATCHED = CheckPolicy(
    "amendments_matched", "effective_transactions", WARN,
    "Every amendment found the filing it amends, and no later amendment is waiting for a filing of these "
    "dates (WARN: an original not loaded yet, or partitions materialized out of order; the finding names "
    "the date to re-materialize).",
)
ACTIVITY_RECONCILES = CheckPolicy(
    "reconciles_with_effective_transactions", "issuer_daily_activity", ERROR,
    "Per issuer-day, buy and sell shares, dollars (to the cent) and rows equal a SQL GROUP BY over the "
    "effective transactions as of the filing date; every issuer-day filed that day has a row.",
)
ACTIVITY_NOT_SUPERSEDED = CheckPolicy(
    "no_superseded_filing_counted", "issuer_daily_activity", ERROR,
    "No issuer-day lists a filing superseded by an amendment filed on or before its as-of date.",
)
NET_SELLING_RECONCILES = CheckPolicy(
    "reconciles_with_issuer_daily_activity", "net_insider_selling", ERROR,
    "For every filing date of the run, 30- and 90-day net shares and dollars equal Decimal sums over the "
    "latest issuer-day versions, and exactly the issuers with open-market rows have a row.",
)
CLUSTERS_RECONCILE = CheckPolicy(
    "reconciles_with_effective_transactions", "cluster_buys", ERROR,
    "For every filing date of the run, the issuers with three or more distinct open-market buyers (TRANS_CODE P) "
    "in the 10-day window, their buyers, shares, dollars and cluster size equal a SQL GROUP BY over the "
    "effective transactions as of that date.",
)


Checked = Iterator[dg.MaterializeResult | dg.AssetCheckEvaluation | dg.Output]


_COMMON = asset_options(GROUP)


# --------------------------------------------------------------------------- assets


@dg.asset(
    name="effective_transactions",
    deps=["transactions", "ownership_documents", "sec_form345"],
    description=EFFECTIVE_TRANSACTIONS.description + " Writes supersessions (the amendment links) too.",
    metadata=definition_metadata("effective_transactions", derived_lineage(EFFECTIVE_TRANSACTIONS)),
    check_specs=[p.spec() for p in (SUPERSEDED_EXCLUDED, COFILERS_ONCE, AMENDMENTS_MATCHED, CURRENT["effective_transactions"])],
    **_COMMON,
)
def effective_transactions(context: AssetExecutionContext, warehouse: WarehouseResource) -> Checked:
    engine = warehouse.engine()
    dates = partition_dates(context)
    written = build.build_effective_transactions(engine, dates)
    context.log.info(f"effective_transactions: {written} over {len(dates)} filing dates")
    with engine.connect() as conn:
        rules = _rule_counts(conn, dates)
    checks = [
        ScopedCheck(SUPERSEDED_EXCLUDED, on_each(reconcile.superseded_in_effective)),
        ScopedCheck(COFILERS_ONCE, on_each(reconcile.cofilers_counted_once)),
        ScopedCheck(AMENDMENTS_MATCHED, on_each(reconcile.unmatched_amendments), stale_too=True),
    ]
    outcomes = evaluate(context, engine, "effective_transactions", dates, checks)
    per_date = {day: {"supersessions_by_rule": dg.MetadataValue.json(rules.get(day, {}))} for day in dates}
    yield materialize_result(context, engine, "effective_transactions", dates, per_date=per_date)
    yield from report(context, outcomes, [c.policy for c in checks] + [CURRENT["effective_transactions"]], dates)


def _rule_counts(conn: sa.Connection, dates: Sequence[dt.date]) -> dict[dt.date, dict[str, int]]:
    """Per filing date, how many amendment links each matching rule produced (a quick view of amendment health)."""
    sup = TABLES["supersessions"]
    query = (
        sa.select(sup.c.FILING_DATE, sup.c.MATCH_RULE, sa.func.count())
        .where(sup.c.FILING_DATE.in_(sorted(set(dates))))
        .group_by(sup.c.FILING_DATE, sup.c.MATCH_RULE)
    )
    counts: dict[dt.date, dict[str, int]] = {}
    for day, rule, n in conn.execute(query):
        counts.setdefault(day, {})[rule] = int(n)
    return counts


@dg.asset(
    name="issuer_daily_activity",
    deps=["effective_transactions"],
    description=ISSUER_DAILY_ACTIVITY.description,
    metadata=definition_metadata("issuer_daily_activity", derived_lineage(ISSUER_DAILY_ACTIVITY)),
    check_specs=[p.spec() for p in (ACTIVITY_RECONCILES, ACTIVITY_NOT_SUPERSEDED, CURRENT["issuer_daily_activity"])],
    **_COMMON,
)
def issuer_daily_activity(context: AssetExecutionContext, warehouse: WarehouseResource) -> Checked:
    engine = warehouse.engine()
    dates = partition_dates(context)
    build.build_issuer_daily_activity(engine, dates)
    checks = [
        ScopedCheck(ACTIVITY_RECONCILES, on_each(reconcile.reconcile_activity)),
        ScopedCheck(ACTIVITY_NOT_SUPERSEDED, on_each(reconcile.superseded_in_activity)),
    ]
    outcomes = evaluate(context, engine, "issuer_daily_activity", dates, checks)
    yield materialize_result(context, engine, "issuer_daily_activity", dates)
    yield from report(context, outcomes, [c.policy for c in checks] + [CURRENT["issuer_daily_activity"]], dates)


@dg.asset(
    name="net_insider_selling",
    deps=["issuer_daily_activity"],
    description=NET_INSIDER_SELLING.description,
    metadata=definition_metadata("net_insider_selling", derived_lineage(NET_INSIDER_SELLING)),
    check_specs=[NET_SELLING_RECONCILES.spec(), CURRENT["net_insider_selling"].spec()],
    **_COMMON,
)
def net_insider_selling(context: AssetExecutionContext, warehouse: WarehouseResource) -> Checked:
    engine = warehouse.engine()
    dates = partition_dates(context)
    build.build_net_insider_selling(engine, dates)
    checks = [ScopedCheck(NET_SELLING_RECONCILES, net_selling_check.reconcile_net_selling_by_date)]
    outcomes = evaluate(context, engine, "net_insider_selling", dates, checks)
    per_date: dict[dt.date, dict[str, Any]] = {}
    if dates:
        day = dates[-1]  # the leaders and the plot describe the run's last date
        with engine.connect() as conn:
            sellers, buyers = top_movers(conn, day)
            leaders = [r["ISSUERCIK"] for r in sorted(sellers + buyers, key=lambda r: -abs(r["NET_SELL_DOLLARS_30D"]))]
            leaders = leaders[:PLOT_ISSUERS]
            series = history(conn, leaders, day - dt.timedelta(days=PLOT_DAYS), day)
        names = {r["ISSUERCIK"]: r["ISSUERTRADINGSYMBOL"] or r["ISSUERCIK"] for r in sellers + buyers}
        per_date[day] = {
            "top_net_sellers_and_buyers": dg.MetadataValue.md(_top_markdown(day, sellers, buyers)),
            **_plot_metadata(warehouse, day, {names[i]: series[i] for i in leaders}),
        }
    yield materialize_result(context, engine, "net_insider_selling", dates, per_date=per_date)
    yield from report(context, outcomes, [NET_SELLING_RECONCILES, CURRENT["net_insider_selling"]], dates)


def _top_markdown(day: dt.date, sellers: list[dict[str, Any]], buyers: list[dict[str, Any]]) -> str:
    columns = list(TOP_COLUMNS)
    return (
        f"### Top {len(sellers)} net sellers, 30 days to {day}\n\n{markdown_table(sellers, columns)}\n\n"
        f"### Top {len(buyers)} net buyers, 30 days to {day}\n\n{markdown_table(buyers, columns)}\n"
    )


def _plot_metadata(warehouse: WarehouseResource, day: dt.date, series: Mapping[str, Any]) -> dict[str, Any]:
    """The plot small enough to show inline in the asset's Overview (SVG), the full PNG
    inline behind "[Show Markdown]" (a data URI renders in the UI's markdown), and the
    PNG's path under the data directory (see form4_assets.aggregates.charts)."""
    title = f"30-day net insider selling, top issuers, as of {day}"
    png = net_selling_png(series, title)
    base = data_dir_of(warehouse.data_dir)
    path = write_png(png, base / "charts" / f"net_insider_selling_{day.isoformat()}.png")
    encoded = base64.b64encode(png).decode("ascii")
    return {
        "net_selling_overview": dg.MetadataValue.md(overview_svg_markdown(series, title)),
        "net_selling_plot": dg.MetadataValue.md(f"![{title}](data:image/png;base64,{encoded})"),
        "net_selling_plot_path": dg.MetadataValue.path(str(path.resolve())),
    }


@dg.asset(
    name="cluster_buys",
    deps=["effective_transactions"],
    description=CLUSTER_BUYS.description,
    metadata=definition_metadata("cluster_buys", derived_lineage(CLUSTER_BUYS)),
    check_specs=[CLUSTERS_RECONCILE.spec(), CURRENT["cluster_buys"].spec()],
    **_COMMON,
)
def cluster_buys(context: AssetExecutionContext, warehouse: WarehouseResource) -> Checked:
    engine = warehouse.engine()
    dates = partition_dates(context)
    build.build_cluster_buys(engine, dates)
    checks = [ScopedCheck(CLUSTERS_RECONCILE, on_each(reconcile.reconcile_cluster_buys))]
    outcomes = evaluate(context, engine, "cluster_buys", dates, checks)
    per_date: dict[dt.date, dict[str, Any]] = {}
    if dates:  # the cluster table describes the run's last date
        columns = ["ISSUERTRADINGSYMBOL", "RPTOWNERNAME", "ROLE", "CLUSTER_INSIDERS", "BUY_SHARES", "BUY_DOLLARS",
                   "FIRST_TRANS_DATE", "LAST_TRANS_DATE"]
        rows = preview_rows(engine, "cluster_buys", [dates[-1]], ["ISSUERCIK", "RPTOWNERCIK", *columns], limit=30)
        table_md = f"### Cluster buys as of {dates[-1]}\n\n" + markdown_table(rows, columns)
        per_date[dates[-1]] = {"clusters": dg.MetadataValue.md(table_md)}
    yield materialize_result(context, engine, "cluster_buys", dates, per_date=per_date)
    yield from report(context, outcomes, [CLUSTERS_RECONCILE, CURRENT["cluster_buys"]], dates)
