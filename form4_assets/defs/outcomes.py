"""Stage 6, outcomes: thin Dagster assets over form4_assets.outcomes (issue 15).

effective_transactions, insider_patterns → trade_outcomes → insider_track_records;
insider_signals → signal_outcomes. Partitioned, as-of and committed date by date like the
signals. They need daily prices, which the filings do not carry: the `prices` resource
(PriceSourceResource, FORM4_PRICES_PATH).

Without a price source the assets *skip*: each step succeeds without materializing its
asset (`output_required=False`), records an AssetObservation per filing date saying "no
price source configured" (visible in the asset's event history), and yields its checks'
outputs without an evaluation, so the checks stay "not executed" rather than passing.
Dagster then skips the steps downstream of a skipped asset in the same run. This keeps
the graph's run green, leaves the partitions *missing* (nothing was measured, so nothing
claims to be fresh: the assets are also left out of the freshness checks), and avoids the
two alternatives Dagster offers that say something false: an empty materialization
("measured, nothing found") or a failure ("the graph is broken").

Materialized, their checks run like the signals' (form4_assets.defs.current): under the
warehouse write lock over the run's dates still current, and each asset reports the WARN
`current_with_earlier_dates`.
"""

# No `from __future__ import annotations`: Dagster reads the context, config and resource annotations at definition time.

import base64
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext

from form4_assets.defs.checks import CheckPolicy
from form4_assets.defs.current import CURRENT, ScopedCheck, evaluate, on_each, report
from form4_assets.defs.metadata import asset_options, definition_metadata, derived_lineage, markdown_table, materialize_result
from form4_assets.defs.partitions import partition_dates
from form4_assets.defs.resources import PriceSourceResource, WarehouseResource, data_dir_of
from form4_assets.outcomes import build, reconcile
from form4_assets.outcomes.charts import class_curves, horizon_png, horizon_svg_markdown
from form4_assets.outcomes.trades import current_outcomes
from form4_assets.prices import PriceBook
from form4_assets.tables import INSIDER_TRACK_RECORDS, SIGNAL_OUTCOMES, TRADE_OUTCOMES
from form4_assets.warehouse.store import preview_rows

GROUP = "outcomes"
ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN
NOT_CONFIGURED = "no price source configured"

OUTCOMES_RECONCILE = CheckPolicy(
    "reconciles_with_prices", "trade_outcomes", ERROR,
    "Every open-market trade filed on the date has its row; no row uses a price after its FILING_DATE; every "
    "return recomputes from the price source's closes on ENTRY_DATE and EXIT_DATE, and EXCESS = RETURN − BENCH_RETURN.",
)
PRICES_MAPPED = CheckPolicy(
    "prices_mapped", "trade_outcomes", WARN,
    "Every trade's symbol maps to a price series with a close on its entry day; the misses (no symbol, symbol not "
    "in the price source, no close, data ending before the entry) are listed (WARN: the price file's coverage).",
)
RECORDS_RECONCILE = CheckPolicy(
    "reconciles_with_trade_outcomes", "insider_track_records", ERROR,
    "Each insider's trade count equals a SQL COUNT of its distinct trades in trade_outcomes as of the date (amended "
    "ones left out); purchases + sales = trades; plan + discretionary = all; the class segments add to at most all.",
)

_COMMON = {**asset_options(GROUP), "output_required": False}
Checked = Iterator[dg.MaterializeResult | dg.AssetCheckEvaluation | dg.Output]


def _skip(context: AssetExecutionContext, asset: str) -> Checked:
    """Not materialized: the reason observed on every filing date, the checks' outputs without evaluations."""
    context.log.info(f"{asset}: skipped, {NOT_CONFIGURED} (set FORM4_PRICES_PATH or the prices resource's path)")
    for day in partition_dates(context):
        context.log_event(dg.AssetObservation(
            asset_key=asset, partition=day.isoformat(),
            metadata={"skipped": dg.MetadataValue.text(f"{NOT_CONFIGURED}: set FORM4_PRICES_PATH (README: Prices)")}))
    for key in context.selected_asset_check_keys:
        yield dg.Output(None, output_name=context.assets_def.get_output_name_for_asset_check_key(key))


def _book_facts(book: PriceBook) -> dict[str, Any]:
    issues = [{"kind": i.kind, "ticker": i.ticker, "day": i.day, "detail": i.detail, "source": i.source}
              for i in book.issues[:20]]
    return {
        "price_source": dg.MetadataValue.text(book.source),
        "price_benchmark": dg.MetadataValue.text(book.benchmark or "none (no excess returns)"),
        "price_tickers": len(book.series),
        "price_issues": len(book.issues),
        "price_issue_examples": dg.MetadataValue.md(markdown_table(issues, ["kind", "ticker", "day", "detail", "source"])),
    }


def _run(
    context: AssetExecutionContext, warehouse: WarehouseResource, asset: str, write: Callable,
    checks: Sequence[tuple[CheckPolicy, Callable]], preview: Sequence[str], run_facts: dict[str, Any] | None = None,
    extra: Callable[[Any, dt.date], dict[str, Any]] | None = None,
) -> Checked:
    engine = warehouse.engine()
    dates = partition_dates(context)
    written = write(engine, dates)
    context.log.info(f"{asset}: {written} over {len(dates)} filing dates")
    per_date: dict[dt.date, dict[str, Any]] = {}
    if dates:
        rows = preview_rows(engine, asset, [dates[-1]], list(preview), limit=20)
        per_date[dates[-1]] = {"latest": dg.MetadataValue.md(f"### {asset} as of {dates[-1]}\n\n" + markdown_table(rows, list(preview)))}
        if extra:
            per_date[dates[-1]].update(extra(engine, dates[-1]))
    outcomes = evaluate(context, engine, asset, dates, [ScopedCheck(policy, on_each(run)) for policy, run in checks])
    yield materialize_result(context, engine, asset, dates, run_facts=run_facts, per_date=per_date)
    yield from report(context, outcomes, [*(policy for policy, _ in checks), CURRENT[asset]], dates)


