"""Daily closes from a file the user supplies (issue 15): prices are not in the filings.

`read_prices` reads a directory of per-ticker CSVs (Yahoo/Stooq layouts) or one long
CSV/Parquet file into a `PriceBook`, reporting gaps, missing closes and split-like jumps
as `PriceIssue`s instead of dropping them. Pure pandas and Python; no Dagster, no SQL.
"""

from form4_assets.prices.book import PriceBook, PriceFileError, PriceIssue, PriceRow, Series
from form4_assets.prices.read import read_prices

__all__ = ["PriceBook", "PriceFileError", "PriceIssue", "PriceRow", "Series", "read_prices"]
