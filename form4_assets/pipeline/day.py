"""The rows of one filing date: listed and fetched (raw_filings), then parsed.

Pure library code (no Dagster): the assets call these day by day, so memory holds one
day's rows at a time however long the backfill. Parsing reads the bytes back from
where raw_filings recorded them and verifies their SHA-256, so the parsed tables
provably come from the bytes the raw table describes, and a re-parse (after a parser
fix) never needs the network.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import multiprocessing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import sqlalchemy as sa

from form4_assets.edgar.errors import InvalidIndexEntry
from form4_assets.edgar.paths import InvalidIdentifier, split_index_filename
from form4_assets.edgar.safe_read import UnsafeFile, read_regular_file
from form4_assets.edgar.source import FilingSource
from form4_assets.bounds import all_storable, escaped_text, first_problem, row_problem
from form4_assets.parsing import MAX_FILING_BYTES, Quarantined, parse_filing
from form4_assets.parsing.errors import FETCH_FAILED, INDEX_LINE_REJECTED, RAW_BYTES_CHANGED
from form4_assets.tables import FILING_HEADERS, HEADER_PARTIES, PARSED_TABLES, QUARANTINE, Row
from form4_assets.warehouse.store import read_partition

#: How raw_filings.FETCH_ERROR starts for a refused index line (what the parse step keys on).
REFUSED_LINE_PREFIX = "index line refused: "
#: How raw_filings.FETCH_ERROR starts for a listed value the warehouse cannot store:
#: "value refused: <reason>|<field>|<message>".
UNSTORABLE_PREFIX = "value refused: "

#: Every table the parse step writes for a filing date, including quarantine.
PARSED_PARTITION_TABLES: tuple[str, ...] = (
    FILING_HEADERS.name,
    HEADER_PARTIES.name,
    *(t.name for t in PARSED_TABLES),
    QUARANTINE.name,
)


@dataclass
class RawDay:
    """One day's raw_filings rows and the index lines EDGAR listed but we refused.

    A refused line is also a row (see `refused_line_row`), so it reaches the quarantine
    like any filing that cannot be used; `rejected_index_lines` only feeds the run log.
    """

    rows: list[Row] = field(default_factory=list)
    rejected_index_lines: list[str] = field(default_factory=list)

    @property
    def fetch_failures(self) -> int:
        return sum(1 for r in self.rows if r["FETCH_ERROR"] and not is_refused_line(r)
                   and not r["FETCH_ERROR"].startswith(UNSTORABLE_PREFIX))


def is_refused_line(raw: Mapping[str, Any]) -> bool:
    """True for the raw_filings row of an index line the source refused."""
    return bool(raw["FETCH_ERROR"]) and raw["FETCH_ERROR"].startswith(REFUSED_LINE_PREFIX) and not raw["LOCAL_PATH"]


def refused_line_key(day: dt.date, rejected: InvalidIndexEntry, taken: set[str]) -> str:
    """ACCESSION_NUMBER for a refused index line: its accession when the line's file name
    is well-formed and no other row of the day uses it, else `index:<YYYYMMDD>:<line no>`.

    The stand-in is deterministic (same index, same key on a re-run) and unique, because
    a day has one index file and each line one number.
    """
    token = rejected.text.replace("|", " ").split()[-1:] or [""]
    try:
        _cik, accession = split_index_filename(token[0])
    except InvalidIdentifier:
        accession = None
    if accession is None or accession in taken:
        return f"index:{day:%Y%m%d}:{rejected.line_no}"
    return accession


def refused_line_row(day: dt.date, rejected: InvalidIndexEntry, key: str) -> Row:
    """The raw_filings row of a refused index line: where EDGAR listed it and why it was
    refused, nothing fetched. None of the line's fields is trusted into a column."""
    return {
        "FILING_DATE": day,
        "ACCESSION_NUMBER": key,
        "CIK": None,
        "FORM_TYPE": None,
        "COMPANY_NAME": None,
        "EDGAR_PATH": f"{rejected.source}, line {rejected.line_no}",
        "LOCAL_PATH": None,
        "SHA256": None,
        "SIZE_BYTES": None,
        "FETCH_ERROR": f"{REFUSED_LINE_PREFIX}{escaped_text(rejected.reason)}: {rejected.text!r}",
    }


def raw_filing_rows(source: FilingSource, day: dt.date) -> RawDay:
    """List the day's Forms 3/4/5 and fetch each; a failed fetch is a row with FETCH_ERROR,
    and so is each index line the source refused (no fetch is attempted for it)."""
    listing = source.list_filings(day)
    out = RawDay(rejected_index_lines=[str(r) for r in listing.rejected])
    for fetched in source.fetch_all(listing):
        entry = fetched.entry
        out.rows.append(
            storable_raw_row({
                "FILING_DATE": day,
                "ACCESSION_NUMBER": entry.accession,
                "CIK": entry.cik,
                "FORM_TYPE": entry.form_type,
                "COMPANY_NAME": entry.company_name,
                "EDGAR_PATH": entry.filename,
                "LOCAL_PATH": str(fetched.local_path) if fetched.local_path else None,
                "SHA256": fetched.sha256,
                "SIZE_BYTES": fetched.size,
                "FETCH_ERROR": fetched.error,
            })
        )
    taken = {entry.accession for entry in listing}
    for rejected in listing.rejected:
        key = refused_line_key(day, rejected, taken)
        taken.add(key)
        out.rows.append(refused_line_row(day, rejected, key))
    return out


