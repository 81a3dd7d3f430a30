"""Read a price source: a directory of per-ticker CSVs, or one long CSV or Parquet file.

Layouts people already download:

- a directory of ``<TICKER>.csv`` files (the file name is the ticker), each with a header
  naming at least ``Date`` and ``Close`` in any order and case: Yahoo's
  ``Date,Open,High,Low,Close,Adj Close,Volume``, Stooq's ``Date,Open,High,Low,Close,Volume``
  or a bare ``Date,Close``;
- one ``.csv`` or ``.parquet`` file with columns ``ticker, date, close`` and optionally
  ``adj_close``.

The adjusted close is used when the source has one (returns then include dividends and
splits). Text is read as text (pandas with ``dtype=str``), so a price is the exact
decimal written in the file; Parquet floats are taken by their shortest repr. Dates are
``YYYY-MM-DD`` (or Stooq's ``YYYYMMDD``). A malformed value raises `PriceFileError`
naming the file, line and field; an empty or ``null`` close is kept as a
``missing_close`` issue (Yahoo writes ``null`` for a missing day), never dropped silently.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from form4_assets.prices.book import PriceBook, PriceFileError, PriceIssue, PriceRow, Series

MISSING = {"", "null", "nan", "na", "n/a", "none", "-"}


def normalise_ticker(text: str | None) -> str | None:
    """A trading symbol as the price source keys it: trimmed, upper case; None when empty or 'NONE'."""
    value = (text or "").strip().upper()
    return None if value in {"", "NONE", "N/A", "NA", "-"} else value


def _date(text: str, file: str, line: int | str, field: str) -> dt.date:
    value = text.strip()
    try:
        if len(value) == 8 and value.isdigit():
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise PriceFileError(file, line, field, f"not a date (YYYY-MM-DD): {text!r}") from None


def _price(text: str, file: str, line: int | str, field: str) -> Decimal | None:
    value = text.strip()
    if value.lower() in MISSING:
        return None
    try:
        price = Decimal(value)
    except InvalidOperation:
        raise PriceFileError(file, line, field, f"not a number: {text!r}") from None
    if not price.is_finite() or price <= 0:
        raise PriceFileError(file, line, field, f"a close must be a positive number, not {text!r}")
    return price


def _frame(path: Path) -> pd.DataFrame:
    """The file's cells as text (CSV) or as pandas read them (Parquet), errors naming the file."""
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path)
        # index_col=False: a row with more fields than the header is an error, not shifted into an index.
        return pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True, index_col=False)
    except ImportError as exc:
        raise PriceFileError(str(path), None, None, f"reading Parquet needs pyarrow ({exc})") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError, ValueError) as exc:
        raise PriceFileError(str(path), None, None, f"unreadable: {exc}") from None


def _columns(frame: pd.DataFrame, path: Path, required: tuple[str, ...]) -> dict[str, str]:
    """The frame's column for each wanted name (case, spaces and underscores ignored)."""
    found = {str(c).strip().lower().replace(" ", "_"): str(c) for c in frame.columns}
    missing = [name for name in required if name not in found]
    if missing:
        raise PriceFileError(str(path), 1, missing[0], f"no {missing[0]!r} column (header: {', '.join(map(str, frame.columns))})")
    return found


def _text(value: object) -> str:
    """A cell as text: CSV cells already are; Parquet dates and floats by their ISO form and shortest repr."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.date().isoformat()
    return str(value)


def _rows(frame: pd.DataFrame, path: Path, ticker_col: str | None, fixed_ticker: str | None,
          issues: list[PriceIssue]) -> dict[str, tuple[list[PriceRow], bool]]:
    """Rows per ticker from one frame; the missing closes go to `issues`."""
    required = ("date", "close") + (("ticker",) if ticker_col else ())
    cols = _columns(frame, path, required)
    adj = cols.get("adj_close")
    parquet = path.suffix.lower() == ".parquet"
    out: dict[str, list[PriceRow]] = defaultdict(list)
    seen: set[tuple[str, dt.date]] = set()
    for n, record in enumerate(frame.itertuples(index=False, name=None)):
        cells = dict(zip(map(str, frame.columns), record))
        line: int | str = f"row {n + 1}" if parquet else n + 2
        source = f"{path.name}:{'row ' + str(n + 1) if parquet else n + 2}"
        ticker = fixed_ticker or normalise_ticker(_text(cells[cols["ticker"]]))
        if ticker is None:
            raise PriceFileError(str(path), line, "ticker", "empty ticker")
        day = _date(_text(cells[cols["date"]]), str(path), line, cols["date"])
        if (ticker, day) in seen:
            raise PriceFileError(str(path), line, cols["date"], f"{ticker} has a second row for {day}")
        seen.add((ticker, day))
        field = adj or cols["close"]  # never a mix of adjusted and unadjusted closes in one series
        text = _text(cells[field]).strip()
        price = _price(text, str(path), line, field)
        if price is None:
            issues.append(PriceIssue("missing_close", ticker, day, f"{field} is {text or 'empty'!r}", source))
            continue
        out[ticker].append(PriceRow(day, price, text, source))
    return {t: (rows, adj is not None) for t, rows in out.items()}


def read_prices(path: Path | str, benchmark: str | None = None) -> PriceBook:
    """The price book of a directory of per-ticker CSVs or of one long CSV/Parquet file."""
    root = Path(path)
    issues: list[PriceIssue] = []
    found: dict[str, tuple[list[PriceRow], bool]] = {}
    if root.is_dir():
        files = sorted(p for p in root.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
        if not files:
            raise PriceFileError(str(root), None, None, "no <TICKER>.csv files in the price directory")
        for file in files:
            ticker = normalise_ticker(file.stem)
            if ticker in found:
                raise PriceFileError(str(file), None, None, f"a second file for ticker {ticker}")
            found.update(_rows(_frame(file), file, None, ticker, issues))
    elif root.is_file():
        found.update(_rows(_frame(root), root, "ticker", None, issues))
    else:
        raise PriceFileError(str(root), None, None, "no such price file or directory")
    series = {t: Series(t, rows, adjusted) for t, (rows, adjusted) in found.items() if rows}
    for ticker in sorted(set(found) - set(series)):
        issues.append(PriceIssue("missing_close", ticker, dt.date.min, "every close of the ticker is missing", str(root)))
    return PriceBook(series, str(root), normalise_ticker(benchmark) if benchmark else None, issues)
