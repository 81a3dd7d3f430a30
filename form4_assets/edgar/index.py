"""EDGAR's daily indexes: which Forms 3/4/5 (and /A) were filed on a given day.

Two layouts exist for the same content. `master.YYYYMMDD.idx` is pipe-delimited
(`CIK|Company Name|Form Type|Date Filed|File Name`); the pipe is the only safe separator
because company names contain runs of spaces. `form.YYYYMMDD.idx` is fixed-width and
sorted by form type; its column widths have changed over the years and its heading line
does not match its data, so it is parsed from the right (file name, date and CIK are the
last three whitespace-separated tokens) and the form-type column width is inferred from
the rows themselves.

The master index lists a submission once per filer (the issuer and each reporting
owner), so `IndexListing.unique()` keeps one entry per accession number. Lines that name
an unsafe CIK, accession or path are never turned into entries: they are collected in
`IndexListing.rejected` (and logged) with the file and line number.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from form4_assets.edgar.errors import IndexFormatError, InvalidIndexEntry
from form4_assets.edgar.paths import InvalidIdentifier, split_index_filename, validate_cik

log = logging.getLogger(__name__)

#: The insider-ownership forms this project ingests.
OWNERSHIP_FORMS: frozenset[str] = frozenset({"3", "3/A", "4", "4/A", "5", "5/A"})

_MISSING_INDEX_RE = re.compile(rb"<Error>\s*<Code>\s*(AccessDenied|NoSuchKey)\s*</Code>")


@dataclass(frozen=True)
class IndexEntry:
    """One submission listed in a daily index, with its CIK and accession validated.

    `filename` is the index's own path (`edgar/data/<cik>/<accession>.txt`); `cik` has no
    leading zeros, as in EDGAR's paths.
    """

    cik: str
    company_name: str
    form_type: str
    date_filed: dt.date
    filename: str
    accession: str


class IndexListing(list[IndexEntry]):
    """The entries of one daily index, plus the lines that were rejected as unsafe.

    It is a plain list of IndexEntry for callers that only iterate; `rejected` lets the
    ingest step report bad lines instead of losing them.
    """

    def __init__(
        self, entries: Iterable[IndexEntry] = (), rejected: Iterable[InvalidIndexEntry] = (), source: str = "<index>"
    ) -> None:
        super().__init__(entries)
        self.rejected: list[InvalidIndexEntry] = list(rejected)
        self.source = source

    def unique(self) -> IndexListing:
        """One entry per accession number (the first line wins), rejected lines kept."""
        seen: set[str] = set()
        kept = [e for e in self if not (e.accession in seen or seen.add(e.accession))]
        return IndexListing(kept, self.rejected, self.source)


def is_missing_index_body(body: bytes) -> bool:
    """True for the S3-style `<Error><Code>AccessDenied</Code>` body EDGAR serves for a
    daily index that does not exist (weekend, holiday, not yet published)."""
    return bool(_MISSING_INDEX_RE.search(body[:4096]))


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


@lru_cache(maxsize=64)
def _parse_date(text: str) -> dt.date:  # cached: every line of a daily index has the same date
    text = text.strip()
    for fmt in ("%Y%m%d", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise InvalidIdentifier(f"date filed must be YYYYMMDD or YYYY-MM-DD, got {text!r}")


def _data_lines(text: str, source: str) -> list[tuple[int, str]]:
    """The (1-based line number, line) pairs below the `-----` rule that ends the header."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("---"):
            return [(n, line) for n, line in enumerate(lines[i + 1 :], start=i + 2) if line.strip()]
    raise IndexFormatError(f"{source}: not an EDGAR daily index (no '-----' line below the column headings)")


def _entry(cik: str, name: str, form: str, date: str, filename: str) -> IndexEntry:
    cik = validate_cik(cik.strip())
    file_cik, accession = split_index_filename(filename.strip())
    if file_cik != cik:
        raise InvalidIdentifier(f"file name {filename.strip()!r} is not under the line's CIK {cik}")
    return IndexEntry(cik, name.strip(), form, _parse_date(date), filename.strip(), accession)