def storable_raw_row(row: Row) -> Row:
    """`row` itself, or, when one of its listed values cannot be stored (a NUL in the index's
    company name), the row with that value left out and the reason in FETCH_ERROR, which the
    parse step turns into the filing's quarantine row (reason and field kept)."""
    problem = row_problem("raw_filings", row, 1)
    if problem is None:
        return row
    column = problem.field.split(".", 1)[1]
    return {**row, column: None, "FETCH_ERROR": f"{UNSTORABLE_PREFIX}{problem.reason}|{problem.field}|"
            f"{escaped_text(problem.message)}"}


def quarantine_row(raw: Mapping[str, Any], reason: str, message: str, field_: str | None = None,
                    offset: int | None = None) -> Row:
    """The quarantine row of a raw filing; a message or field quoting a NUL shows it escaped."""
    return {
        "FILING_DATE": raw["FILING_DATE"],
        "ACCESSION_NUMBER": raw["ACCESSION_NUMBER"],
        "SOURCE_PATH": raw["LOCAL_PATH"],
        "SHA256": raw["SHA256"],
        "REASON_CODE": reason,
        "FIELD": escaped_text(field_),
        "BYTE_OFFSET": offset,
        "MESSAGE": escaped_text(message),
    }


def _stored_bytes(raw: Mapping[str, Any]) -> bytes | Row:
    """The bytes raw_filings points at, or the quarantine row saying why they are unusable."""
    if is_refused_line(raw):
        # FIELD: the index file and line; MESSAGE: why it was refused and the line itself.
        return quarantine_row(raw, INDEX_LINE_REJECTED, raw["FETCH_ERROR"][len(REFUSED_LINE_PREFIX):],
                               raw["EDGAR_PATH"])
    if (raw["FETCH_ERROR"] or "").startswith(UNSTORABLE_PREFIX):
        reason, field_, message = raw["FETCH_ERROR"][len(UNSTORABLE_PREFIX):].split("|", 2)
        return quarantine_row(raw, reason, message, field_)
    if raw["FETCH_ERROR"] or not raw["LOCAL_PATH"]:
        return quarantine_row(raw, FETCH_FAILED, raw["FETCH_ERROR"] or "no stored bytes")
    try:  # no longer a regular file (swapped for a FIFO or a link since the fetch): refused
        data = read_regular_file(raw["LOCAL_PATH"], MAX_FILING_BYTES)
    except (OSError, UnsafeFile) as exc:
        return quarantine_row(raw, FETCH_FAILED, f"cannot read the stored bytes: {exc}")
    digest = hashlib.sha256(data).hexdigest()
    if digest != raw["SHA256"]:
        return quarantine_row(
            raw, RAW_BYTES_CHANGED, f"{raw['LOCAL_PATH']} hashes to {digest}, raw_filings recorded {raw['SHA256']}"
        )
    return data


def parse_raw(raw: Mapping[str, Any], day: dt.date) -> tuple[Row | None, dict[str, list[Row]]]:
    """One raw filing of `day`: its quarantine row (None when it parsed) and its table rows.

    A quarantined filing keeps the filing_headers and header_parties rows of whatever of
    its SEC header could be read. A filing with a value the warehouse cannot hold exactly
    (form4_assets.bounds) is quarantined here, so the day's write cannot fail on it (its
    header rows are kept only when they can be stored). Every row gets FILING_DATE = `day`.
    A pure function of the row and the bytes it points at, so it runs in a worker process too.
    """
    return parse_batch([raw], day)[0]


def _unbounded(raw: Mapping[str, Any]) -> tuple[Row | None, dict[str, list[Row]]]:
    """`parse_raw` before the bounds: the quarantine row of bytes that cannot be used or
    parsed (None when they parsed), and the rows read."""
    data = _stored_bytes(raw)
    if isinstance(data, dict):
        return data, {}
    result = parse_filing(data, source=raw["LOCAL_PATH"], accession=raw["ACCESSION_NUMBER"])
    if isinstance(result, Quarantined):
        return quarantine_row(raw, result.reason, result.message, result.field, result.offset), result.header_rows()
    return None, result.rows()


