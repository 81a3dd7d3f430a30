"""Turning the ownershipDocument bytes into an lxml tree without trusting them.

The encoding is settled here, in Python, before lxml sees a byte: only UTF-8 (ASCII),
ISO-8859-1 and windows-1252 are accepted (UTF-16 was transcoded when the file was
opened, see `container.normalise_bom`), the bytes lxml gets are always UTF-8, and the
lxml parser is told so, which makes it ignore the document's own declaration and its
guesses from the first bytes. That is what makes the byte check for DOCTYPE/ENTITY
declarations sound: every accepted encoding writes `<!DOCTYPE` as exactly those ASCII
bytes, whereas a document lxml were left to decode (UTF-7's `+ADwAIQ-DOCTYPE`, UTF-16
without a byte-order mark, EBCDIC) could spell one the check never sees.

The parser is hardened as well (no entities, no DTD loading, no network, no huge
trees) and a resolver refuses every external load libxml2 might still ask for, so
XXE and entity expansion have nothing to work with even past the check.
"""

from __future__ import annotations

import codecs
import re
import threading

from lxml import etree

from form4_assets.parsing import errors
from form4_assets.parsing.container import XmlPart
from form4_assets.parsing.errors import FilingError

# libxml2 error codes that mean "these bytes are not in the encoding they claim".
_ENCODING_ERRORS = frozenset({32, 81})  # XML_ERR_UNSUPPORTED_ENCODING, XML_ERR_INVALID_ENCODING
_DECL_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?\bencoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_DECLARATION = re.compile(rb"<!(DOCTYPE|ENTITY)")
#: Python codec names of the declared encodings accepted (all ASCII-compatible).
_ACCEPTED = frozenset({"utf-8", "ascii", "iso8859-1", "cp1252"})
_ACCEPTED_TEXT = "UTF-8, US-ASCII, ISO-8859-1, windows-1252, or UTF-16 with a byte-order mark"

_local = threading.local()


class _RefuseExternalLoads(etree.Resolver):
    """Refuses whatever libxml2 asks to load from outside the document (an external DTD
    subset, an external entity): nothing in an ownership document needs one, and each
    is a way to read local files, probe whether they exist or block on a device."""

    def resolve(self, system_url: str, public_id: str, context: object) -> None:
        raise FilingError(
            errors.FORBIDDEN_XML,
            f"the ownership XML asks to load {system_url!r} from outside the document (refused)",
            field="DOCTYPE",
        )


def hardened_parser() -> etree.XMLParser:
    """One lxml parser per thread (lxml parsers must not be shared across threads):
    input always UTF-8 (decoded here, never by libxml2), no entity resolution, no DTD
    loading, no network, no huge-tree mode, and every external load refused. Comments
    and processing instructions are dropped so every child's tag is an element name, and
    whitespace-only text between elements is not kept (it carries nothing, and not
    building those nodes makes the parse itself faster); no ID table is collected (no
    xml:id is ever looked up)."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(
            encoding="utf-8",
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
        parser.resolvers.add(_RefuseExternalLoads())
    return parser


def _declared_codec(part: XmlPart) -> str | None:
    """The Python codec of the encoding the XML declaration names, None when it names
    none (or a UTF-16/32 one: the bytes were found by ASCII search, so they are not
    UTF-16, and a real UTF-16 file has a byte-order mark and was transcoded already).
    Raises `bad_encoding` for any other encoding than the accepted ones."""
    declared = _DECL_ENCODING.match(part.data)
    if declared is None:
        return None
    name = declared.group(1).decode()
    if name.lower().startswith(("utf-16", "utf-32", "ucs")):
        return None
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        codec = None
    if codec not in _ACCEPTED:
        raise FilingError(
            errors.BAD_ENCODING,
            f"the XML declares encoding {name!r}; only {_ACCEPTED_TEXT} is accepted",
            field="ownershipDocument",
            offset=part.offset + declared.start(1),
        )
    return codec


def prepare(part: XmlPart) -> tuple[bytes, str]:
    """The UTF-8 bytes to give lxml, and the encoding of `part.data` (for offsets).

    DOCTYPE/ENTITY declarations are refused outright (no legitimate ownership document
    has one). Encoding: ASCII needs no decision (the common case); bytes declared
    ISO-8859-1 or windows-1252 are decoded as such; bytes that claim (or default to)
    UTF-8 but are not are re-read as windows-1252, the encoding of mislabelled SEC text,
    and only bytes that are neither are refused, as is any other declared encoding.
    """
    data = part.data
    codec = _declared_codec(part)
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
    if data.isascii():
        return data, "utf-8"
    if codec in (None, "utf-8", "ascii"):
        try:
            data.decode("utf-8")
            return data, "utf-8"
        except UnicodeDecodeError as exc:
            first_bad = exc.start
        try:
            return data.decode("cp1252").encode("utf-8"), "cp1252"
        except UnicodeDecodeError as exc:
            raise FilingError(
                errors.BAD_ENCODING,
                f"bytes are neither UTF-8 (first bad byte at {part.offset + first_bad}) nor windows-1252 "
                f"(byte 0x{data[exc.start]:02x} at {part.offset + exc.start})",
                offset=part.offset + first_bad,
            ) from None
    try:
        return data.decode(codec).encode("utf-8"), codec
    except UnicodeDecodeError as exc:
        raise FilingError(
            errors.BAD_ENCODING,
            f"byte 0x{data[exc.start]:02x} at {part.offset + exc.start} is not {codec} as the XML declares",
            field="ownershipDocument",
            offset=part.offset + exc.start,
        ) from None


def parse_xml(part: XmlPart) -> tuple[etree._Element, XmlPart]:
    """The ownershipDocument element, parsed with the hardened parser, and the part
    with its encoding settled (what `byte_offset` needs to count bytes)."""
    data, encoding = prepare(part)
    if encoding != part.encoding:  # the part as found says UTF-8, the common case: kept as is
        part = XmlPart(part.data, part.offset, encoding)
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
    return root, part


def byte_offset(part: XmlPart, line: int | None, column: int | None, needle: bytes | None = None) -> int | None:
    """Byte offset in the submission of a (1-based) line and column of the XML part;
    with `needle` (UTF-8), of its first occurrence on or after that line (values are
    found this way in one-line `.nc` documents, where the line says little). libxml2
    counts columns in characters, so the line is decoded to turn them into bytes."""
    if line is None:
        return None
    data, pos = part.data, 0
    for _ in range(line - 1):
        pos = data.find(b"\n", pos) + 1
        if pos == 0:
            return None
    if needle:
        if part.encoding != "utf-8":
            needle = needle.decode("utf-8", "replace").encode(part.encoding, "replace")
        found = data.find(needle, pos)
        if found >= 0:
            return part.offset + found
    if not column or column <= 1:
        return part.offset + pos
    end = data.find(b"\n", pos)
    text = data[pos : end if end >= 0 else len(data)].decode(part.encoding, "surrogateescape")
    return part.offset + pos + len(text[: column - 1].encode(part.encoding, "surrogateescape"))