#: (1-based line number, raw line, (cik, name, form, date, file name) or why it has no fields)
_Row = tuple[int, str, "tuple[str, str, str, str, str] | str"]


def _collect(rows: Iterable[_Row], source: str, forms: frozenset[str]) -> IndexListing:
    """Build entries from the rows of the wanted forms; unsafe rows go to `rejected`."""
    listing = IndexListing(source=source)
    for line_no, line, fields in rows:
        try:
            if isinstance(fields, str):
                raise InvalidIdentifier(fields)
            cik, name, form, date, filename = fields
            if form not in forms:
                continue
            listing.append(_entry(cik, name, form, date, filename))
        except InvalidIdentifier as exc:
            rejected = InvalidIndexEntry(source, line_no, str(exc), line)
            log.warning("rejected daily-index line: %s", rejected)
            listing.rejected.append(rejected)
    return listing


def parse_master_index(
    data: bytes | str, source: str = "<master.idx>", forms: frozenset[str] = OWNERSHIP_FORMS
) -> IndexListing:
    """Entries of a pipe-delimited `master.YYYYMMDD.idx`, one per line, of the given forms."""

    def rows() -> Iterator[_Row]:
        for line_no, line in _data_lines(_decode(data), source):
            fields = line.split("|")
            if len(fields) < 5:
                yield line_no, line, f"expected 5 '|'-separated fields, found {len(fields)}"
                continue
            # A '|' inside a company name would shift the columns: name = everything between.
            yield line_no, line, (fields[0], "|".join(fields[1:-3]), fields[-3].strip(), fields[-2], fields[-1])

    return _collect(rows(), source, forms)


_NAME_START_RE = re.compile(r"\s{2,}(?=\S)")


def _form_column_width(heads: list[str]) -> int | None:
    """Where the company-name column starts: the most common end of the first 2+ space run."""
    starts = Counter(m.end() for head in heads if (m := _NAME_START_RE.search(head)))
    return starts.most_common(1)[0][0] if starts else None


def _split_form_and_name(head: str, width: int | None) -> tuple[str, str]:
    if width and len(head) > width and head[width - 1].isspace():
        return head[:width].strip(), head[width:].strip()
    parts = re.split(r"\s{2,}", head.strip(), maxsplit=1)
    return parts[0], parts[1] if len(parts) > 1 else ""


def parse_form_index(
    data: bytes | str, source: str = "<form.idx>", forms: frozenset[str] = OWNERSHIP_FORMS
) -> IndexListing:
    """Entries of a fixed-width `form.YYYYMMDD.idx`, one per line, of the given forms."""
    split: list[tuple[int, str, tuple[str, ...] | str]] = []  # (line no, line, 4 tokens or error)
    for line_no, line in _data_lines(_decode(data), source):
        tokens = line.rstrip().rsplit(None, 3)
        if len(tokens) < 4:
            split.append((line_no, line, "expected form type, company name, CIK, date filed and file name"))
        else:
            split.append((line_no, line, tuple(tokens)))
    width = _form_column_width([t[0] for _, _, t in split if isinstance(t, tuple)])

    def rows() -> Iterator[_Row]:
        for line_no, line, tokens in split:
            if isinstance(tokens, str):
                yield line_no, line, tokens
                continue
            head, cik, date, filename = tokens
            form, name = _split_form_and_name(head, width)
            yield line_no, line, (cik, name, form, date, filename)

    return _collect(rows(), source, forms)


def parse_daily_index(data: bytes | str, source: str) -> IndexListing:
    """Parse either layout, chosen by the file name in `source` (`form.` or `master.`)."""
    name = source.rsplit("/", 1)[-1]
    return parse_form_index(data, source) if name.startswith("form.") else parse_master_index(data, source)
