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

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from itertools import chain, repeat
from operator import eq, is_not, itemgetter
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

Picker = Callable[[Mapping[str, Any]], tuple[Any, ...]]


def _picker(columns: Sequence[str]) -> Picker | None:
    """A function giving a row's values of `columns` as a tuple, in one C-level call."""
    if not columns:
        return None
    if len(columns) == 1:
        one = itemgetter(columns[0])
        return lambda row: (one(row),)
    return itemgetter(*columns)


@dataclass(frozen=True)
class _Pickers:
    """One table's bounded columns by kind, for `_may_be_unstorable`."""

    text: Picker | None  # text and footnote-id columns
    decimal: Picker | None
    int: Picker | None


def _pickers(table: str) -> _Pickers:
    by_kind = {kind: [c for c, k in _BOUNDED[table] if k in kinds]
               for kind, kinds in (("text", ("text", "fn")), ("decimal", ("decimal",)), ("int", ("int",)))}
    return _Pickers(**{kind: _picker(columns) for kind, columns in by_kind.items()})


_PICKERS = {name: _pickers(name) for name in TABLES_BY_NAME}
_not_none = partial(is_not, None)


def _may_be_unstorable(table: str, rows: Sequence[Mapping[str, Any]]) -> bool:
    """False when every value of `rows` is certainly within the bounds: the same tests as
    `row_problem`, run a column kind at a time over all the rows with C-level map and join
    (a Python loop per value was most of the cost of checking). True sends the caller to
    `row_problem` for the exact first problem, as does anything unexpected (a row without
    one of the columns, a value of another type), whose handling `row_problem` owns."""
    pickers = _PICKERS[table]
    try:
        if pickers.text and FORBIDDEN_TEXT_CHAR in "".join(filter(None, chain.from_iterable(map(pickers.text, rows)))):
            return True
        if pickers.decimal:
            values = list(filter(_not_none, chain.from_iterable(map(pickers.decimal, rows))))
            # magnitude first: quantizing is then exact; unequal after quantizing = too many places
            if values and (max(map(abs, values)) > DECIMAL_MAX
                           or not all(map(eq, values, map(Decimal.quantize, values, repeat(_QUANTUM))))):
                return True
        if pickers.int:
            values = list(filter(_not_none, chain.from_iterable(map(pickers.int, rows))))
            if values and max(map(abs, values)) > INT_MAX:
                return True
        factors = DERIVED_PRODUCTS.get(table)
        if factors:
            for row in rows:
                a, b = row[factors[0]], row[factors[1]]
                if a is not None and b is not None and abs(a * b) > DECIMAL_MAX:
                    return True
    except Exception:  # noqa: BLE001 - row_problem decides, and raises what it raises
        return True
    return False


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


def all_storable(filings: Iterable[Mapping[str, Sequence[Mapping[str, Any]]]]) -> bool:
    """True when every value of these filings' rows (each: table name -> rows) is certainly
    within the bounds, checked a table at a time over all of them (`_may_be_unstorable`),
    which for a batch of filings costs a fraction of `first_problem` on each. False says
    only that some filing may hold a problem: `first_problem` tells which and what."""
    by_table: dict[str, list[Mapping[str, Any]]] = {}
    for tables in filings:
        for table, rows in tables.items():
            if rows:
                by_table.setdefault(table, []).extend(rows)
    return not any(_may_be_unstorable(table, rows) for table, rows in by_table.items())


def escaped_text(text: str | None) -> str | None:
    """Text of our own making (a message, a path) with NULs shown as \\x00, so a quarantine
    row that quotes the bad value can itself be stored."""
    return None if text is None else text.replace(FORBIDDEN_TEXT_CHAR, "\\x00")
