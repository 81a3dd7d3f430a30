"""PostgreSQL's COPY ... FROM STDIN for rows already bound for the driver.

A day's partition write is tens of thousands of rows. psycopg2's execute_values renders
every row into one multi-row INSERT on the client (a `mogrify` per row, as much time as
the server's own work) and the server then parses that statement; COPY streams the rows
in its text format, which costs a fraction of both.

The text is written only for the value classes whose text form PostgreSQL reads back as
exactly the value psycopg2 would have sent: NULL, booleans, ints, exact Decimals, text,
dates and naive date-times (every type of the schema). Anything else (an aware
date-time, whose conversion to a timestamp column depends on the session's time zone, a
float) raises `NotCopyable`, and the caller binds those rows the ordinary way.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

#: What COPY's text format escapes in a value (backslash first is implied by the one pass).
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
_COPY_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
#: Classes whose `str` is their COPY text form (Decimal: PostgreSQL's numeric reads str's
#: exponent form too; date: ISO).
_AS_STR = frozenset({int, Decimal, dt.date})


class NotCopyable(TypeError):
    """A value whose COPY text form is not known to be exactly what the driver would bind."""


def copy_text(value: Any) -> str:
    """One value in COPY's text format: NULL as \\N, booleans t/f, special characters escaped."""
    if value is None:
        return "\\N"
    cls = value.__class__
    if cls is str:
        return _COPY_SPECIAL.sub(lambda m: _COPY_ESCAPES[m.group()], value) if _COPY_SPECIAL.search(value) else value
    if cls is bool:
        return "t" if value else "f"
    if cls in _AS_STR:
        return str(value)
    if cls is dt.datetime and value.tzinfo is None:
        return value.isoformat(" ")
    raise NotCopyable(f"no exact COPY text for {cls.__name__} {value!r}")


def copy_payload(rows: Iterable[Sequence[Any]]) -> str:
    """The rows as one COPY text stream (raises NotCopyable before anything is sent)."""
    return "".join("\t".join(map(copy_text, row)) + "\n" for row in rows)


def copy_rows(conn: sa.Connection, target: str, payload: str) -> None:
    """COPY `payload` (from `copy_payload`) into `target` ("table (col, ...)"), inside the
    caller's transaction; a refused row raises SQLAlchemy's exception class for it."""
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.copy_expert(f"COPY {target} FROM STDIN", io.StringIO(payload))
    except conn.dialect.loaded_dbapi.Error as exc:
        # The same exception classes as a SQLAlchemy insert raises (IntegrityError, ...).
        raise sa.exc.DBAPIError.instance(f"COPY {target}", None, exc, conn.dialect.loaded_dbapi.Error,
                                         dialect=conn.dialect) from exc
    finally:
        cursor.close()
