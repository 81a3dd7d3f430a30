"""A synthetic filing under construction: its rows, footnotes and holdings overlay, and the
ledger that keeps post-transaction amounts consistent across rows, filings and days.

A :class:`Draft` reads holdings from the shared :class:`Ledger` (initialised lazily, as if
the insider held them before the mirror's first day) and writes its changes to a local
overlay; the generator commits the overlay only when the filing is kept, so a deliberately
broken filing changes nobody's holdings. The scenarios (``synthetic.scenarios``) append rows.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from form4_assets.codes import ACQUIRED_DISPOSED
from form4_assets.edgar.business_days import is_business_day
from form4_assets.synthetic.ownership_xml import Footnotes, Row
from form4_assets.synthetic.population import FilerUnit

COMMON = "Common Stock"
OPTION = "Stock Option (right to buy)"
RSU = "Restricted Stock Units"
WARRANT = "Warrants (right to buy)"
PREFERRED = "Series A Convertible Preferred Stock"
PSU = "Performance Stock Units"

#: The transaction codes a scenario may use, each with the A/D it implies: (table, code) -> A/D.
AD_BY_CODE = {
    (table, code): ACQUIRED_DISPOSED[table][code]
    for table, code in (
        ("nonderiv_trans", "S"), ("nonderiv_trans", "F"), ("nonderiv_trans", "D"), ("nonderiv_trans", "P"),
        ("nonderiv_trans", "A"), ("nonderiv_trans", "M"), ("nonderiv_trans", "C"), ("nonderiv_trans", "X"),
        ("deriv_trans", "M"), ("deriv_trans", "X"), ("deriv_trans", "C"), ("deriv_trans", "A"), ("deriv_trans", "D"),
    )
}

def shift_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` later (or earlier); 29 February becomes 28 February
    in a non-leap year, as option grants dated on a leap day expire on the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


PLAN = ("The {what} reported in this Form 4 {were} effected pursuant to a Rule 10b5-1 trading plan adopted by "
        "the reporting person on {adopted}.")


def money(value: float, places: int = 2) -> Decimal:
    return Decimal(f"{max(value, 0.01):.{places}f}")


def business_days_before(day: dt.date, n: int) -> dt.date:
    """The business day ``n`` business days before ``day`` (approximate beyond a month,
    where only a plausible past date such as a grant date is needed)."""
    if n > 20:
        day -= dt.timedelta(days=n * 7 // 5)
        n = 0 if is_business_day(day) else 1
    while n > 0:
        day -= dt.timedelta(days=1)
        if is_business_day(day):
            n -= 1
    return day


def next_business_day(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while not is_business_day(day):
        day += dt.timedelta(days=1)
    return day


class Ledger:
    """Each holder's amount per issuer, security and ownership nature, across all days."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.amounts: dict[tuple, Decimal] = {}

    def initial(self, unit: FilerUnit, kind: str, title: str, di: str) -> Decimal:
        r = self.rng
        rel = unit.members[0][1]
        if unit.kind == "fund":
            low, high = (500_000, 20_000_000) if title == COMMON else (50_000, 2_000_000)
        elif title == COMMON:
            low, high = ((20_000, 600_000) if rel.is_officer else (5_000, 150_000)) if di == "D" else (10_000, 400_000)
        elif title in (OPTION, WARRANT):
            low, high = 20_000, 400_000
        else:
            low, high = 5_000, 120_000
        amount = Decimal(r.randint(low, high))
        if title == COMMON and di == "D" and unit.kind == "person" and r.random() < 0.05:
            amount += Decimal(r.randint(1, 999)) / 1000  # fractional shares from dividend reinvestment
        return amount


