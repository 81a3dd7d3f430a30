"""EDGAR paths, built only from validated parts.

A daily index line is untrusted input: its CIK, accession number and file name end up in
file-system paths (cache, mirror) and URLs. Everything here checks the parts against
EDGAR's exact formats first (ASCII digits only, so no Unicode digits, separators, dots or
percent-escapes can slip through) and builds paths from the checked parts alone, never
from the raw text.
"""

from __future__ import annotations

import datetime as dt
import re

from form4_assets.edgar.errors import InvalidIdentifier

#: A CIK is 1–10 ASCII digits (EDGAR pads to 10 in some places and not in paths).
CIK_RE = re.compile(r"[0-9]{1,10}")
#: An accession number: filer-agent id, year, sequence, e.g. 0001628280-23-037880.
ACCESSION_RE = re.compile(r"[0-9]{10}-[0-9]{2}-[0-9]{6}")
#: The only file-name shape a daily index may give for a submission.
INDEX_FILENAME_RE = re.compile(r"edgar/data/([0-9]{1,10})/([0-9]{10}-[0-9]{2}-[0-9]{6})\.txt")

__all__ = ["InvalidIdentifier", "validate_cik", "validate_accession", "split_index_filename", "quarter",
           "daily_index_path", "filing_path", "legacy_filing_path", "form345_dataset_path"]


def validate_cik(cik: str) -> str:
    """Return the CIK without leading zeros (EDGAR's path form), or raise InvalidIdentifier."""
    if not isinstance(cik, str) or not CIK_RE.fullmatch(cik):
        raise InvalidIdentifier(f"CIK must be 1-10 ASCII digits, got {cik!r}")
    return str(int(cik))


def validate_accession(accession: str) -> str:
    """Return the accession number unchanged if it is NNNNNNNNNN-NN-NNNNNN, else raise."""
    if not isinstance(accession, str) or not ACCESSION_RE.fullmatch(accession):
        raise InvalidIdentifier(f"accession number must look like 0001628280-23-037880, got {accession!r}")
    return accession


def split_index_filename(filename: str) -> tuple[str, str]:
    """Return (cik, accession) from an index file name `edgar/data/<cik>/<accession>.txt`.

    The whole name must match; anything else (`..`, absolute paths, escapes, other
    folders or suffixes) raises InvalidIdentifier.
    """
    match = INDEX_FILENAME_RE.fullmatch(filename) if isinstance(filename, str) else None
    if match is None:
        raise InvalidIdentifier(f"file name must be exactly edgar/data/<cik>/<accession>.txt, got {filename!r}")
    return validate_cik(match.group(1)), match.group(2)


def quarter(day: dt.date) -> int:
    """The calendar quarter (1-4) EDGAR files a day's index under."""
    return (day.month - 1) // 3 + 1


def daily_index_path(day: dt.date, kind: str = "master") -> str:
    """`Archives/edgar/daily-index/YYYY/QTRn/<kind>.YYYYMMDD.idx` for kind master or form."""
    if kind not in ("master", "form"):
        raise ValueError(f"daily index kind must be 'master' or 'form', got {kind!r}")
    return f"Archives/edgar/daily-index/{day:%Y}/QTR{quarter(day)}/{kind}.{day:%Y%m%d}.idx"


def filing_path(cik: str, accession: str) -> str:
    """`Archives/edgar/data/<cik>/<accession-no-dashes>/<accession>.txt` (current layout)."""
    cik, accession = validate_cik(cik), validate_accession(accession)
    return f"Archives/edgar/data/{cik}/{accession.replace('-', '')}/{accession}.txt"


def legacy_filing_path(cik: str, accession: str) -> str:
    """`Archives/edgar/data/<cik>/<accession>.txt`: the daily index's own path, older filings."""
    cik, accession = validate_cik(cik), validate_accession(accession)
    return f"Archives/edgar/data/{cik}/{accession}.txt"


def form345_dataset_path(year: int, quarter_number: int) -> str:
    """Where the SEC publishes a quarter's Form 345 data set, below www.sec.gov:
    `files/structureddata/data/insider-transactions-data-sets/YYYYqN_form345.zip`."""
    if not (1993 <= year <= 9999 and 1 <= quarter_number <= 4):
        raise ValueError(f"no Form 345 data set for {year} quarter {quarter_number}")
    return f"files/structureddata/data/insider-transactions-data-sets/{year}q{quarter_number}_form345.zip"
