"""Values the warehouse cannot hold: found before a day is written, never at the INSERT.

Used by every path that brings outside values in: the parse step (form4_assets.pipeline.day)
and the SEC Form 345 import (form4_assets.form345), so it imports only the catalogue and
the reason codes.

One PostgreSQL or SQLite rejection inside the day's transaction would fail the whole
run (issue 14: a 20-digit document count, a 25-digit share count, a NUL in a name), so
every row of a filing is checked here against the catalogue's bounds
(form4_assets.tables: DECIMAL_PLACES, DECIMAL_MAX, DERIVED_PRODUCTS, INT_MAX,
FORBIDDEN_TEXT_CHAR) and a filing with a value outside them is quarantined, with the
table, column, row and value in its message. Values inside the bounds are stored as
they are: nothing is rounded or cut.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from form4_assets.parsing.errors import NUL_IN_TEXT, OUT_OF_RANGE
from form4_assets.tables import (
    DECIMAL_MAX,
    DECIMAL_PLACES,
    DERIVED_PRODUCTS,
    FORBIDDEN_TEXT_CHAR,
    INT_MAX,
    TABLES_BY_NAME,
)

# The reason codes (their one home is parsing/errors.py): OUT_OF_RANGE, a number the
# warehouse cannot store exactly (beyond DECIMAL_MAX or INT_MAX, more than DECIMAL_PLACES
# places, or a derived product such as shares x price beyond DECIMAL_MAX); NUL_IN_TEXT,
# a text value holding a NUL character, which PostgreSQL text cannot store.

_QUANTUM = Decimal(1).scaleb(-DECIMAL_PLACES)
_SHOWN = 80  # characters of an offending value quoted in the message


@dataclass(frozen=True)
class Unstorable:
    """The first value of a filing the warehouse cannot hold."""

    reason: str
    field: str  # <table>.<COLUMN>, or <table>.<A>*<B> for a derived product
    message: str


def _decimal_problem(value: Decimal) -> str | None:
    if abs(value) > DECIMAL_MAX:
        return f"exceeds the largest value EDGAR stores, {DECIMAL_MAX}"
    # The magnitude check first: quantize is then safe (at most 16 digits + places).
    if value.as_tuple().exponent < -DECIMAL_PLACES and value.quantize(_QUANTUM) != value:  # type: ignore[operator]
        return f"has more than the {DECIMAL_PLACES} decimal places EDGAR stores"
    return None


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= _SHOWN else f"{text[:_SHOWN]}... ({len(text)} characters)"


def _kinds(table: str) -> tuple[tuple[str, str], ...]:
    """(column, kind) of the columns whose values have bounds."""
    return tuple((c.name, c.kind) for c in TABLES_BY_NAME[table].columns if c.kind in ("decimal", "int", "text", "fn"))


_BOUNDED = {name: _kinds(name) for name in TABLES_BY_NAME}


def value_problem(kind: str, value: Any) -> tuple[str, str] | None:
    """(reason, what is wrong) for one value of a column of `kind`, or None when storable."""
    if kind == "decimal":
        problem = _decimal_problem(value)
        return (OUT_OF_RANGE, problem) if problem else None
    if kind == "int":
        return (OUT_OF_RANGE, f"exceeds the largest integer stored, {INT_MAX}") if abs(value) > INT_MAX else None
    if FORBIDDEN_TEXT_CHAR in value:
        return NUL_IN_TEXT, "holds a NUL character (PostgreSQL text cannot)"
    return None


def row_problem(table: str, row: Mapping[str, Any], position: int) -> Unstorable | None:
    """Why `row` of `table` (its `position`-th row, 1-based, in the message) cannot be stored, or None."""
    for column, kind in _BOUNDED[table]:
        value = row.get(column)
        if value is not None:
            found = value_problem(kind, value)
            if found:
                return Unstorable(found[0], f"{table}.{column}", f"{table} row {position}: {column} = {_shown(value)} {found[1]}")
    factors = DERIVED_PRODUCTS.get(table)
    if factors:
        a, b = row.get(factors[0]), row.get(factors[1])
        if a is not None and b is not None and abs(a * b) > DECIMAL_MAX:
            return Unstorable(
                OUT_OF_RANGE, f"{table}.{factors[0]}*{factors[1]}",
                f"{table} row {position}: {factors[0]} × {factors[1]} = {a} × {b} exceeds {DECIMAL_MAX}, "
                "the largest value (dollars) the aggregates take from one row",
            )
    return None


def first_problem(tables: Mapping[str, Iterable[Mapping[str, Any]]]) -> Unstorable | None:
    """The first value in one filing's rows (table name -> rows) the warehouse cannot hold."""
    for table, rows in tables.items():
        for position, row in enumerate(rows, start=1):
            problem = row_problem(table, row, position)
            if problem:
                return problem
    return None


def escaped_text(text: str | None) -> str | None:
    """Text of our own making (a message, a path) with NULs shown as \\x00, so a quarantine
    row that quotes the bad value can itself be stored."""
    return None if text is None else text.replace(FORBIDDEN_TEXT_CHAR, "\\x00")
