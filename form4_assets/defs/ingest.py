"""Stage 1, ingest: raw_filings — list each filing date's Forms 3/4/5 and fetch them."""

# No `from __future__ import annotations`: Dagster reads the context and resource
# annotations at definition time.

import datetime as dt

import dagster as dg
from dagster import AssetExecutionContext

from form4_assets.defs.metadata import KINDS, OWNERS, definition_metadata, materialize_result
from form4_assets.defs.partitions import filing_date_partitions, partition_dates
from form4_assets.defs.resources import EdgarSourceResource, WarehouseResource, describe_source
from form4_assets.edgar.feed import FeedSource
from form4_assets.edgar.source import FilingSource, MirrorSource
from form4_assets.pipeline.coverage import NEW_YORK, check_mirror_covers, check_published, publication_pending
from form4_assets.pipeline.day import raw_filing_rows
from form4_assets.warehouse.store import replace_partitions

#: Dagster concurrency pool of the one step that talks to EDGAR. EDGAR's fair-access
#: limit (10 requests/second) is per IP, and the rate limiter is per process, so an
#: instance shared by several runs limits this pool to one slot (deploy/dagster.yaml):
#: a second run's raw_filings waits until the first one's is done. Mirror-mode steps
#: take the slot too (the mode is only known when the run starts); they are short.
EDGAR_POOL = "edgar"


def refuse_uncovered(source: FilingSource, dates: list[dt.date]) -> None:
    """Raise NotCovered for a run date outside the mirror (mirror and feed modes), or a live
    date whose index is not published yet."""
    mirror = source.base if isinstance(source, FeedSource) else source
    if isinstance(mirror, MirrorSource):
        check_mirror_covers(mirror.root, dates)
        return
    now = dt.datetime.now(NEW_YORK)
    for day in dates:
        if publication_pending(day, now):  # only the last day or two of a run: one extra index request
            check_published(day, len(source.list_filings(day)), now)


@dg.asset(
    key="raw_filings",
    pool=EDGAR_POOL,
    partitions_def=filing_date_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="ingest",
    owners=OWNERS,
    kinds=KINDS,
    metadata=definition_metadata("raw_filings"),
)
def raw_filings(
    context: AssetExecutionContext, edgar: EdgarSourceResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Every Form 3/4/5 (and /A) in EDGAR's daily index for the filing date, fetched.

    The bytes stay unmodified where the source keeps them (the offline mirror, or the
    on-disk cache of live EDGAR); this table is their manifest: accession, index CIK,
    form type, EDGAR path, local path, SHA-256 and size. A filing that cannot be fetched
    is a row with FETCH_ERROR (the parse step quarantines it as `fetch_failed`), and so is
    an index line refused as unsafe (quarantined as `index_line_rejected`), so nothing
    EDGAR listed escapes raw = parsed + quarantined; a day without an index (holiday) is
    an empty partition. A date the source cannot answer for (outside the offline mirror,
    or a live index not published yet) fails the run before anything is written
    (form4_assets.pipeline.coverage). Each day is written in its own
    transaction as soon as it is fetched, so a long backfill holds one day in memory.
    """
    dates = partition_dates(context)
    per_date: dict[dt.date, dict[str, object]] = {}
    written: dict[dt.date, int] = {}
    with edgar.opened() as source:  # first: a missing mirror stops the run before a warehouse file is made
        engine = warehouse.engine()
        where = describe_source(source)
        context.log.info(f"raw_filings: {len(dates)} filing date(s) from {where}")
        refuse_uncovered(source, dates)
        for i, day in enumerate(dates, 1):
            raw = raw_filing_rows(source, day)
            replace_partitions(engine, [day], {"raw_filings": raw.rows})
            written[day] = len(raw.rows)
            per_date[day] = {"fetch_failures": raw.fetch_failures, "index_lines_refused": len(raw.rejected_index_lines)}
            for line in raw.rejected_index_lines[:5]:
                context.log.warning(f"{day}: index line refused: {line}")
            context.log.info(
                f"{day} ({i}/{len(dates)}): {len(raw.rows)} rows, {raw.fetch_failures} fetch failures, "
                f"{len(raw.rejected_index_lines)} index lines refused"
            )
    return materialize_result(context, engine, "raw_filings", dates, run_facts={"source": where}, per_date=per_date,
                              counts={"raw_filings": written})
