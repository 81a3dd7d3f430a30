"""The two outcomes of parsing one filing: typed rows, or a quarantine record."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Literal

from form4_assets import tables
from form4_assets.parsing import errors
from form4_assets.tables import Row

__all__ = ["Container", "ParsedFiling", "Quarantined", "Row", "row_template"]
Container = Literal["txt", "nc", "xml"]


def row_template(table: tables.Table, keep_filing_date: bool = False) -> Row:
    """An all-None row of `table`, copied for each parsed row so every row carries every
    column. FILING_DATE is left out unless asked for: the loader stamps the partition date."""
    return dict.fromkeys(c for c in table.column_names if keep_filing_date or c != "FILING_DATE")


@dataclass(slots=True)
class ParsedFiling:
    """Rows of one filing, keyed by the `form4_assets.tables` column names; each
    table's rows are the field named as the table (`tables.PARSED_TABLES`).

    FILING_DATE is left out of every row except `submission` (filled from the header's
    FILED AS OF DATE when there is a header): the loader stamps the partition date on
    every row it writes, which is the one source of truth for it.
    """

    source: str
    accession: str | None
    container: Container
    header: Row | None
    parties: list[Row]
    submission: Row
    reporting_owner: list[Row] = field(default_factory=list)
    nonderiv_trans: list[Row] = field(default_factory=list)
    deriv_trans: list[Row] = field(default_factory=list)
    nonderiv_holding: list[Row] = field(default_factory=list)
    deriv_holding: list[Row] = field(default_factory=list)
    footnotes: list[Row] = field(default_factory=list)
    owner_signature: list[Row] = field(default_factory=list)

    def rows(self) -> dict[str, list[Row]]:
        """Rows per warehouse table name, ready for `replace_partitions`."""
        rows = {
            "filing_headers": [self.header] if self.header is not None else [],
            "header_parties": self.parties,
        }
        for table in tables.PARSED_TABLES:
            rows[table.name] = [self.submission] if table is tables.SUBMISSION else getattr(self, table.name)
        return rows


@dataclass(slots=True)
class Quarantined:
    """A filing that could not be parsed, with why and where.

    `header` and `parties` are what could be read of the SEC header (a header-only or
    truncated file, broken XML, one unreadable header value left None), so a quarantined
    filing still tells its accession, acceptance time, form type and filers.
    """

    source: str
    accession: str | None
    reason: str
    message: str
    field: str | None = None
    offset: int | None = None
    header: Row | None = None
    parties: list[Row] = dataclasses.field(default_factory=list)  # `field` is the column above

    def header_rows(self) -> dict[str, list[Row]]:
        """filing_headers / header_parties rows of the readable header, for the loader;
        none without a header, or when the header is another filing's (accession_mismatch:
        its rows would be filed under an accession the index never listed)."""
        if self.header is None or self.reason == errors.ACCESSION_MISMATCH:
            return {"filing_headers": [], "header_parties": []}
        return {"filing_headers": [self.header], "header_parties": self.parties}
