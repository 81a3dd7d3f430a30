"""Find the parts of a submission: its container format, SEC header, document list and
the bytes of the ownershipDocument XML.

Everything here works on bytes with `find` (memchr speed) rather than regular
expressions over the whole file: a submission can carry megabytes of exhibits and
only a few hundred bytes around the markers matter.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass
from typing import NamedTuple

from form4_assets.parsing import errors
from form4_assets.parsing.errors import FilingError
from form4_assets.parsing.model import Container


_OPEN_DOC = b"<ownershipDocument"
_CLOSE_DOC = b"</ownershipDocument>"
_DOC_META = re.compile(rb"<(TYPE|SEQUENCE|FILENAME|DESCRIPTION)>([^<\r\n]*)")
_PREAMBLE_MAX = 2048
_LEADING_SPACE = re.compile(rb"\s*")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass(frozen=True, slots=True)
class XmlPart:
    """The ownershipDocument bytes, where they start in the submission, and (once
    `xmlsafe` has settled it) the Python codec they are written in."""

    data: bytes
    offset: int
    encoding: str = "utf-8"


class HeaderRegion(NamedTuple):
    """The SEC header's text, where the documents begin, and whether the header was
    closed (an unclosed one is still read, so a truncated filing keeps its header)."""

    text: str
    body: int
    closed: bool


def normalise_bom(data: bytes) -> bytes:
    """Drop a UTF-8 byte-order mark; transcode UTF-16 (which has one) to UTF-8 so the
    byte-level searches below work (its now-wrong encoding declaration is harmless:
    lxml is told the bytes are UTF-8). Offsets found in the result are turned back into
    offsets in `data` by `original_offset`."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:]
    if data.startswith(_UTF16_BOMS):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FilingError(errors.BAD_ENCODING, f"invalid UTF-16: {exc.reason}", offset=exc.start) from None
        return text.encode("utf-8")
    return data


def original_offset(data: bytes, offset: int) -> int:
    """The byte offset in `data` (a file as it was stored) of byte `offset` of
    `normalise_bom(data)`: after the 3-byte UTF-8 mark, or, for UTF-16, the mark plus
    two bytes per UTF-16 code unit of the text before it. Only quarantines ask, so the
    transcoding is simply done again."""
    if data.startswith(codecs.BOM_UTF8):
        return offset + 3
    if data.startswith(_UTF16_BOMS):
        before = normalise_bom(data)[:offset].decode("utf-8", "ignore")
        return 2 + len(before.encode("utf-16-le"))
    return offset


def detect_container(data: bytes) -> Container:
    """`nc` for <SUBMISSION>, `txt` when an SEC/IMS header is near the top (the PEM
    wrapper of 1990s filings comes first), else a bare XML document."""
    first = _LEADING_SPACE.match(data).end()
    if data.startswith((b"<?xml", b"<ownershipDocument"), first):
        return "xml"
    if data.startswith(b"<SUBMISSION>", first):
        return "nc"
    for marker in (b"<SEC-HEADER>", b"<SEC-DOCUMENT>", b"<IMS-HEADER>"):
        if data.find(marker, 0, 4096) >= 0:
            return "txt"
    return "xml"


def header_text(data: bytes, container: Container) -> HeaderRegion:
    """The header region, decoded, and the offset where the documents begin. Headers
    are ASCII in practice; UTF-8 is tried first and windows-1252/Latin-1 catch the
    rest, since a name with an odd byte must not cost the whole filing. A `.txt` header
    that is never closed runs to the first document (or the end of the file) and is
    marked unclosed: the caller quarantines the filing as truncated, with the header."""
    closed = True
    if container == "txt":
        start = data.find(b"<SEC-HEADER>")
        if start < 0:
            start = data.find(b"<IMS-HEADER>")
        if start < 0:
            raise FilingError(errors.MISSING_FIELD, "no <SEC-HEADER> in the submission", field="SEC-HEADER")
        end = data.find(b"</SEC-HEADER>", start)
        if end < 0:
            end = data.find(b"</IMS-HEADER>", start)
        if end < 0:
            closed = False
            end = data.find(b"<DOCUMENT>", start)
            if end < 0:
                end = len(data)
        raw = data[data.find(b">", start) + 1 : end]
    else:
        start = data.find(b"<SUBMISSION>")
        end = data.find(b"<DOCUMENT>", start)
        if end < 0:
            end = len(data)
        raw = data[start + len(b"<SUBMISSION>") : end]
    for encoding in ("utf-8", "cp1252"):
        try:
            return HeaderRegion(raw.decode(encoding), end, closed)
        except UnicodeDecodeError:
            continue
    return HeaderRegion(raw.decode("latin-1"), end, closed)


def document_list(data: bytes, start: int = 0, known: XmlPart | None = None) -> list[dict[str, object]]:
    """The submission's documents (type, sequence, filename, description) as listed by
    their <DOCUMENT> preambles, searching from `start` (the end of the header). The
    ownership XML, once located (`known`), is jumped over rather than scanned again."""
    documents: list[dict[str, object]] = []
    pos = data.find(b"<DOCUMENT>", start)
    while pos >= 0:
        # the preamble is a few short tag lines; bounding the search keeps a document
        # without <TEXT> from making this scan the rest of the submission
        text_at = data.find(b"<TEXT>", pos, pos + _PREAMBLE_MAX)
        preamble = data[pos + 10 : text_at if text_at >= 0 else pos + _PREAMBLE_MAX]
        # a tag given twice: the last one wins
        meta = {tag: value.decode("latin-1").strip() for tag, value in _DOC_META.findall(preamble)}
        sequence = meta.get(b"SEQUENCE")
        documents.append(
            {
                "type": meta.get(b"TYPE"),
                "sequence": int(sequence) if sequence and sequence.isdigit() else sequence,
                "filename": meta.get(b"FILENAME"),
                "description": meta.get(b"DESCRIPTION"),
            }
        )
        if text_at < 0:
            break
        skip_to = known.offset + len(known.data) if known is not None and text_at < known.offset else text_at
        end = data.find(b"</DOCUMENT>", skip_to)
        if end < 0:
            break
        pos = data.find(b"<DOCUMENT>", end)
    return documents


def documents_json(documents: list[dict[str, object]]) -> str:
    return json.dumps(documents)


def locate_xml(data: bytes, container: Container, body: int = 0) -> XmlPart:
    """The ownershipDocument's bytes, from its XML declaration (when it has one) to the
    end of `</ownershipDocument>`, searching from `body` (the end of the header).
    Raises `no_ownership_document` or `truncated`."""
    start = data.find(_OPEN_DOC, body)
    if start < 0:
        raise FilingError(errors.NO_OWNERSHIP_DOCUMENT, "the submission has no <ownershipDocument> XML")
    # A bare document ends with its close tag, so search from the end; in a submission
    # later exhibits could quote one, so search forward there.
    end = data.rfind(_CLOSE_DOC, start) if container == "xml" else data.find(_CLOSE_DOC, start)
    if end < 0:
        raise FilingError(
            errors.TRUNCATED,
            f"<ownershipDocument> opened at byte {start} is never closed",
            field="ownershipDocument",
            offset=len(data),
        )
    end += len(_CLOSE_DOC)
    if container == "xml":
        begin = _LEADING_SPACE.match(data).end()
    else:
        xml_tag = data.rfind(b"<XML>", 0, start)
        begin = xml_tag + 5 if xml_tag >= 0 else start
        while begin < start and data[begin] in b" \t\r\n":
            begin += 1
    return XmlPart(data[begin:end], begin)
