"""Stage 4, aggregates: thin Dagster assets over form4_assets.aggregates.

effective_transactions → issuer_daily_activity → net_insider_selling, and
effective_transactions → cluster_buys. All share the filing-date partitions and run a
backfill as one run; each date is computed and committed in date order (a date reads
what earlier dates wrote) through `replace_partitions`, one transaction per date.

Checks are computed right after the writes and returned with the materialization
(`check_specs`), like the parse-stage checks: a failing blocking check stops the
downstream aggregates of the same run. Each reports how much it checked, how many
problems it found and the first offending rows.
"""

# No `from __future__ import annotations`: Dagster reads the context and resource annotations at definition time.

import base64
import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext
import sqlalchemy as sa

from form4_assets import settings
from form4_assets.aggregates import build, reconcile
from form4_assets.aggregates.charts import net_selling_png, write_png
from form4_assets.aggregates.net_selling import TOP_COLUMNS, history, top_movers
from form4_assets.defs.metadata import KINDS, OWNERS, markdown_table
from form4_assets.defs.partitions import filing_date_partitions, partition_dates
from form4_assets.defs.resources import WarehouseResource
from form4_assets.tables import (
    CLUSTER_BUYS,
    EFFECTIVE_TRANSACTIONS,
    ISSUER_DAILY_ACTIVITY,
    NET_INSIDER_SELLING,
    SUPERSESSIONS,
    Table,
)
from form4_assets.warehouse.schema import TABLES
from form4_assets.warehouse.store import count_rows, preview_rows

GROUP = "aggregates"
PLOT_ISSUERS = 5
PLOT_DAYS = 180
Dep = tuple[str, str]  # (upstream asset, column)


# --------------------------------------------------------------------------- metadata


def _schema(spec: Table) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[dg.TableColumn(c.name, c.kind, description=c.description) for c in spec.columns],
        constraints=dg.TableConstraints(other=[f"primary key ({', '.join(spec.key)})"]),
    )


def _lineage(spec: Table, deps_of: Callable[[str], Iterable[Dep]]) -> dg.TableColumnLineage:
    deps: dict[str, list[dg.TableColumnDep]] = {}
    for column in spec.column_names:
        found = [dg.TableColumnDep(dg.AssetKey(asset), upstream) for asset, upstream in deps_of(column)]
        if found:
            deps[column] = found
    return dg.TableColumnLineage(deps_by_column=deps)


_DOC = "ownership_documents"
_TX = "transactions"
_EFFECTIVE_DEPS: dict[str, list[Dep]] = {
    "FILING_DATE": [(_TX, "FILING_DATE")],
    "ACCESSION_NUMBER": [(_TX, "ACCESSION_NUMBER")],
    "TRANS_SK": [(_TX, "NONDERIV_TRANS_SK"), (_TX, "DERIV_TRANS_SK")],
    **{c: [(_DOC, c)] for c in ("DOCUMENT_TYPE", "PERIOD_OF_REPORT", "ISSUERCIK", "ISSUERNAME", "ISSUERTRADINGSYMBOL",
                                "RPTOWNERCIK", "RPTOWNERNAME")},
    "CO_FILERS": [(_DOC, "RPTOWNERCIK"), (_DOC, "RPTOWNER_SK")],
    **{c: [(_DOC, "RPTOWNER_RELATIONSHIP")] for c in ("IS_DIRECTOR", "IS_OFFICER", "IS_TEN_PCT_OWNER", "IS_OTHER", "ROLE")},
    **{c: [(_TX, c)] for c in ("SECURITY_TITLE", "TRANS_DATE", "TRANS_CODE", "TRANS_ACQUIRED_DISP_CD", "TRANS_SHARES",
                               "TRANS_PRICEPERSHARE", "DIRECT_INDIRECT_OWNERSHIP")},
    "TRANS_DOLLARS": [(_TX, "TRANS_SHARES"), (_TX, "TRANS_PRICEPERSHARE")],
    "ACTIVITY": [(_TX, "TRANS_CODE")],
    **{c: [(_DOC, "AFF10B5ONE"), (_DOC, "FOOTNOTE_TXT"), (_DOC, "REMARKS"), (_TX, "EQUITY_SWAP_TRANS_CD_FN")]
       for c in ("PLAN_10B5_1", "PLAN_EVIDENCE")},
}


