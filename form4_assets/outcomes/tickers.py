"""Which price series an issuer's event uses: its filing's trading symbol, as of the filing.

ISSUERTRADINGSYMBOL is what the filing itself says, so a trade filed before a ticker
change maps to the old symbol and one filed after to the new. When the price source has
no series under that symbol (a renamed company whose history the user downloaded under
the new ticker, say), the symbols of the issuer's other filings known on the date are
tried, latest first; the one used is recorded (TICKER_SOURCE), and no match is a mapping
miss (PRICE_STATUS ticker_not_in_prices), never a silent drop. Class-share spellings
differ between filers and price vendors (BRK.B, BRK-B), so both are tried.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa

from form4_assets.aggregates.sql import chunks, effective_as_of, fetch, table
from form4_assets.prices.book import PriceBook
from form4_assets.prices.read import normalise_ticker

NO_SYMBOL, NOT_IN_PRICES = "no_symbol", "ticker_not_in_prices"


def spellings(symbol: str) -> list[str]:
    """The symbol and its other class-share spelling (BRK.B ↔ BRK-B)."""
    out = [symbol]
    for a, b in ((".", "-"), ("-", ".")):
        if a in symbol:
            out.append(symbol.replace(a, b))
    return out


def in_book(book: PriceBook, symbol: str | None) -> str | None:
    if symbol is None:
        return None
    return next((s for s in spellings(symbol) if book.has(s)), None)


class TickerMap:
    """Symbols of each issuer's filings known on one date (latest first), for the fallback."""

    def __init__(self, conn: sa.Connection, as_of: dt.date, issuers: Iterable[str]) -> None:
        et = table("effective_transactions")
        self.others: dict[str, list[tuple[str, str]]] = {}
        for batch in chunks(issuers):
            q = (effective_as_of(as_of, "ISSUERCIK", "ISSUERTRADINGSYMBOL", "ACCESSION_NUMBER", "FILING_DATE")
                 .where(et.c.ISSUERCIK.in_(batch), et.c.ISSUERTRADINGSYMBOL.is_not(None))
                 .distinct().order_by(et.c.FILING_DATE.desc(), et.c.ACCESSION_NUMBER.desc()))
            for r in fetch(conn, q):
                symbol = normalise_ticker(r["ISSUERTRADINGSYMBOL"])
                if symbol:
                    self.others.setdefault(r["ISSUERCIK"], []).append((symbol, r["ACCESSION_NUMBER"]))

    def resolve(self, book: PriceBook, issuer: str, symbol: str | None) -> tuple[str | None, str | None, str | None]:
        """(TICKER, TICKER_SOURCE, miss status or None)."""
        own = normalise_ticker(symbol)
        found = in_book(book, own)
        if found:
            return found, "filing", None
        for other, accession in self.others.get(issuer, []):
            found = in_book(book, other)
            if found:
                return found, f"issuer_filing {accession}", None
        return None, None, NO_SYMBOL if own is None and not self.others.get(issuer) else NOT_IN_PRICES