def _bounded(raw: Mapping[str, Any], quarantine: Row | None,
             rows_by_table: dict[str, list[Row]]) -> tuple[Row | None, dict[str, list[Row]]]:
    """One filing's outcome with the bounds applied (see `parse_raw`)."""
    if quarantine is None:
        problem = first_problem(rows_by_table)
        if problem is not None:  # found before the day's transaction, which it would fail
            quarantine = quarantine_row(raw, problem.reason, problem.message, problem.field)
            rows_by_table = {name: rows_by_table[name] for name in ("filing_headers", "header_parties")}
    if quarantine is not None and first_problem(rows_by_table) is not None:
        rows_by_table = {}
    return quarantine, rows_by_table


def parse_batch(raws: Sequence[Mapping[str, Any]], day: dt.date) -> list[tuple[Row | None, dict[str, list[Row]]]]:
    """`parse_raw` of each of `raws`, in order. The bounds are checked over the whole batch
    at once (`bounds.all_storable`, a fraction of the cost of checking each filing); only a
    batch that may hold an unstorable value is checked filing by filing, which is what
    decides. A pure function of the rows and their bytes: a worker process's task."""
    results = [_unbounded(raw) for raw in raws]
    if not all_storable(rows for _, rows in results):
        results = [_bounded(raw, quarantine, rows) for raw, (quarantine, rows) in zip(raws, results)]
    for _, rows_by_table in results:
        for rows in rows_by_table.values():
            for row in rows:  # the parser's own fresh dicts, used nowhere else: stamped in place
                row["FILING_DATE"] = day
    return results


#: Filings a worker parses per task: large enough that the pickling overhead stays small.
POOL_CHUNK = 32


def _batches(raw_rows: Sequence[Mapping[str, Any]]) -> list[Sequence[Mapping[str, Any]]]:
    return [raw_rows[i : i + POOL_CHUNK] for i in range(0, len(raw_rows), POOL_CHUNK)]


def _collect(results: Iterable[tuple[Row | None, dict[str, list[Row]]]]) -> dict[str, list[Row]]:
    tables: dict[str, list[Row]] = {name: [] for name in PARSED_PARTITION_TABLES}
    for quarantine, rows_by_table in results:
        if quarantine is not None:
            tables["quarantine"].append(quarantine)
        for name, rows in rows_by_table.items():
            tables[name].extend(rows)
    return tables


def parsed_rows(raw_rows: Sequence[Mapping[str, Any]], day: dt.date, pool: Executor | None = None) -> dict[str, list[Row]]:
    """Parse each raw filing of `day` once (see `parse_raw`), in `pool` when one is given.

    Each raw filing ends up either as one submission (plus its other rows) or as one
    quarantine row — never dropped — which is what the raw = parsed + quarantined check
    verifies in the warehouse. The rows come out in the raw rows' order either way, so a
    run with a pool writes exactly what a run without one writes.
    """
    if pool is None:
        return _collect(parse_batch(raw_rows, day))
    return _collect(chain.from_iterable(pool.map(functools.partial(parse_batch, day=day), _batches(raw_rows))))


def parsed_days(
    engine: sa.Engine, dates: Sequence[dt.date], pool: Executor | None = None
) -> Iterator[tuple[dt.date, list[dict[str, Any]], dict[str, list[Row]]]]:
    """(day, its raw_filings rows, `parsed_rows` of them) for each of `dates` in order.

    With a pool, the next day's filings are handed to the workers before a day is yielded,
    so they parse while the caller writes the day: the writes stay in the caller's process,
    one transaction per day in date order, and the workers are not idle meanwhile. (The
    next day's raw rows are read before the caller writes the day, outside the write lock
    as they always were; the parse step itself never writes raw_filings.)
    """
    if pool is None:
        for day in dates:
            raw = read_partition(engine, "raw_filings", day)
            yield day, raw, parsed_rows(raw, day)
        return
    ahead = _handed_out(engine, pool, dates[0]) if dates else None
    for following in [*dates[1:], None]:
        assert ahead is not None
        day, raw, futures = ahead
        ahead = _handed_out(engine, pool, following) if following is not None else None
        yield day, raw, _collect(chain.from_iterable(future.result() for future in futures))


def _handed_out(
    engine: sa.Engine, pool: Executor, day: dt.date
) -> tuple[dt.date, list[dict[str, Any]], list[Future[list[tuple[Row | None, dict[str, list[Row]]]]]]]:
    """A day's raw rows, and their batches handed to the pool's workers."""
    raw = read_partition(engine, "raw_filings", day)
    return day, raw, [pool.submit(parse_batch, batch, day) for batch in _batches(raw)]


#: Below this many filings in a run, starting worker processes costs more than it saves.
POOL_MIN_FILINGS = 2000


@contextlib.contextmanager
def parse_pool(filings: int, processes: int) -> Iterator[Executor | None]:
    """Worker processes for parsing a run of `filings` filings, or None to parse in this process.

    Parsing is pure Python over each filing's bytes and the day's writes must stay in one
    process (one transaction per day), so workers parse and the caller writes. Spawned,
    not forked: the caller may be a threaded Dagster step.
    """
    if processes < 2 or filings < POOL_MIN_FILINGS:
        yield None
        return
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool
