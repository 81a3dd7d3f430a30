"""The SEC's quarterly Form 345 data sets as assets: history in minutes instead of hours.

One step reads every configured data set (a `YYYYqN_form345.zip` or its unpacked
directory) once and writes the eight sec_* tables and sec_rejected_rows for the run's
filing dates in one transaction. Columns are read by header name, so quarters with more
or fewer columns load alike; a column the catalogue does not know lands in EXTRA_COLUMNS
and a line that cannot be read in sec_rejected_rows with its file, line and reason.
The group is outside `daily_filings_job` (the nightly job fetches filings); the
`form345_import_job` and `form4-assets import-form345` run it.
"""

# No `from __future__ import annotations`: Dagster reads the context and resource
# annotations at definition time.

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import ExitStack

import dagster as dg
import sqlalchemy as sa
from dagster import AssetExecutionContext

from form4_assets.defs.checks import CheckPolicy, report_per_date
from form4_assets.defs.freshness import freshness_checks
from form4_assets.defs.metadata import KINDS, OWNERS, table_schema
from form4_assets.defs.partitions import filing_date_partitions, partition_dates
from form4_assets.defs.resources import Form345Resource, WarehouseResource
from form4_assets.form345.dataset import Dataset
from form4_assets.form345.reconcile import MAX_MISMATCHES, TableAgreement, reconcile
from form4_assets.form345.rows import dataset_rows
from form4_assets.tables import FORM345_TABLES, SEC_REJECTED_ROWS, SEC_TABLES
from form4_assets.warehouse.bulk import replace_dataset_rows
from form4_assets.warehouse.checks_sql import CheckOutcome, plain_value
from form4_assets.warehouse.schema import TABLES

GROUP = "form345"
_NAMES = [t.name for t in FORM345_TABLES]


ASSET = "sec_form345"


def _spec() -> dg.AssetSpec:
    """One asset for the eight tables and the rejected lines: they are written together from
    the same files in one transaction, and a Dagster materialization event per table and
    date (nine per filing date) would cost more than reading the rows."""
    metadata: dict[str, object] = {
        "dagster/table_name": SEC_TABLES[0].name,
        "dagster/column_schema": table_schema(SEC_TABLES[0].name),
        "tables": dg.MetadataValue.text(", ".join(_NAMES)),
    }
    for name in _NAMES[1:]:
        metadata[f"schema/{name}"] = table_schema(name)
    return dg.AssetSpec(
        ASSET,
        description=(
            "The SEC's quarterly Form 345 data sets, one sec_* table per data-set file (" + ", ".join(_NAMES[:-1])
            + ") with each row's source file and line, and sec_rejected_rows for lines that could not be read."
        ),
        group_name=GROUP,
        owners=OWNERS,
        kinds=KINDS,
        partitions_def=filing_date_partitions,
        metadata=metadata,
    )


def _per_date_counts(engine: sa.Engine, name: str, dates: Sequence[dt.date]) -> dict[dt.date, int]:
    table = TABLES[name]
    query = (
        sa.select(table.c.FILING_DATE, sa.func.count())
        .where(table.c.FILING_DATE.in_(dates))
        .group_by(table.c.FILING_DATE)
    )
    with engine.connect() as conn:
        return {day: int(n) for day, n in conn.execute(query)}


RECONCILIATION = CheckPolicy(
    "agrees_with_parsed_filings",
    ASSET,
    dg.AssetCheckSeverity.WARN,
    "On each filing date of the run where both exist, our parse of the filings against the SEC's rows, "
    "accession by accession and field by field (numbers compared at the SEC's two decimals): agreement per "
    "table and column, accessions on one side only, the first mismatches with both values. A warning: the "
    "SEC's set has known differences (a filing accepted after 17:30 on a quarter's last day is in the next "
    "quarter's file). A date without parsed filings is not compared (checked 0).",
)
#: The policy's partitioned spec, which also waits for the parsed tables it compares with.
RECONCILIATION_SPEC = dg.AssetCheckSpec(
    RECONCILIATION.name,
    asset=ASSET,
    description=RECONCILIATION.description,
    blocking=False,
    partitions_def=filing_date_partitions,
    additional_deps=["ownership_documents", "transactions", "holdings"],
)


