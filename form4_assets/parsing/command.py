"""`form4-assets parse FILE...`: what the pipeline makes of each filing, as JSON Lines.

One object per file, in argument order. A quarantined filing is a normal outcome (it
prints with its reason and the exit code stays 0); a file that cannot be read is an
error: it is named on stderr and the exit code is 2.

Decimals are written as JSON numbers with exactly the digits of the filing
(`17.04`, `70750.00`): `json` would go through float, so `_encode` writes a Decimal's
own string and leaves everything else (string escaping included) to `json`.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from form4_assets.parsing.filing import parse_filing
from form4_assets.parsing.model import ParsedFiling, Quarantined
from form4_assets.tables import PARSED_TABLES, decimal_text


def _encode(value: Any) -> str:
    """JSON text of rows: dicts, lists and the scalar kinds of `form4_assets.tables`."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Decimal):
        # the filing's digits (the parser only admits finite decimals)
        return decimal_text(value, normalise=False)
    if isinstance(value, (dt.date, dt.datetime)):
        return f'"{value.isoformat()}"'
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_encode(v) for v in value) + "]"
    return json.dumps(value)


def _header_object(header: dict[str, Any] | None, parties: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    """The header with its JSON-text columns (DOCUMENTS, FORMER_NAMES) as real JSON and
    the header's parties (REPORTING-OWNER, ISSUER, ... blocks) nested under `parties`."""
    if header is None:
        return None
    obj = dict(header)
    obj["DOCUMENTS"] = json.loads(obj["DOCUMENTS"]) if obj["DOCUMENTS"] else None
    if parties is not None:
        obj["parties"] = [{**p, "FORMER_NAMES": json.loads(p["FORMER_NAMES"]) if p["FORMER_NAMES"] else None} for p in parties]
    return obj


def result_object(result: ParsedFiling | Quarantined) -> dict[str, Any]:
    """The JSON object `form4-assets parse` prints for one parse result (README "Command line")."""
    if isinstance(result, Quarantined):
        return {
            "status": "quarantined",
            "reason": result.reason,
            "message": result.message,
            "field": result.field,
            "offset": result.offset,
            "source": result.source,
            "accession": result.accession,
            "header": _header_object(result.header, result.parties),
        }
    obj: dict[str, Any] = {
        "status": "parsed",
        "source": result.source,
        "accession": result.accession,
        "container": result.container,
        "header": _header_object(result.header, result.parties),
    }
    for table in PARSED_TABLES:  # submission (one object), then the row lists
        obj[table.name] = getattr(result, table.name)
    return obj


def run_parse(files: list[str], out: TextIO) -> int:
    """Parse each file and print one JSON line per file; 0 unless a file was unreadable."""
    status = 0
    for name in files:
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            print(f"form4-assets parse: cannot read {name}: {exc.strerror or exc}", file=sys.stderr)
            status = 2
            continue
        out.write(_encode(result_object(parse_filing(data, source=name))) + "\n")
    out.flush()
    return status
