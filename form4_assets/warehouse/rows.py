"""The rows of one filing date: listed and fetched (raw_filings), then parsed.

Pure library code (no Dagster): the assets call these day by day, so memory holds one
day's rows at a time however long the backfill. Parsing reads the bytes back from
where raw_filings recorded them and verifies their SHA-256, so the parsed tables
provably come from the bytes the raw table describes, and a re-parse (after a parser
fix) never needs the network.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from form4_assets.edgar.source import FilingSource
from form4_assets.parsing import Quarantined, parse_filing

Row = dict[str, Any]

#: The filing could not be fetched (or its stored bytes can no longer be read).
FETCH_FAILED = "fetch_failed"
#: The bytes on disk no longer hash to the SHA-256 recorded when they were fetched.
RAW_BYTES_CHANGED = "raw_bytes_changed"

#: Every table the parse step writes for a filing date, including quarantine.
PARSED_PARTITION_TABLES: tuple[str, ...] = (
    "filing_headers",
    "header_parties",
    "submission",
    "reporting_owner",
    "nonderiv_trans",
    "deriv_trans",
    "nonderiv_holding",
    "deriv_holding",
    "footnotes",
    "owner_signature",
    "quarantine",
)


@dataclass
class RawDay:
    """One day's raw_filings rows and the index lines EDGAR listed but we refused."""

    rows: list[Row] = field(default_factory=list)
    rejected_index_lines: list[str] = field(default_factory=list)

    @property
    def fetch_failures(self) -> int:
        return sum(1 for r in self.rows if r["FETCH_ERROR"])


def raw_filing_rows(source: FilingSource, day: dt.date) -> RawDay:
    """List the day's Forms 3/4/5 and fetch each; a failed fetch is a row with FETCH_ERROR."""
    listing = source.list_filings(day)
    out = RawDay(rejected_index_lines=[str(r) for r in listing.rejected])
    for fetched in source.fetch_all(listing):
        entry = fetched.entry
        out.rows.append(
            {
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
            }
        )
    return out


def _quarantine_row(raw: Mapping[str, Any], reason: str, message: str, field_: str | None = None,
                    offset: int | None = None) -> Row:
    return {
        "FILING_DATE": raw["FILING_DATE"],
        "ACCESSION_NUMBER": raw["ACCESSION_NUMBER"],
        "SOURCE_PATH": raw["LOCAL_PATH"],
        "SHA256": raw["SHA256"],
        "REASON_CODE": reason,
        "FIELD": field_,
        "BYTE_OFFSET": offset,
        "MESSAGE": message,
    }


def _stored_bytes(raw: Mapping[str, Any]) -> bytes | Row:
    """The bytes raw_filings points at, or the quarantine row saying why they are unusable."""
    if raw["FETCH_ERROR"] or not raw["LOCAL_PATH"]:
        return _quarantine_row(raw, FETCH_FAILED, raw["FETCH_ERROR"] or "no stored bytes")
    try:
        data = Path(raw["LOCAL_PATH"]).read_bytes()
    except OSError as exc:
        return _quarantine_row(raw, FETCH_FAILED, f"cannot read the stored bytes: {exc}")
    digest = hashlib.sha256(data).hexdigest()
    if digest != raw["SHA256"]:
        return _quarantine_row(
            raw, RAW_BYTES_CHANGED, f"{raw['LOCAL_PATH']} hashes to {digest}, raw_filings recorded {raw['SHA256']}"
        )
    return data


def parsed_rows(raw_rows: Sequence[Mapping[str, Any]], day: dt.date) -> dict[str, list[Row]]:
    """Parse each raw filing of `day` once; every row gets FILING_DATE = `day`.

    Each raw filing ends up either as one submission (plus its other rows) or as one
    quarantine row — never dropped — which is what the raw = parsed + quarantined check
    verifies in the warehouse.
    """
    tables: dict[str, list[Row]] = {name: [] for name in PARSED_PARTITION_TABLES}
    for raw in raw_rows:
        data = _stored_bytes(raw)
        if isinstance(data, dict):
            tables["quarantine"].append(data)
            continue
        result = parse_filing(data, source=raw["LOCAL_PATH"], accession=raw["ACCESSION_NUMBER"])
        if isinstance(result, Quarantined):
            tables["quarantine"].append(
                _quarantine_row(raw, result.reason, result.message, result.field, result.offset)
            )
            continue
        for name, rows in result.rows().items():
            tables[name].extend({**row, "FILING_DATE": day} for row in rows)
    return tables