def _activity_deps(column: str) -> list[Dep]:
    """issuer_daily_activity column → effective_transactions columns."""
    e = "effective_transactions"
    direct = {"FILING_DATE": ["FILING_DATE"], "ISSUERCIK": ["ISSUERCIK"], "TRANS_DATE": ["TRANS_DATE"],
              "ISSUERNAME": ["ISSUERNAME"], "ISSUERTRADINGSYMBOL": ["ISSUERTRADINGSYMBOL"],
              "BUYERS": ["RPTOWNERCIK", "ACTIVITY"], "SELLERS": ["RPTOWNERCIK", "ACTIVITY"],
              "ACCESSIONS": ["ACCESSION_NUMBER"], "TRANSACTION_ROWS": ["ACCESSION_NUMBER", "TRANS_SK"],
              "OTHER_ROWS": ["ACTIVITY"], "GIFT_SHARES_GIVEN": ["TRANS_SHARES", "ACTIVITY", "TRANS_ACQUIRED_DISP_CD"],
              "GIFT_SHARES_RECEIVED": ["TRANS_SHARES", "ACTIVITY", "TRANS_ACQUIRED_DISP_CD"]}
    if column in direct:
        cols = direct[column]
    else:
        cols = ["TRANS_DOLLARS" if "DOLLARS" in column else "TRANS_SHARES", "ACTIVITY"]
        if "NO_PRICE" in column:
            cols = ["TRANS_PRICEPERSHARE", "ACTIVITY"]
        elif column.endswith("_ROWS"):
            cols = ["ACTIVITY"]
        if "PLAN" in column or "DISCRETIONARY" in column:
            cols.append("PLAN_10B5_1")
        if any(column.endswith(r) for r in ("_OFFICER", "_DIRECTOR", "_TEN_PCT_OWNER", "_OTHER")):
            cols.append("ROLE")
    return [(e, c) for c in cols]


def _net_deps(column: str) -> list[Dep]:
    """net_insider_selling column → issuer_daily_activity columns."""
    a = "issuer_daily_activity"
    if column in ("FILING_DATE", "ISSUERCIK", "ISSUERNAME", "ISSUERTRADINGSYMBOL"):
        return [(a, column)]
    if column == "LAST_TRANS_DATE":
        return [(a, "TRANS_DATE"), (a, "BUY_ROWS"), (a, "SELL_ROWS")]
    stem = column.rsplit("_", 1)[0]  # drop _30D / _90D
    unit = "DOLLARS" if "DOLLARS" in stem else "SHARES"
    suffix = "_DISCRETIONARY" if "DISCRETIONARY" in stem else ""
    sides = ["SELL"] if stem.startswith("SELL") else ["BUY"] if stem.startswith("BUY") else ["SELL", "BUY"]
    return [(a, f"{side}_{unit}{suffix}") for side in sides] + [(a, "TRANS_DATE"), (a, "FILING_DATE")]


def _cluster_deps(column: str) -> list[Dep]:
    e = "effective_transactions"
    mapping = {"BUY_SHARES": ["TRANS_SHARES", "ACTIVITY"], "BUY_DOLLARS": ["TRANS_DOLLARS", "ACTIVITY"],
               "CLUSTER_INSIDERS": ["RPTOWNERCIK", "ACTIVITY"], "FIRST_TRANS_DATE": ["TRANS_DATE"],
               "LAST_TRANS_DATE": ["TRANS_DATE"], "ACCESSIONS": ["ACCESSION_NUMBER"], "WINDOW_START": ["FILING_DATE"]}
    return [(e, c) for c in mapping.get(column, [column])]


def _definition_metadata(spec: Table, lineage: dg.TableColumnLineage, *others: Table) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "dagster/table_name": spec.name,
        "dagster/column_schema": _schema(spec),
        "dagster/column_lineage": lineage,
        "tables": dg.MetadataValue.text(", ".join(t.name for t in (spec, *others))),
    }
    for other in others:
        meta[f"schema/{other.name}"] = _schema(other)
    return meta


def _materialization_metadata(
    engine: sa.Engine, spec: Table, dates: Sequence[dt.date], extra: Mapping[str, Any] | None = None, *others: Table
) -> dict[str, Any]:
    preview_columns = list(spec.column_names[:8])
    meta: dict[str, Any] = {
        "dagster/table_name": spec.name,
        "dagster/column_schema": _schema(spec),
        "dagster/row_count": count_rows(engine, spec.name, dates),
        "partitions": dg.MetadataValue.text(f"{dates[0]} .. {dates[-1]} ({len(dates)} filing dates)" if dates else "none"),
        "preview": dg.MetadataValue.md(markdown_table(preview_rows(engine, spec.name, dates, preview_columns), preview_columns)),
    }
    for other in others:
        meta[f"row_count/{other.name}"] = count_rows(engine, other.name, dates)
    meta.update(extra or {})
    return meta


