"""One converter per data-set column, planned once per file: the import's inner loop.

A year of the SEC's data sets is ~20M fields, so each field must cost a few hundred
nanoseconds. A converter takes the forms the SEC prints on a fast path whose result is
provably `values.to_warehouse`'s (a number of at most 12 integer digits and 4 places,
which no bound can refuse; a DD-MON-YYYY date already seen; a flag spelled 0/1/true/false;
text without a NUL) and hands anything else to `to_warehouse` itself, so the value stored
and the reason a field is refused are always the reference's
(`form4_assets_tests/test_form345.py` compares them on generated fields). Likewise
`spelling_of` skips re-printing a number whose text is already the way the SEC prints it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from form4_assets.form345.values import spelling, to_warehouse
from form4_assets.tables import FORBIDDEN_TEXT_CHAR, Column

Converter = Callable[[str], Any]
Spelling = Callable[[str, Any], "str | None"]

#: Within DECIMAL_MAX (12 integer digits) and DECIMAL_PLACES (4): bounds.value_problem cannot refuse it.
_BOUNDED_DECIMAL = re.compile(r"-?[0-9]{1,12}(?:\.[0-9]{1,4})?")
#: A number as values.sec_number prints it (no leading zero, one decimal place at least, no trailing zero).
_SEC_PRINTED = re.compile(r"-?(?:0|[1-9][0-9]*)\.(?:0|[0-9]*[1-9])")
#: Below INT_MAX (19 digits): an int no bound refuses.
_BOUNDED_INT = re.compile(r"[0-9]{1,18}")
_FLAGS = {"0": False, "1": True, "false": False, "true": True}
#: Distinct dates remembered per column: a quarter has a few hundred; bounded for hostile files.
_DATES_KEPT = 100_000


def converter(column: Column) -> Converter | None:
    """text -> warehouse value for a non-empty field of `column`, raising values.BadValue like
    `to_warehouse`; None for text columns, whose only check is `FORBIDDEN_TEXT_CHAR`."""
    kind = column.kind
    if kind == "text":
        return None
    if kind == "decimal":
        def decimal(text: str) -> Any:
            return Decimal(text) if _BOUNDED_DECIMAL.fullmatch(text) else to_warehouse(column, text)
        return decimal
    if kind == "int":
        def integer(text: str) -> Any:
            return int(text) if _BOUNDED_INT.fullmatch(text) else to_warehouse(column, text)
        return integer
    if kind == "flag":
        def flag(text: str) -> Any:
            value = _FLAGS.get(text)
            return to_warehouse(column, text) if value is None else value
        return flag
    if kind == "fn":
        def footnote_ids(text: str) -> Any:
            joined = text.replace(", ", ",")
            return to_warehouse(column, text) if " " in joined or FORBIDDEN_TEXT_CHAR in joined else joined
        return footnote_ids
    if kind == "date":
        seen: dict[str, Any] = {}

        def date(text: str) -> Any:
            value = seen.get(text)
            if value is None:
                value = to_warehouse(column, text)  # a bad date raises: never remembered
                if len(seen) < _DATES_KEPT:
                    seen[text] = value
            return value
        return date
    return lambda text: to_warehouse(column, text)


def spelling_of(column: Column) -> Spelling | None:
    """`values.spelling` for the kinds whose SEC text can differ from the stored value's print
    (flags and numbers); None for the others."""
    if column.kind == "flag":
        return lambda text, value: None if text in ("0", "1") else text
    if column.kind == "decimal":
        return lambda text, value: None if _SEC_PRINTED.fullmatch(text) else spelling(column, text, value)
    return None
