"""`parse_filing`: the bytes of one submission in, a `ParsedFiling` or a `Quarantined` out.

This is the only entry point downstream code uses. It never raises on bad input: a
problem with the bytes becomes a quarantine record with a reason code from
`form4_assets.parsing.errors`, so one bad filing can never stop a backfill.
"""

from __future__ import annotations

import traceback

from form4_assets.parsing import errors
from form4_assets.parsing.container import (
    detect_container,
    document_list,
    documents_json,
    header_text,
    locate_xml,
    normalise_bom,
    original_offset,
)
from form4_assets.parsing.errors import FilingError
from form4_assets.parsing.header import parse_nc_header, parse_txt_header
from form4_assets.parsing.model import ParsedFiling, Quarantined, Row
from form4_assets.parsing.ownership import extract
from form4_assets.parsing.xmlsafe import parse_xml
from form4_assets.tables import cik_key

#: Largest submission accepted. Real Form 3/4/5 submissions are kilobytes (the largest
#: with exhibits a few megabytes); anything bigger is refused before parsing.
MAX_FILING_BYTES = 50 * 1024 * 1024


def _same_accession(a: str, b: str) -> bool:
    return a.replace("-", "").strip() == b.replace("-", "").strip()


def _check_documents(data: bytes, body: int, header: Row) -> None:
    """For a submission without ownership XML: record its documents, and call it
    truncated when the header announces documents that are not there."""
    documents = document_list(data, body)
    header["DOCUMENTS"] = documents_json(documents)
    promised = header["PUBLIC_DOCUMENT_COUNT"] or 0
    if len(documents) < promised:
        raise FilingError(
            errors.TRUNCATED,
            f"the header announces {promised} document(s) but the submission holds {len(documents)}",
            field="DOCUMENT",
            offset=len(data),
        )


def parse_filing(data: bytes, source: str = "<bytes>", accession: str | None = None) -> ParsedFiling | Quarantined:
    """Parse one submission: a public `.txt`, a dissemination `.nc` or a bare
    ownershipDocument XML. `accession` (from the daily index) is checked against the
    header's and used for bare XML, which carries none of its own. Offsets in a
    quarantine record are byte offsets in `data` as given, byte-order mark included."""
    header: Row | None = None
    parties: list[Row] = []
    stored: bytes | None = None  # `data` as given, once a byte-order mark made it differ
    if not isinstance(data, bytes):
        data = bytes(data)  # bytearray / memoryview from a caller's buffer
    try:
        if len(data) > MAX_FILING_BYTES:
            raise FilingError(
                errors.OVERSIZE,
                f"{len(data)} bytes is over the {MAX_FILING_BYTES}-byte limit for one filing",
                offset=MAX_FILING_BYTES,
            )
        if not data or data.isspace():
            raise FilingError(errors.EMPTY, "the file is empty" if not data else "the file holds only whitespace")
        clean = normalise_bom(data)
        if clean is not data:
            stored, data = data, clean
        container = detect_container(data)
        if container != "xml":
            region = header_text(data, container)
            header, parties, problem = parse_txt_header(region.text) if container == "txt" else parse_nc_header(region.text)
            header_accession = header["ACCESSION_NUMBER"]
            if accession and header_accession and not _same_accession(accession, header_accession):
                raise FilingError(
                    errors.ACCESSION_MISMATCH,
                    f"the SEC header says accession {header_accession}, the index listed {accession}",
                    field="ACCESSION NUMBER",
                )
            if header_accession:
                accession = header_accession
            else:
                header["ACCESSION_NUMBER"] = accession
                for party in parties:
                    party["ACCESSION_NUMBER"] = accession
            if not region.closed:
                raise FilingError(
                    errors.TRUNCATED, "the SEC header is never closed (</SEC-HEADER> missing)",
                    field="SEC-HEADER", offset=len(data),
                )
            if problem is not None:
                raise problem
            body = region.body
            try:
                part = locate_xml(data, container, body)
            except FilingError:
                _check_documents(data, body, header)
                raise
            header["DOCUMENTS"] = documents_json(document_list(data, body, part))
        else:
            part = locate_xml(data, container)
        root, part = parse_xml(part)
        tables = extract(root, part, accession)
    except FilingError as exc:
        offset = exc.offset if stored is None or exc.offset is None else original_offset(stored, exc.offset)
        return Quarantined(source, accession, exc.reason, exc.message, exc.field, offset, header, parties)
    except Exception as exc:  # noqa: BLE001 - the contract is "never raises on bad input"
        where = traceback.extract_tb(exc.__traceback__)[-1]
        message = f"unexpected {type(exc).__name__}: {exc} (at {where.filename}:{where.lineno}); this is a parser bug"
        return Quarantined(source, accession, errors.PARSER_ERROR, message, None, None, header, parties)

    submission = tables["submission"]
    if header is not None:
        submission["FILING_DATE"] = header["FILED_AS_OF_DATE"]
        file_numbers = {
            cik_key(p["CIK"]): p["FILE_NUMBER"] for p in parties if p["ROLE"] == "REPORTING-OWNER"
        }
        for owner in tables["reporting_owner"]:
            owner["FILE_NUMBER"] = file_numbers.get(cik_key(owner["RPTOWNERCIK"]))
    # extract's rows are keyed by table name, as ParsedFiling's fields are
    return ParsedFiling(source=source, accession=accession, container=container, header=header, parties=parties, **tables)