def _check_result(name: str, finding: reconcile.Finding, severity: dg.AssetCheckSeverity, what: str) -> dg.AssetCheckResult:
    examples = finding.problems[: reconcile.EXAMPLES]
    columns = list(dict.fromkeys(k for p in examples for k in p))
    return dg.AssetCheckResult(
        check_name=name,
        passed=finding.passed,
        severity=severity,
        description=f"{len(finding.problems)} {what} among {finding.checked} checked",
        metadata={
            "checked": finding.checked,
            "problems": len(finding.problems),
            "examples": dg.MetadataValue.md(markdown_table(examples, columns) if examples else "_none_"),
            "examples_json": dg.MetadataValue.json(json.loads(json.dumps(examples, default=str))),
        },
    )


def _spec(name: str, asset: str, description: str, blocking: bool = True) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(name, asset=asset, description=description, blocking=blocking)


_COMMON = dict(
    partitions_def=filing_date_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name=GROUP,
    owners=OWNERS,
    kinds=KINDS,
)
ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN


# --------------------------------------------------------------------------- assets


@dg.asset(
    name="effective_transactions",
    deps=["transactions", "ownership_documents"],
    description=EFFECTIVE_TRANSACTIONS.description + " Writes supersessions (the amendment links) too.",
    metadata=_definition_metadata(EFFECTIVE_TRANSACTIONS, _lineage(EFFECTIVE_TRANSACTIONS, lambda c: _EFFECTIVE_DEPS.get(c, [])), SUPERSESSIONS),
    check_specs=[
        _spec("superseded_rows_excluded", "effective_transactions",
              "No row belongs to a filing superseded by an amendment filed on or before its filing date."),
        _spec("cofilers_counted_once", "effective_transactions",
              "Each filing contributes one row per transaction row, attributed to its first reporting owner "
              "(a joint filing is not multiplied by its owners)."),
        _spec("amendments_matched", "effective_transactions",
              "Every amendment found the filing it amends, and no later amendment is waiting for a filing of these "
              "dates (WARN: an original not loaded yet, or partitions materialized out of order; the finding names "
              "the date to re-materialize).", blocking=False),
    ],
    **_COMMON,
)
def effective_transactions(context: AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    engine = warehouse.engine()
    dates = partition_dates(context)
    written = build.build_effective_transactions(engine, dates)
    context.log.info(f"effective_transactions: {written} over {len(dates)} filing dates")
    with engine.connect() as conn:
        rules = _rule_counts(conn, dates)
        checks = [
            _check_result("superseded_rows_excluded", reconcile.superseded_in_effective(conn, dates), ERROR, "superseded rows"),
            _check_result("cofilers_counted_once", reconcile.cofilers_counted_once(conn, dates), ERROR, "filings counted wrongly"),
            _check_result("amendments_matched", reconcile.unmatched_amendments(conn, dates), WARN, "unmatched amendments"),
        ]
    extra = {"supersessions_by_rule": dg.MetadataValue.json(rules)}
    return dg.MaterializeResult(
        metadata=_materialization_metadata(engine, EFFECTIVE_TRANSACTIONS, dates, extra, SUPERSESSIONS), check_results=checks
    )


def _rule_counts(conn: sa.Connection, dates: Sequence[dt.date]) -> dict[str, int]:
    """How many amendment links each matching rule produced (a quick view of amendment health)."""
    sup = TABLES["supersessions"]
    query = (
        sa.select(sup.c.MATCH_RULE, sa.func.count())
        .where(sup.c.FILING_DATE.in_(sorted(set(dates))))
        .group_by(sup.c.MATCH_RULE)
    )
    return {rule: int(n) for rule, n in conn.execute(query)}


@dg.asset(
    name="issuer_daily_activity",
    deps=["effective_transactions"],
    description=ISSUER_DAILY_ACTIVITY.description,
    metadata=_definition_metadata(ISSUER_DAILY_ACTIVITY, _lineage(ISSUER_DAILY_ACTIVITY, _activity_deps)),
    check_specs=[
        _spec("reconciles_with_effective_transactions", "issuer_daily_activity",
              "Per issuer-day, buy and sell shares, dollars (to the cent) and rows equal a SQL GROUP BY over the "
              "effective transactions as of the filing date; every issuer-day filed that day has a row."),
        _spec("no_superseded_filing_counted", "issuer_daily_activity",
              "No issuer-day lists a filing superseded by an amendment filed on or before its as-of date."),
    ],
    **_COMMON,
)
def issuer_daily_activity(context: AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    engine = warehouse.engine()
    dates = partition_dates(context)
    build.build_issuer_daily_activity(engine, dates)
    with engine.connect() as conn:
        checks = [
            _check_result("reconciles_with_effective_transactions", reconcile.reconcile_activity(conn, dates), ERROR,
                          "differences"),
            _check_result("no_superseded_filing_counted", reconcile.superseded_in_activity(conn, dates), ERROR,
                          "superseded filings counted"),
        ]
    return dg.MaterializeResult(metadata=_materialization_metadata(engine, ISSUER_DAILY_ACTIVITY, dates), check_results=checks)


@dg.asset(
    name="net_insider_selling",
    deps=["issuer_daily_activity"],
    description=NET_INSIDER_SELLING.description,
    metadata=_definition_metadata(NET_INSIDER_SELLING, _lineage(NET_INSIDER_SELLING, _net_deps)),
    check_specs=[
        _spec("reconciles_with_issuer_daily_activity", "net_insider_selling",
              "For the run's last filing date, 30- and 90-day net shares and dollars equal Decimal sums over the "
              "latest issuer-day versions, and exactly the issuers with open-market rows have a row."),
    ],
    **_COMMON,
)
def net_insider_selling(context: AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    engine = warehouse.engine()
    dates = partition_dates(context)
    build.build_net_insider_selling(engine, dates)
    extra: dict[str, Any] = {}
    checks: list[dg.AssetCheckResult] = []
    if dates:
        day = dates[-1]
        with engine.connect() as conn:
            checks.append(_check_result("reconciles_with_issuer_daily_activity", reconcile.reconcile_net_selling(conn, day),
                                        ERROR, "differences"))
            sellers, buyers = top_movers(conn, day)
            leaders = [r["ISSUERCIK"] for r in sorted(sellers + buyers, key=lambda r: -abs(r["NET_SELL_DOLLARS_30D"]))]
            leaders = leaders[:PLOT_ISSUERS]
            series = history(conn, leaders, day - dt.timedelta(days=PLOT_DAYS), day)
        names = {r["ISSUERCIK"]: r["ISSUERTRADINGSYMBOL"] or r["ISSUERCIK"] for r in sellers + buyers}
        extra["top_net_sellers_and_buyers"] = dg.MetadataValue.md(_top_markdown(day, sellers, buyers))
        extra.update(_plot_metadata(warehouse, day, {names[i]: series[i] for i in leaders}))
    return dg.MaterializeResult(metadata=_materialization_metadata(engine, NET_INSIDER_SELLING, dates, extra), check_results=checks)


def _top_markdown(day: dt.date, sellers: list[dict[str, Any]], buyers: list[dict[str, Any]]) -> str:
    columns = list(TOP_COLUMNS)
    return (
        f"### Top {len(sellers)} net sellers, 30 days to {day}\n\n{markdown_table(sellers, columns)}\n\n"
        f"### Top {len(buyers)} net buyers, 30 days to {day}\n\n{markdown_table(buyers, columns)}\n"
    )


def _plot_metadata(warehouse: WarehouseResource, day: dt.date, series: Mapping[str, Any]) -> dict[str, Any]:
    """The PNG inline (a data URI renders in the UI's markdown) and its path under the data directory."""
    png = net_selling_png(series, f"30-day net insider selling, top issuers, as of {day}")
    base = Path(warehouse.data_dir) if warehouse.data_dir else settings.data_dir()
    path = write_png(png, base / "charts" / f"net_insider_selling_{day.isoformat()}.png")
    encoded = base64.b64encode(png).decode("ascii")
    return {
        "net_selling_plot": dg.MetadataValue.md(f"![30-day net insider selling](data:image/png;base64,{encoded})"),
        "net_selling_plot_path": dg.MetadataValue.path(str(path.resolve())),
    }


@dg.asset(
    name="cluster_buys",
    deps=["effective_transactions"],
    description=CLUSTER_BUYS.description,
    metadata=_definition_metadata(CLUSTER_BUYS, _lineage(CLUSTER_BUYS, _cluster_deps)),
    **_COMMON,
)
def cluster_buys(context: AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    engine = warehouse.engine()
    dates = partition_dates(context)
    build.build_cluster_buys(engine, dates)
    extra: dict[str, Any] = {}
    if dates:
        columns = ["ISSUERTRADINGSYMBOL", "RPTOWNERNAME", "ROLE", "CLUSTER_INSIDERS", "BUY_SHARES", "BUY_DOLLARS",
                   "FIRST_TRANS_DATE", "LAST_TRANS_DATE"]
        rows = preview_rows(engine, "cluster_buys", [dates[-1]], ["ISSUERCIK", "RPTOWNERCIK", *columns], limit=30)
        extra["clusters"] = dg.MetadataValue.md(f"### Cluster buys as of {dates[-1]}\n\n" + markdown_table(rows, columns))
    return dg.MaterializeResult(metadata=_materialization_metadata(engine, CLUSTER_BUYS, dates, extra))


#: What definitions.py collects; the checks are declared on the assets (check_specs).
assets = [effective_transactions, issuer_daily_activity, net_insider_selling, cluster_buys]
