"""Stage 2, documents: parse every raw filing once and write all the parsed tables.

One `@multi_asset` materializes filing_headers, ownership_documents, transactions,
holdings and quarantine together. Why one step rather than an asset per table: each
filing is parsed exactly once per run (its bytes read back and their SHA-256 checked
against what raw_filings recorded), and all of a day's
parsed rows (including its quarantine rows) replace the day in ONE transaction, so
raw = parsed + quarantined holds at every commit. The specs still declare the real
dependencies (raw_filings → filing_headers → ownership_documents → transactions /
holdings; raw_filings → quarantine) so the graph and column lineage read naturally.
Parsing stays separate from raw_filings so a parser fix re-parses without re-fetching.
"""

# No `from __future__ import annotations`: Dagster reads the context and resource
# annotations at definition time.

import datetime as dt
from collections import Counter
from collections.abc import Iterator

import dagster as dg
from dagster import AssetExecutionContext

from form4_assets.defs.checks import CHECK_SPECS, evaluate_checks
from form4_assets.defs.metadata import ASSET_TABLES, materialize_result, parsed_table_spec
from form4_assets.defs.partitions import filing_date_partitions, partition_dates
from form4_assets.defs.resources import WarehouseResource
from form4_assets.defs.transactions import transaction_specs
from form4_assets.pipeline.day import parse_pool, parsed_days
from form4_assets.pipeline.relisting import write_parsed_day
from form4_assets.settings import parse_processes
from form4_assets.warehouse.store import count_rows

_FROM_RAW = {
    "ACCESSION_NUMBER": ("raw_filings", "ACCESSION_NUMBER"),
    "FILING_DATE": ("raw_filings", "FILING_DATE"),
}


def parsed_specs() -> list[dg.AssetSpec]:
    """The specs of every asset the parse step writes (built on call: see transaction_specs)."""
    headers = parsed_table_spec(
        "filing_headers",
        group="documents",
        deps=["raw_filings"],
        same_as=_FROM_RAW,
        description=(
            "The <SEC-HEADER> of each filing, from either container (public .txt or dissemination .nc): "
            "accession, form type, acceptance time, filed date, period, document list (filing_headers), "
            "and every REPORTING-OWNER / ISSUER block with addresses, SIC, state and former names (header_parties)."
        ),
    )
    documents = parsed_table_spec(
        "ownership_documents",
        group="documents",
        deps=["filing_headers"],
        same_as=_FROM_RAW,
        description=(
            "The <ownershipDocument> of each parsed filing: schema version, document type, period, issuer, "
            "10b5-1 flag, remarks (submission); every reporting owner with relationship flags and title "
            "(reporting_owner); footnotes; signatures (owner_signature)."
        ),
    )
    quarantine = parsed_table_spec(
        "quarantine",
        group="documents",
        deps=["raw_filings"],
        same_as={**_FROM_RAW, "SOURCE_PATH": ("raw_filings", "LOCAL_PATH"), "SHA256": ("raw_filings", "SHA256")},
        description=(
            "Every raw filing that could not be parsed, kept with its reason code, the field and byte offset "
            "where known, and where its bytes are; also every daily-index line refused as unsafe "
            "(index_line_rejected, FIELD = index file and line). Per filing date, raw = parsed + quarantined exactly."
        ),
    )
    return [headers, documents, quarantine, *transaction_specs()]


@dg.multi_asset(
    name="parse_filings",
    specs=parsed_specs(),
    check_specs=CHECK_SPECS,
    partitions_def=filing_date_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    description=__doc__,
)
def parse_filings(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckEvaluation | dg.Output]:
    engine = warehouse.engine()
    dates = partition_dates(context)
    reasons: dict[dt.date, Counter[str]] = {}
    written: dict[str, dict[dt.date, int]] = {}  # rows per table and date, for the metadata (no read-back)
    # Worker processes parse (a large run only), the next day while this process writes a day,
    # each day in its own transaction.
    with parse_pool(count_rows(engine, "raw_filings", dates), parse_processes()) as pool:
        for i, (day, raw, parsed) in enumerate(parsed_days(engine, dates, pool), 1):
            tables = write_parsed_day(engine, day, raw, parsed)
            reasons[day] = Counter(row["REASON_CODE"] for row in tables["quarantine"])
            for table, rows in tables.items():
                written.setdefault(table, {})[day] = len(rows)
            context.log.info(
                f"{day} ({i}/{len(dates)}): {len(tables['submission'])} parsed, {len(tables['quarantine'])} "
                f"quarantined, {len(tables['nonderiv_trans'])} non-derivative and {len(tables['deriv_trans'])} "
                "derivative transactions"
            )
    quarantine_reasons = {day: {"quarantine_reasons": dg.MetadataValue.json(dict(r))} for day, r in reasons.items()}
    # Dagster wants a multi-asset's results in dependency order, which is ASSET_TABLES' order.
    for asset in [a for a in ASSET_TABLES if dg.AssetKey(a) in context.assets_def.keys]:
        yield materialize_result(
            context, engine, asset, dates, per_date=quarantine_reasons if asset == "quarantine" else None, counts=written
        )
    yield from evaluate_checks(context, engine, dates)
