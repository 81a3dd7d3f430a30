"""Text-to-value conversions with the exact rules of the ownership schema.

Each converter takes stripped, non-empty text and returns the typed value or raises
`ValueError` with a short description; the caller knows the field and the offset and
turns that into a quarantine record. They sit on the hot path (called for every value
of every filing), so they are written to do the common case in one C-level call.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal, InvalidOperation

# xs:date allows a zone suffix: 2023-11-06Z, 2023-11-06-05:00, 2023-11-06+01:00.
_ZONE = re.compile(r"(?:Z|[+-](?:0\d|1[0-4]):[0-5]\d)")


def to_decimal(text: str) -> Decimal:
    """Exact decimal as written. Refuses what `Decimal` would otherwise accept but
    xs:decimal does not: NaN/Infinity, exponents (1.7E1), digit-group underscores,
    non-ASCII digits."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not a decimal number: {text!r}") from None
    if not value.is_finite() or "_" in text or "e" in text or "E" in text or not text.isascii():
        raise ValueError(f"not a decimal number: {text!r}")
    return value


def to_date(text: str) -> dt.date:
    """ISO date YYYY-MM-DD, with an optional xs:date zone suffix (dropped: a filing's
    dates are calendar days, the zone says nothing about which day)."""
    if len(text) == 10:
        if text[4] == "-" and text[7] == "-":  # rules out the other ISO forms 3.11 accepts
            try:
                return _fromisoformat(text)
            except ValueError:
                pass
    elif len(text) > 10 and _ZONE.fullmatch(text, 10):
        return to_date(text[:10])
    raise ValueError(f"not a date (YYYY-MM-DD): {text!r}")


_fromisoformat = dt.date.fromisoformat

_FLAGS = {"1": True, "0": False, "true": True, "false": False}


def to_flag(text: str) -> bool:
    """xs:boolean: 1/0/true/false (the SEC's filer software uses both spellings)."""
    try:
        return _FLAGS[text]
    except KeyError:
        raise ValueError(f"not a boolean (1, 0, true, false): {text!r}") from None


@functools.lru_cache(maxsize=4096)
def header_date(text: str) -> dt.date:
    """EDGAR header date YYYYMMDD.

    Cached: a header repeats its date three times (filed, period, change) and a day's
    filings share a handful of dates, so the conversion is paid once per distinct text
    (dates are immutable, and a ValueError is never cached)."""
    if len(text) == 8 and text.isascii() and text.isdigit():
        try:
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            pass
    raise ValueError(f"not a header date (YYYYMMDD): {text!r}")


def header_datetime(text: str) -> dt.datetime:
    """EDGAR acceptance time YYYYMMDDHHMMSS (Eastern, naive)."""
    if len(text) == 14 and text.isascii() and text.isdigit():
        try:
            return dt.datetime(
                int(text[:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]), int(text[10:12]), int(text[12:])
            )
        except ValueError:
            pass
    raise ValueError(f"not a header date-time (YYYYMMDDHHMMSS): {text!r}")
