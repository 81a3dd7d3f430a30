"""Quarantine reason codes: the machine-readable half of every quarantine record.

A filing that cannot be turned into rows is never dropped; it is kept with one of
these codes (stored in QUARANTINE.REASON_CODE) plus a human message, the field at
fault and the byte offset where known. The codes are stable strings because the
warehouse, the asset checks and users' queries group by them.
"""

from __future__ import annotations

EMPTY = "empty"
"""The input has no bytes, or only whitespace: nothing was filed or the fetch lost it."""

OVERSIZE = "oversize"
"""The input exceeds the size cap; real Form 3/4/5 submissions are kilobytes, so a
file this large is not one and is refused before any parsing work is spent on it."""

TRUNCATED = "truncated"
"""The bytes stop early: an opened SEC-HEADER or ownershipDocument is never closed,
or the header announces documents that are not there."""

NO_OWNERSHIP_DOCUMENT = "no_ownership_document"
"""The submission holds no <ownershipDocument> XML (pre-2003 plain-text Forms 3/4/5,
or a document of another kind)."""

MALFORMED_XML = "malformed_xml"
"""The ownershipDocument is not well-formed XML (lxml's message and position are kept)."""

FORBIDDEN_XML = "forbidden_xml"
"""The XML carries a DOCTYPE or ENTITY declaration. Ownership documents never need one,
and refusing them outright rules out XXE and entity-expansion (billion laughs) attacks."""

UNKNOWN_SCHEMA_VERSION = "unknown_schema_version"
"""schemaVersion is outside the versions this parser knows (X0202 ... X0609), so its
fields cannot be trusted to mean what the columns say."""

BAD_NUMBER = "bad_number"
"""A decimal field holds text that is not a finite ASCII decimal number."""

OUT_OF_RANGE = "out_of_range"
"""A number is well formed but larger than its column can hold exactly (a header count
beyond a 64-bit integer, for instance), so storing it would change it."""

NUL_IN_TEXT = "nul_in_text"
"""A text value holds a NUL character, which no text column can store (PostgreSQL
refuses it); the XML cannot carry one, so this is the SEC header's text."""

BAD_DATE = "bad_date"
"""A date field is not an ISO date (YYYY-MM-DD, optionally with an xs:date zone suffix),
or a header date/time is not in EDGAR's YYYYMMDD[HHMMSS] form."""

BAD_FLAG = "bad_flag"
"""A boolean field is not one of the xs:boolean spellings 1, 0, true, false."""

BAD_ENCODING = "bad_encoding"
"""The bytes cannot be decoded: not UTF-8, not the encoding the XML declaration names,
and not windows-1252 (the usual encoding of mislabelled SEC text) either."""

MISSING_FIELD = "missing_field"
"""A field every ownership document must have is absent or empty (issuerCik,
documentType, a reporting owner and its rptOwnerCik)."""

DUPLICATE_FOOTNOTE = "duplicate_footnote"
"""Two footnotes share one id, so a footnote reference would be ambiguous (and the
FOOTNOTES table key would collide)."""

ACCESSION_MISMATCH = "accession_mismatch"
"""The accession number in the SEC header differs from the one the daily index listed
the filing under: the bytes belong to another filing."""

PARSER_ERROR = "parser_error"
"""The parser hit a condition it did not anticipate. That is a bug in the parser, not a
property of the filing, but the filing is still kept (quarantined with the exception in
the message) rather than lost or allowed to stop a backfill."""

# The day's pipeline (form4_assets.pipeline.day) quarantines with these: the filing has no
# bytes to parse, or not the bytes that were fetched.
FETCH_FAILED = "fetch_failed"
"""The filing could not be fetched (or its stored bytes can no longer be read)."""

RAW_BYTES_CHANGED = "raw_bytes_changed"
"""The bytes on disk no longer hash to the SHA-256 recorded when they were fetched."""

INDEX_LINE_REJECTED = "index_line_rejected"
"""EDGAR's daily index listed a line the source refused as unsafe (bad CIK, accession,
date or file name; a path-traversal attempt), so there are no bytes to fetch."""

#: Every reason code a quarantine row can carry, for validation and documentation.
ALL_REASONS: frozenset[str] = frozenset(
    {
        EMPTY,
        OVERSIZE,
        TRUNCATED,
        NO_OWNERSHIP_DOCUMENT,
        MALFORMED_XML,
        FORBIDDEN_XML,
        UNKNOWN_SCHEMA_VERSION,
        BAD_NUMBER,
        OUT_OF_RANGE,
        NUL_IN_TEXT,
        BAD_DATE,
        BAD_FLAG,
        BAD_ENCODING,
        MISSING_FIELD,
        DUPLICATE_FOOTNOTE,
        ACCESSION_MISMATCH,
        PARSER_ERROR,
        FETCH_FAILED,
        RAW_BYTES_CHANGED,
        INDEX_LINE_REJECTED,
    }
)


class FilingError(Exception):
    """Raised inside the parser when a filing must be quarantined; `parse_filing`
    turns it into a `Quarantined` result, so it never escapes to callers."""

    def __init__(self, reason: str, message: str, field: str | None = None, offset: int | None = None):
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.field = field
        self.offset = offset