_HORIZON_PREVIEW = ("TICKER", "RPTOWNERNAME", "TRANS_CODE", "CLASS", "PRICE_STATUS", "ENTRY_DATE", "DAYS_AVAILABLE",
                    "EXCESS_5D", "EXCESS_21D", "EXCESS_63D", "EXCESS_126D")


@dg.asset(
    name="trade_outcomes",
    deps=["effective_transactions", "filing_headers", "insider_patterns"],
    description=TRADE_OUTCOMES.description,
    metadata=definition_metadata("trade_outcomes", derived_lineage(TRADE_OUTCOMES)),
    check_specs=[p.spec() for p in (OUTCOMES_RECONCILE, PRICES_MAPPED, CURRENT["trade_outcomes"])],
    **_COMMON,
)
def trade_outcomes(context: AssetExecutionContext, warehouse: WarehouseResource, prices: PriceSourceResource) -> Checked:
    if not prices.configured():
        yield from _skip(context, "trade_outcomes")
        return
    book = prices.book()
    yield from _run(context, warehouse, "trade_outcomes", lambda engine, dates: build.build_trade_outcomes(engine, dates, book),
                    [(OUTCOMES_RECONCILE, lambda conn, days: reconcile.outcomes_reconcile(conn, days, book)),
                     (PRICES_MAPPED, reconcile.prices_mapped)], _HORIZON_PREVIEW, _book_facts(book))


def _plot(warehouse: WarehouseResource) -> Callable[[Any, dt.date], dict[str, Any]]:
    """Mean excess by horizon, routine vs opportunistic, over every trade's current row as of the day."""

    def metadata(engine: Any, day: dt.date) -> dict[str, Any]:
        from form4_assets.aggregates.charts import write_png
        from form4_assets.aggregates.sql import fetch, table

        to = table("trade_outcomes")
        with engine.connect() as conn:
            owners = {r["RPTOWNERCIK"] for r in fetch(conn, to.select().with_only_columns(to.c.RPTOWNERCIK).where(
                to.c.FILING_DATE <= day).distinct())}
            curves = class_curves(current_outcomes(conn, day, owners))
        title = f"Mean excess return by horizon, as of {day}"
        png = horizon_png(curves, title)
        path = write_png(png, data_dir_of(warehouse.data_dir) / "charts" / f"track_records_{day.isoformat()}.png")
        return {
            "excess_by_horizon": dg.MetadataValue.md(horizon_svg_markdown(curves, title)),
            "excess_by_horizon_plot": dg.MetadataValue.md(f"![{title}](data:image/png;base64,{base64.b64encode(png).decode()})"),
            "excess_by_horizon_path": dg.MetadataValue.path(str(path)),
        }

    return metadata


@dg.asset(
    name="insider_track_records",
    deps=["trade_outcomes"],
    description=INSIDER_TRACK_RECORDS.description,
    metadata=definition_metadata("insider_track_records", derived_lineage(INSIDER_TRACK_RECORDS)),
    check_specs=[RECORDS_RECONCILE.spec(), CURRENT["insider_track_records"].spec()],
    **_COMMON,
)
def insider_track_records(context: AssetExecutionContext, warehouse: WarehouseResource, prices: PriceSourceResource) -> Checked:
    if not prices.configured():
        yield from _skip(context, "insider_track_records")
        return
    yield from _run(context, warehouse, "insider_track_records", build.build_insider_track_records,
                    [(RECORDS_RECONCILE, reconcile.records_reconcile)],
                    ("RPTOWNERNAME", "ISSUERCIK", "SEGMENT", "TRADES", "MEASURED_21D", "HIT_RATE_21D", "MEAN_EXCESS_21D",
                     "MEDIAN_EXCESS_21D", "MEAN_EXCESS_126D"), extra=_plot(warehouse))


@dg.asset(
    name="signal_outcomes",
    deps=["insider_signals", "filing_headers", "effective_transactions"],
    description=SIGNAL_OUTCOMES.description,
    metadata=definition_metadata("signal_outcomes", derived_lineage(SIGNAL_OUTCOMES)),
    check_specs=[CURRENT["signal_outcomes"].spec()],
    **_COMMON,
)
def signal_outcomes(context: AssetExecutionContext, warehouse: WarehouseResource, prices: PriceSourceResource) -> Checked:
    if not prices.configured():
        yield from _skip(context, "signal_outcomes")
        return
    book = prices.book()
    yield from _run(context, warehouse, "signal_outcomes", lambda engine, dates: build.build_signal_outcomes(engine, dates, book),
                    [], ("SIGNAL_DATE", "TICKER", "SIGNAL", "PRICE_STATUS", "ENTRY_DATE", "EXCESS_5D", "EXCESS_21D",
                         "EXCESS_63D", "EXCESS_126D"), _book_facts(book))


outcomes_job = dg.define_asset_job(
    "outcomes_job",
    selection=dg.AssetSelection.groups(GROUP),
    description="The outcome assets alone, for filing dates whose filings are loaded: re-measure them when the "
    "price file has grown (prices keep arriving after the filings).",
)
