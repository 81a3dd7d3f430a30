"""Turning the ownershipDocument bytes into an lxml tree without trusting them.

The parser is hardened (no entities, DTDs, network or huge trees) and DOCTYPE/ENTITY
declarations are refused before lxml sees the bytes, so XXE and entity-expansion
attacks have nothing to work with. The encoding is settled here too; see `prepare`.
"""

from __future__ import annotations

import re
import threading

from lxml import etree

from form4_assets.parsing import errors
from form4_assets.parsing.container import XmlPart, strip_encoding_declaration
from form4_assets.parsing.errors import FilingError

# libxml2 error codes that mean "these bytes are not in the encoding they claim".
_ENCODING_ERRORS = frozenset({32, 81})  # XML_ERR_UNSUPPORTED_ENCODING, XML_ERR_INVALID_ENCODING
_DECL_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?\bencoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_DECLARATION = re.compile(rb"<!(DOCTYPE|ENTITY)")
_UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})

_local = threading.local()


def hardened_parser() -> etree.XMLParser:
    """One lxml parser per thread (lxml parsers must not be shared across threads):
    no entity resolution, no DTD loading, no network, no huge-tree mode. Comments and
    processing instructions are dropped so every child's tag is an element name, and
    whitespace-only text between elements is not kept (it carries nothing, and not
    building those nodes makes the parse itself faster); no ID table is collected (no
    xml:id is ever looked up)."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            dtd_validation=False,
            remove_comments=True,
            remove_pis=True,
            remove_blank_text=True,
            collect_ids=False,
        )
    return parser


def prepare(part: XmlPart) -> bytes:
    """Check the XML bytes before lxml sees them and settle their encoding.

    DOCTYPE/ENTITY declarations are refused outright (no legitimate ownership document
    has one). Encoding: ASCII needs no decision (the common case); bytes declared in
    another encoding are left to lxml; bytes that claim (or default to) UTF-8 but are
    not are re-read as windows-1252, the encoding of mislabelled SEC text, and only
    bytes that are neither are refused.
    """
    data = part.data
    if data.find(b"!") >= 0:  # a one-byte (memchr) scan first: "!" is rare in these documents
        found = _DECLARATION.search(data)
        if found is not None:
            raise FilingError(
                errors.FORBIDDEN_XML,
                f"{found.group(1).decode()} declaration in the ownership XML "
                "(refused: DTDs and entities are never needed and enable XXE / entity expansion)",
                field=found.group(1).decode(),
                offset=part.offset + found.start(),
            )
    declared = _DECL_ENCODING.match(data)
    name = declared.group(1).decode().lower() if declared else None
    if name is not None and name.startswith(("utf-16", "utf-32", "ucs")):
        # The bytes are ASCII-compatible (the markers were found by byte search), so the
        # declaration is wrong; a real UTF-16 file has a BOM and was transcoded already.
        data, name = strip_encoding_declaration(data), None
    if data.isascii() or (name is not None and name not in _UTF8_NAMES):
        return data
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise FilingError(
            errors.BAD_ENCODING,
            f"bytes are neither UTF-8 (first bad byte at {part.offset + first_bad}) nor windows-1252 "
            f"(byte 0x{data[exc.start]:02x} at {part.offset + exc.start})",
            offset=part.offset + first_bad,
        ) from None
    return strip_encoding_declaration(text.encode("utf-8"))


def parse_xml(part: XmlPart) -> etree._Element:
    """The ownershipDocument element, parsed with the hardened parser."""
    data = prepare(part)
    try:
        root = etree.fromstring(data, hardened_parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (None, None)
        offset = byte_offset(part, line, column)
        reason = errors.BAD_ENCODING if exc.code in _ENCODING_ERRORS else errors.MALFORMED_XML
        raise FilingError(reason, f"ownership XML: {exc.msg}", field="ownershipDocument", offset=offset) from None
    if root.tag != "ownershipDocument":
        raise FilingError(
            errors.NO_OWNERSHIP_DOCUMENT,
            f"root element is <{root.tag}>, not <ownershipDocument>",
            field=str(root.tag),
            offset=part.offset,
        )
    return root


def byte_offset(part: XmlPart, line: int | None, column: int | None, needle: bytes | None = None) -> int | None:
    """Byte offset in the submission of a (1-based) line and column of the XML part;
    with `needle`, of its first occurrence on or after that line (values are found
    this way in one-line `.nc` documents, where the line says little)."""
    if line is None:
        return None
    data, pos = part.data, 0
    for _ in range(line - 1):
        pos = data.find(b"\n", pos) + 1
        if pos == 0:
            return None
    if needle:
        found = data.find(needle, pos)
        if found >= 0:
            return part.offset + found
    return part.offset + pos + max((column or 1) - 1, 0)