class Draft:
    """The rows of one filing under construction, with their footnotes and ledger overlay."""

    def __init__(self, rng: random.Random, ledger: Ledger, unit: FilerUnit, filed: dt.date, form: str) -> None:
        self.rng, self.ledger, self.unit, self.filed, self.form = rng, ledger, unit, filed, form
        self.rows: list[Row] = []
        self.fn = Footnotes()
        self.local: dict[tuple, Decimal] = {}
        self.plan = False  # the filing's open-market sales are under a Rule 10b5-1 plan
        self.plan_footnote: str | None = None
        self.no_securities = False  # a Form 3 stating that no securities are owned
        self.remarks = ""

    # -- holdings -------------------------------------------------------------------
    def _key(self, table: str, title: str, di: str, nature: str | None) -> tuple:
        kind = "nd" if table.startswith("nonderiv") else "d"
        return (self.unit.holder, self.unit.issuer.cik, kind, title, di, nature or "")

    def held(self, table: str, title: str, di: str = "D", nature: str | None = None) -> Decimal:
        key = self._key(table, title, di, nature)
        if key not in self.local:
            if key not in self.ledger.amounts:
                self.ledger.amounts[key] = self.ledger.initial(self.unit, key[2], title, di)
            self.local[key] = self.ledger.amounts[key]
        return self.local[key]

    def set_held(self, table: str, title: str, di: str, nature: str | None, amount: Decimal) -> None:
        self.held(table, title, di, nature)
        self.local[self._key(table, title, di, nature)] = amount

    def commit(self) -> None:
        self.ledger.amounts.update(self.local)

    # -- rows -----------------------------------------------------------------------
    def trans(self, table: str, title: str, code: str, shares: Decimal, price: Decimal | None,
              date: dt.date, di: str = "D", nature: str | None = None, ad: str | None = None, **extra) -> Row:
        ad = ad or AD_BY_CODE[(table, code)]
        pre = self.held(table, title, di, nature)
        post = pre + shares if ad == "A" else pre - shares
        if post < 0:
            raise ValueError(f"scenario would leave a negative holding: {title} {code} {shares} from {pre}")
        self.local[self._key(table, title, di, nature)] = post
        form = self.form.split("/")[0]
        # A Form 4 is due within two business days: a later one is marked late (L).
        late = form == "4" and date < business_days_before(self.filed, 2)
        row = Row(table=table, title=title, di=di, nature=nature, code=code, ad=ad, shares=shares, price=price,
                  trans_date=date, pre=pre, post=post, form_type=form, timeliness="L" if late else None, **extra)
        self.rows.append(row)
        return row

    def hold(self, table: str, title: str, di: str = "D", nature: str | None = None, **extra) -> Row:
        row = Row(table=table, title=title, di=di, nature=nature, post=self.held(table, title, di, nature), **extra)
        self.rows.append(row)
        return row

    def note(self, row: Row, field: str, text: str) -> None:
        row.fns.setdefault(field, []).append(self.fn.add(text))

    def chain_keys(self) -> set[tuple]:
        return {r.chain_key for r in self.rows}

    # -- shared pieces ---------------------------------------------------------------
    def trade_date(self) -> dt.date:
        lag = self.rng.choices((0, 1, 2, 3, 5), (10, 45, 35, 6, 4))[0]
        return business_days_before(self.filed, lag)

    def market(self, spread: float = 0.01) -> Decimal:
        price = self.unit.issuer.price * (1 + self.rng.gauss(0, spread))
        return money(price, 4 if self.rng.random() < 0.15 else 2)

    def lot(self, available: Decimal, fraction: float) -> Decimal:
        """A round-ish number of shares, at most ``available``."""
        n = int(available * Decimal(str(fraction)))
        for step in (1000, 100, 10):
            if n >= step * 5:
                n -= n % step
                break
        return Decimal(max(1, min(n, int(available))))

    def mark_plan(self, row: Row, schema: str) -> None:
        """Bind the 10b5-1 footnote to the row's code (always before X0508, sometimes after)."""
        row.is_10b5_1 = True
        if self.plan_footnote is None:
            adopted = business_days_before(self.filed, self.rng.randint(60, 200))
            self.plan_footnote = PLAN.format(what=self.rng.choice(("sales", "transactions")), were="were",
                                             adopted=f"{adopted:%B} {adopted.day}, {adopted.year}")
        if schema < "X0508" or self.rng.random() < 0.5:
            self.note(row, "code", self.plan_footnote)
