"""Standard Dagster metadata for the warehouse tables, built from form4_assets.tables.

Each asset owns one or more warehouse tables; its first table supplies the standard
keys (`dagster/table_name`, `dagster/column_schema`, `dagster/row_count`) and the others
are listed with their own schema and counts, so the UI shows every column an asset
writes before the first run (definition time) and after each run (materialization).
A run over several filing dates gives each date's partition its own counts and preview
(`materialize_result`); only the run's facts are shared by all of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg
import sqlalchemy as sa

from form4_assets.defs.partitions import filing_date_partitions
from form4_assets.tables import FORM345_TABLES, TABLES_BY_NAME, Table
from form4_assets.warehouse.checks_sql import plain_value
from form4_assets.warehouse.store import count_rows_by_date, preview_rows

OWNERS = ["team:form4-data"]
KINDS = {"python", "sql"}

#: The warehouse tables each asset writes; the first is the asset's main table.
ASSET_TABLES: dict[str, tuple[str, ...]] = {
    "raw_filings": ("raw_filings",),
    "filing_headers": ("filing_headers", "header_parties"),
    "ownership_documents": ("submission", "reporting_owner", "footnotes", "owner_signature"),
    "transactions": ("nonderiv_trans", "deriv_trans"),
    "holdings": ("nonderiv_holding", "deriv_holding"),
    "quarantine": ("quarantine",),
    "effective_transactions": ("effective_transactions", "supersessions"),
    "issuer_daily_activity": ("issuer_daily_activity",),
    "net_insider_selling": ("net_insider_selling",),
    "cluster_buys": ("cluster_buys",),
    "filing_timeliness": ("filing_timeliness",),
    "trading_plans": ("trading_plans",),
    "insider_patterns": ("insider_patterns",),
    "insider_signals": ("insider_signals",),
    "trade_outcomes": ("trade_outcomes",),
    "insider_track_records": ("insider_track_records",),
    "signal_outcomes": ("signal_outcomes",),
}
#: Assets that materialize only when an optional source is configured (the price source):
#: left out of the freshness checks, which would otherwise warn forever without one.
OPTIONAL_ASSETS: frozenset[str] = frozenset({"trade_outcomes", "insider_track_records", "signal_outcomes"})

def asset_options(group: str) -> dict[str, Any]:
    """What every daily warehouse asset of a group shares: the filing-date partitions, single-run
    backfills, its group, owners and kinds."""
    return dict(
        partitions_def=filing_date_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name=group,
        owners=OWNERS,
        kinds=KINDS,
    )


PREVIEW_ROWS = 5
PREVIEW_COLUMNS = 8

#: The asset that writes each warehouse table (the SEC's data-set tables all come from sec_form345,
#: which is not a daily asset: it has no freshness check and no per-table materializations).
ASSET_OF_TABLE: dict[str, str] = {
    **{table: asset for asset, tables in ASSET_TABLES.items() for table in tables},
    **{t.name: "sec_form345" for t in FORM345_TABLES},
}


def _spec(table: str | Table) -> Table:
    return table if isinstance(table, Table) else TABLES_BY_NAME[table]


def table_schema(table: str | Table) -> dg.TableSchema:
    """The Dagster schema of a catalogue table: every column with its kind and meaning."""
    spec = _spec(table)
    return dg.TableSchema(
        columns=[dg.TableColumn(c.name, c.kind, description=c.description) for c in spec.columns],
        constraints=dg.TableConstraints(other=[f"primary key ({', '.join(spec.key)})"]),
    )


def column_lineage(table: str | Table, same_as: Mapping[str, tuple[str, str]]) -> dg.TableColumnLineage:
    """Lineage of `table`'s columns.

    `same_as` maps a column to the (asset, column) it is copied from; every other
    column is parsed from the raw filing's bytes, which raw_filings records by
    LOCAL_PATH and SHA256.
    """
    bytes_deps = [dg.TableColumnDep(dg.AssetKey("raw_filings"), "LOCAL_PATH"),
                  dg.TableColumnDep(dg.AssetKey("raw_filings"), "SHA256")]
    parsed = [c for c in _spec(table).column_names if c not in same_as]
    deps: dict[str, list[dg.TableColumnDep]] = {
        column: [dg.TableColumnDep(dg.AssetKey(asset), upstream)] for column, (asset, upstream) in same_as.items()
    }
    for column in parsed:
        deps[column] = bytes_deps
    return dg.TableColumnLineage(deps_by_column=deps)


def derived_lineage(table: str | Table) -> dg.TableColumnLineage:
    """Lineage of a derived table, from each column's ``derived_from`` in the catalogue
    (``table.COLUMN`` entries become the writing asset's column, duplicates dropped)."""
    deps: dict[str, list[dg.TableColumnDep]] = {}
    for column in _spec(table).columns:
        found: dict[tuple[str, str], None] = {}
        for source in column.derived_from:
            upstream, name = source.split(".")
            found[(ASSET_OF_TABLE[upstream], name)] = None
        if found:
            deps[column.name] = [dg.TableColumnDep(dg.AssetKey(asset), name) for asset, name in found]
    return dg.TableColumnLineage(deps_by_column=deps)


def definition_metadata(asset: str, lineage: dg.TableColumnLineage | None = None) -> dict[str, Any]:
    """Metadata set on the AssetSpec, visible before anything is materialized."""
    main, *others = ASSET_TABLES[asset]
    meta: dict[str, Any] = {
        "dagster/table_name": main,
        "dagster/column_schema": table_schema(main),
        "tables": dg.MetadataValue.text(", ".join(ASSET_TABLES[asset])),
    }
    for other in others:
        meta[f"schema/{other}"] = table_schema(other)
    if lineage is not None:
        meta["dagster/column_lineage"] = lineage
    return meta


def parsed_table_spec(
    asset: str, *, group: str, deps: Sequence[str], description: str, same_as: Mapping[str, tuple[str, str]]
) -> dg.AssetSpec:
    """The spec of an asset whose tables the parse step writes (form4_assets.defs.documents).

    Everything but the name, group, upstream and description is the same for all of
    them: owners, kinds, the filing-date partitions, the tables' schemas and the lineage
    of the main table (`same_as` columns copied from upstream, the rest parsed from the
    raw bytes), so it is said once here.
    """
    return dg.AssetSpec(
        asset,
        description=description,
        deps=list(deps),
        group_name=group,
        owners=OWNERS,
        kinds=KINDS,
        partitions_def=filing_date_partitions,
        metadata=definition_metadata(asset, column_lineage(ASSET_TABLES[asset][0], same_as)),
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return str(plain_value(value)).replace("|", "\\|").replace("\n", " ")[:60]


def markdown_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """A small markdown table (pandas' to_markdown needs the optional tabulate package)."""
    if not rows:
        return "_no rows_"
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def partition_metadata(
    engine: sa.Engine,
    asset: str,
    dates: Sequence[dt.date],
    per_date: Mapping[dt.date, Mapping[str, Any]] | None = None,
    counts: Mapping[str, Mapping[dt.date, int]] | None = None,
) -> dict[dt.date, dict[str, Any]]:
    """Each filing date's own facts: its row count per table, a preview of its first rows,
    and whatever `per_date` adds for that date.

    The counts are read back (one GROUP BY per table for the whole run) unless the step
    already knows them (`counts`: table → date → rows it wrote). The previews are one
    query per date: an index range each, cheaper than one windowed query over the run's
    rows (measured: up to 10× on a month's aggregates).
    """
    main, *others = ASSET_TABLES[asset]
    columns = TABLES_BY_NAME[main].column_names[:PREVIEW_COLUMNS]
    known = counts or {}
    rows = {
        table: known[table] if table in known else count_rows_by_date(engine, table, dates) for table in (main, *others)
    }
    out: dict[dt.date, dict[str, Any]] = {}
    for day in sorted(set(dates)):
        meta: dict[str, Any] = {
            "filing_date": dg.MetadataValue.text(day.isoformat()),
            "dagster/row_count": rows[main].get(day, 0),
            "preview": dg.MetadataValue.md(markdown_table(preview_rows(engine, main, [day], columns, PREVIEW_ROWS), columns)),
        }
        for other in others:
            meta[f"row_count/{other}"] = rows[other].get(day, 0)
        meta.update((per_date or {}).get(day, {}))
        out[day] = meta
    return out


def run_metadata(
    context: dg.AssetExecutionContext, asset: str, dates: Sequence[dt.date], facts: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """What is true of the whole run, so every partition it wrote carries it: the tables'
    schemas, the column lineage of the definition, the span of filing dates, `facts`."""
    main, *others = ASSET_TABLES[asset]
    meta: dict[str, Any] = {
        "dagster/table_name": main,
        "dagster/column_schema": table_schema(main),
        "run_filing_dates": dg.MetadataValue.text(
            f"{dates[0]} .. {dates[-1]} ({len(dates)} filing dates)" if dates else "none"
        ),
    }
    for other in others:
        meta[f"schema/{other}"] = table_schema(other)
    lineage = context.assets_def.specs_by_key[dg.AssetKey(asset)].metadata.get("dagster/column_lineage")
    if lineage is not None:
        meta["dagster/column_lineage"] = lineage
    meta.update(facts or {})
    return meta


def materialize_result(
    context: dg.AssetExecutionContext,
    engine: sa.Engine,
    asset: str,
    dates: Sequence[dt.date],
    run_facts: Mapping[str, Any] | None = None,
    per_date: Mapping[dt.date, Mapping[str, Any]] | None = None,
    counts: Mapping[str, Mapping[dt.date, int]] | None = None,
) -> dg.MaterializeResult:
    """The MaterializeResult of `asset` for a run over `dates`, one partition per date.

    Metadata given to a MaterializeResult lands on every partition of a range run alike,
    so only the run's facts go there; each date's counts, preview and `per_date` extras
    are attached to that date's partition with `context.add_asset_metadata(...,
    partition_key=...)`, which Dagster merges over the run's metadata per partition.
    `counts` are the rows the step wrote per table and date, when it knows them
    (partition_metadata).
    """
    key = dg.AssetKey(asset)
    for day, meta in partition_metadata(engine, asset, dates, per_date, counts).items():
        context.add_asset_metadata(meta, asset_key=key, partition_key=day.isoformat())
    return dg.MaterializeResult(asset_key=key, metadata=run_metadata(context, asset, dates, run_facts))