@dg.multi_asset(
    name="import_form345",
    specs=[_spec()],
    check_specs=[RECONCILIATION_SPEC],
    partitions_def=filing_date_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    description=__doc__,
)
def import_form345(
    context: AssetExecutionContext, warehouse: WarehouseResource, form345: Form345Resource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckEvaluation | dg.Output]:
    engine = warehouse.engine()
    dates = partition_dates(context)
    paths = form345.resolved_paths()
    with ExitStack() as stack:
        datasets = [stack.enter_context(Dataset(path)) for path in paths]
        rows = (
            row
            for dataset in datasets
            for row in dataset_rows(dataset, frozenset(dates))
        )
        counts = replace_dataset_rows(engine, dates, {d.name: d.fingerprint for d in datasets}, _NAMES, rows)
    context.log.info("rows written: " + ", ".join(f"{name} {n}" for name, n in counts.items()))
    per_date = {name: _per_date_counts(engine, name, dates) for name in _NAMES}
    for day in dates:
        context.add_asset_metadata(
            {
                "dagster/row_count": per_date[_NAMES[0]].get(day, 0),
                **{f"row_count/{name}": per_date[name].get(day, 0) for name in _NAMES[1:]},
            },
            asset_key=dg.AssetKey(ASSET),
            partition_key=day.isoformat(),
        )
    yield dg.MaterializeResult(
        asset_key=ASSET,
        metadata={
            "data_sets": dg.MetadataValue.json([str(p) for p in paths]),
            "rows_written_this_run": dg.MetadataValue.json(counts),
            "rejected_reasons": dg.MetadataValue.json(_reasons(engine, dates)),
        },
    )
    yield from report_per_date(context, RECONCILIATION, lambda days: reconciliation_by_date(engine, days), dates)


def _reasons(engine: sa.Engine, dates: Sequence[dt.date]) -> dict[str, int]:
    table = TABLES[SEC_REJECTED_ROWS.name]
    query = (
        sa.select(table.c.REASON_CODE, sa.func.count()).where(table.c.FILING_DATE.in_(dates)).group_by(table.c.REASON_CODE)
    )
    with engine.connect() as conn:
        return {reason: int(n) for reason, n in conn.execute(query)}


form345_import_job = dg.define_asset_job(
    "form345_import_job",
    selection=dg.AssetSelection.groups(GROUP),
    description="The SEC's Form 345 data sets into the sec_* tables, for one or more filing dates.",
)

#: History from the data sets in one run: the import, then the aggregates and signals of the same
#: dates built from the sec_* rows (a date with fetched filings keeps our parse as its source).
#: The outcomes need a price file and stay with outcomes_job.
form345_history_job = dg.define_asset_job(
    "form345_history_job",
    # The freshness checks look at the clock, not at a run's rows (their sensor runs them).
    selection=dg.AssetSelection.groups(GROUP, "aggregates", "signals") - dg.AssetSelection.checks(*freshness_checks),
    description="The SEC's Form 345 data sets into the sec_* tables, then the aggregates and signals of the same "
    "filing dates, as one run (history in minutes).",
)


def reconciliation_by_date(engine: sa.Engine, dates: Sequence[dt.date]) -> dict[dt.date, CheckOutcome]:
    """The reconciliation of each date alone, as a check outcome: the fields compared, what
    disagrees (mismatched fields, accessions and rows on one side only), the first mismatches,
    and in `details` the agreement per table and column."""
    return {day: reconciliation_outcome(*reconcile(engine, [day])) for day in dates}


def reconciliation_outcome(both: Sequence[dt.date], tables: Sequence[TableAgreement]) -> CheckOutcome:
    failures = sum(t.mismatch_count + len(t.only_ours) + len(t.only_sec) + t.rows_only_ours + t.rows_only_sec
                   for t in tables)
    examples = [
        {**m, "table": t.table, "ours": plain_value(m["ours"]), "sec": plain_value(m["sec"])}
        for t in tables for m in t.mismatches
    ][:MAX_MISMATCHES]
    details: dict[str, object] = {
        "compared": bool(both),
        "agreement_by_table": {
            t.table: {
                "accessions_both": t.accessions_both,
                "accessions_only_ours": len(t.only_ours),
                "accessions_only_sec": len(t.only_sec),
                "rows_only_ours": t.rows_only_ours,
                "rows_only_sec": t.rows_only_sec,
                "fields_compared": t.fields_compared,
                "fields_agreed": t.fields_agreed,
            }
            for t in tables
        },
        "agreement_by_column": {
            t.table: {c: f"{t.agreed[c]}/{n}" for c, n in t.compared.items() if t.agreed[c] != n} for t in tables
        },
        "columns_not_in_sec": {t.table: t.not_in_sec for t in tables if t.not_in_sec},
        "only_ours": {t.table: t.only_ours[:MAX_MISMATCHES] for t in tables if t.only_ours},
        "only_sec": {t.table: t.only_sec[:MAX_MISMATCHES] for t in tables if t.only_sec},
    }
    return CheckOutcome(sum(t.fields_compared for t in tables), failures, examples, details)
