"""The SEC data sets' spellings of values, both ways.

The data sets print dates as DD-MON-YYYY (upper-case month), numbers with a decimal point
and prices rounded to two places (250000.0, 17.04), footnote ids separated by a comma and
a space (``F1, F2``) and flags as the filer wrote them (0/1/true/false). The warehouse
holds dates, exact Decimals, booleans and ``F1,F2``. `to_warehouse` reads one field;
`to_sec` prints one the SEC's way. Where the warehouse value cannot reproduce the SEC's
text (a flag filed as ``true``), `spelling` says so, and the row keeps the SEC's text.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from form4_assets.bounds import value_problem
from form4_assets.tables import Column, decimal_text

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTH_NUMBER = {name: i for i, name in enumerate(MONTHS, 1)}
_FLAGS = {"0": False, "1": True, "false": False, "true": True}


class BadValue(ValueError):
    """A field the warehouse cannot hold: `reason` is a rejected-row reason code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def sec_date(value: dt.date) -> str:
    """27-SEP-2024 (the month table avoids depending on the process locale)."""
    return f"{value.day:02d}-{MONTHS[value.month - 1]}-{value.year:04d}"


def sec_number(value: Decimal | int | float) -> str:
    """250000 -> 250000.0, 17.04000000 -> 17.04: the exact decimal with at least one decimal place."""
    text = decimal_text(Decimal(str(value)))
    return text if "." in text else f"{text}.0"


def parse_sec_date(text: str) -> dt.date:
    day, month, year = text.split("-")
    if len(day) != 2 or len(year) != 4 or month not in _MONTH_NUMBER:
        raise ValueError(text)
    return dt.date(int(year), _MONTH_NUMBER[month], int(day))


def to_warehouse(column: Column, text: str) -> Any:
    """One data-set field as the warehouse stores it; an empty field is NULL. A value the
    warehouse cannot hold exactly (form4_assets.bounds) is a BadValue, like a malformed one."""
    value = _converted(column, text)
    if value is not None and column.kind in ("decimal", "int", "text", "fn"):
        problem = value_problem(column.kind, value)
        if problem is not None:
            raise BadValue(problem[0], f"{column.name}: {text[:80]!r} {problem[1]}")
    return value


def _converted(column: Column, text: str) -> Any:
    if text == "":
        return None
    kind = column.kind
    if kind in ("text",):
        return text
    if kind == "fn":
        joined = text.replace(", ", ",")
        return joined if " " not in joined else ",".join(part.strip() for part in text.split(","))
    if kind == "date":
        try:
            return parse_sec_date(text)
        except ValueError:
            raise BadValue("bad_date", f"{column.name}: {text!r} is not a DD-MON-YYYY date") from None
    if kind == "decimal":
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise BadValue("bad_number", f"{column.name}: {text!r} is not a number") from None
        if not value.is_finite():
            raise BadValue("bad_number", f"{column.name}: {text!r} is not a finite number")
        return value
    if kind == "int":
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite() or number != number.to_integral_value():
            raise BadValue("bad_number", f"{column.name}: {text!r} is not an integer")
        return int(number)
    if kind == "flag":
        try:
            return _FLAGS[text.strip().lower()]
        except KeyError:
            raise BadValue("bad_flag", f"{column.name}: {text!r} is not a flag (0, 1, true, false)") from None
    raise BadValue("unknown_kind", f"{column.name}: no SEC spelling for kind {kind}")


def to_sec(column: Column, value: Any) -> str:
    """One warehouse value the way the SEC data sets print it."""
    if value is None:
        return ""
    kind = column.kind
    if kind == "date":
        return sec_date(value)
    if kind == "datetime":
        return f"{sec_date(value)} {value:%H:%M:%S}"
    if kind == "decimal":
        return sec_number(value)
    if kind == "flag":
        return "1" if value else "0"
    if kind == "fn":
        return ", ".join(str(value).split(","))
    return str(value)


def spelling(column: Column, text: str, value: Any) -> str | None:
    """The SEC's text when printing `value` back would not reproduce it, else None.

    Only flags and numbers can be spelled two ways (``true`` for 1, ``17.10`` for 17.1);
    dates, ids and text print back as read, so they are not re-printed to find out."""
    if column.kind == "flag":
        return None if text in ("0", "1") else text
    if column.kind == "decimal":
        return None if sec_number(value) == text else text
    return None
