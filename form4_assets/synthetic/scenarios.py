"""What insiders do in a synthetic filing: the transaction scenarios.

Each scenario appends rows to a :class:`~form4_assets.synthetic.draft.Draft` (which keeps
the holdings ledger consistent) and says whether the insider could do it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from form4_assets.synthetic.draft import (
    COMMON,
    OPTION,
    PREFERRED,
    PSU,
    RSU,
    WARRANT,
    Draft,
    business_days_before,
    money,
    next_business_day,
    shift_years,
)
from form4_assets.synthetic.ownership_xml import Row

_NATURES = (("By Trust", "The shares are held by a revocable trust of which the reporting person is trustee."),
            ("By Spouse", "The shares are held by the reporting person's spouse. The reporting person disclaims "
                          "beneficial ownership except to the extent of his or her pecuniary interest therein."),
            ("By LLC", 'The shares are held by a limited liability company (the "LLC") controlled by the '
                       "reporting person."),
            ("By 401(k) Plan", "Shares held in the Issuer's 401(k) plan as of the most recent plan statement."),
            ("By IRA", None))

WAVG = ("The price reported in Column 4 is a weighted average price. These shares were {verb} in multiple "
        "transactions at prices ranging from ${lo} to ${hi}, inclusive. The reporting person undertakes to "
        "provide to the Issuer, any security holder of the Issuer, or the staff of the Securities and Exchange "
        "Commission, upon request, full information regarding the number of shares {verb} at each separate "
        "price within the range set forth in this footnote.")
def _sell_rows(d: Draft, schema: str, available: Decimal, di: str = "D", nature: str | None = None,
               plan: bool = False, fraction: float | None = None, verb: str = "sold") -> list[Row]:
    """1–4 open-market sales (S) of Common Stock from one holding, with weighted-average footnotes."""
    r = d.rng
    total = d.lot(available, fraction or r.uniform(0.02, 0.3))
    n = min(r.choices((1, 2, 3, 4), (55, 25, 12, 8))[0], int(total))
    parts = [total // n] * n
    parts[-1] += total - sum(parts)
    date = d.trade_date()
    rows = []
    for part in parts:
        wavg = r.random() < 0.6
        price = d.market()
        footnote_only = r.random() < 0.02
        row = d.trans("nonderiv_trans", COMMON, "S", part, None if footnote_only else price, date, di, nature)
        if footnote_only:
            d.note(row, "price", "The shares were sold at various prices; the price of each lot is set forth "
                                 "in the exhibit filed with this report.")
        elif wavg:
            lo, hi = price * Decimal("0.99"), price * Decimal("1.01")
            d.note(row, "price", WAVG.format(verb=verb, lo=f"{lo:.2f}", hi=f"{hi:.2f}"))
        if plan:
            d.mark_plan(row, schema)
        if r.random() < 0.03:
            row.deemed_date = date
        rows.append(row)
        if r.random() < 0.5:
            date = min(d.filed, next_business_day(date))
    return rows


def _nature(d: Draft) -> tuple[str, str | None]:
    return d.rng.choice(_NATURES)


def sale(d: Draft, schema: str) -> bool:
    avail = d.held("nonderiv_trans", COMMON)
    if avail < 200:
        return False
    d.plan = d.rng.random() < 0.45
    _sell_rows(d, schema, avail, plan=d.plan)
    if d.rng.random() < 0.15:  # a sale from a trust account too
        nature, text = _nature(d)
        held = d.held("nonderiv_trans", COMMON, "I", nature)
        if held >= 200:
            for row in _sell_rows(d, schema, held, "I", nature, plan=d.plan):
                if text:
                    d.note(row, "nature", text)
    return True


def option_exercise_and_sale(d: Draft, schema: str) -> bool:
    """M in the derivative table, M acquisition and same-day S in Table I (a cashless exercise)."""
    r = d.rng
    options = d.held("deriv_trans", OPTION)
    if options < 100:
        return False
    n = d.lot(options, r.uniform(0.05, 0.5))
    strike = money(d.unit.issuer.price * r.uniform(0.2, 0.8))
    date = d.trade_date()
    d.plan = r.random() < 0.4
    grant = business_days_before(date, r.randint(300, 2000))
    m = d.trans("deriv_trans", OPTION, "M", n, Decimal("0"), date, conv_price=strike,
                exercise_date=grant, expiration_date=shift_years(grant, 10),
                underlying_title=COMMON, underlying_shares=n)
    if r.random() < 0.3:
        m.exercise_date = None
        d.note(m, "exercise", "The option is fully vested and exercisable.")
    d.trans("nonderiv_trans", COMMON, "M", n, strike, date)
    sold = n if r.random() < 0.6 else d.lot(n, r.uniform(0.3, 0.9))
    price = d.market()
    s = d.trans("nonderiv_trans", COMMON, "S", sold, price, date)
    lo, hi = price * Decimal("0.995"), price * Decimal("1.008")
    d.note(s, "price", WAVG.format(verb="sold", lo=f"{lo:.2f}", hi=f"{hi:.2f}"))
    if d.plan:
        d.mark_plan(s, schema)
    return True


def rsu_vest(d: Draft, schema: str) -> bool:
    """RSUs settle (M, derivative, footnote-only price and dates) and shares are withheld for tax (F)."""
    r = d.rng
    units = d.held("deriv_trans", RSU)
    if units < 40:
        return False
    n = d.lot(units, r.uniform(0.1, 0.34))
    date = d.trade_date()
    m = d.trans("deriv_trans", RSU, "M", n, Decimal("0"), date, underlying_title=COMMON, underlying_shares=n)
    d.note(m, "conv", "Each restricted stock unit represents a contingent right to receive one share of the "
                      "Issuer's common stock.")
    d.note(m, "exercise", "The restricted stock units vest in four equal annual installments beginning on the "
                          "first anniversary of the grant date.")
    d.note(m, "expiration", "Restricted stock units do not expire.")
    d.trans("nonderiv_trans", COMMON, "M", n, Decimal("0"), date)
    withheld = d.lot(n, r.uniform(0.3, 0.45))
    f = d.trans("nonderiv_trans", COMMON, "F", withheld, d.market(0.002), date)
    d.note(f, "code", "Represents shares withheld by the Issuer to satisfy tax withholding obligations in "
                      "connection with the vesting of restricted stock units.")
    return True


def award(d: Draft, schema: str) -> bool:
    """Stock awards (A) and option or RSU grants in the derivative table."""
    r = d.rng
    date = d.trade_date()
    price = d.market()
    if r.random() < 0.5:
        n = Decimal(r.randint(5, 400) * 50)
        row = d.trans("nonderiv_trans", COMMON, "A", n, Decimal("0"), date)
        d.note(row, "shares", "Represents restricted shares granted under the Issuer's equity incentive plan, "
                              "vesting in equal annual installments over three years.")
    if r.random() < 0.7 or not d.rows:
        title = r.choice((OPTION, OPTION, RSU))
        n = Decimal(r.randint(10, 600) * 100)
        if title == OPTION:
            g = d.trans("deriv_trans", OPTION, "A", n, Decimal("0"), date, conv_price=price,
                        expiration_date=shift_years(date, 10), underlying_title=COMMON,
                        underlying_shares=n)
            if r.random() < 0.5:
                d.note(g, "exercise", "The option vests as to 25% of the shares on the first anniversary of the "
                                      "grant date and in 36 equal monthly installments thereafter.")
            else:
                g.exercise_date = shift_years(date, 1)
        else:
            g = d.trans("deriv_trans", RSU, "A", n, Decimal("0"), date, underlying_title=COMMON, underlying_shares=n)
            d.note(g, "conv", "Each restricted stock unit represents a contingent right to receive one share of the "
                              "Issuer's common stock.")
            d.note(g, "exercise", "The restricted stock units vest in three equal annual installments.")
            d.note(g, "expiration", "Restricted stock units do not expire.")
    return True


def tax_withholding(d: Draft, schema: str) -> bool:
    avail = d.held("nonderiv_trans", COMMON)
    if avail < 100:
        return False
    row = d.trans("nonderiv_trans", COMMON, "F", d.lot(avail, d.rng.uniform(0.005, 0.05)), d.market(0.002),
                  d.trade_date())
    d.note(row, "code", "Shares withheld by the Issuer to satisfy tax withholding obligations upon the vesting "
                        "of restricted stock.")
    return True


def purchase(d: Draft, schema: str) -> bool:
    r = d.rng
    date = d.trade_date()
    di, nature, text = "D", None, None
    if r.random() < 0.15:
        di = "I"
        nature, text = _nature(d)
    for _ in range(r.choices((1, 2), (80, 20))[0]):
        price = d.market()
        row = d.trans("nonderiv_trans", COMMON, "P", Decimal(r.randint(2, 400) * 25), price, date, di, nature)
        if r.random() < 0.3:
            lo, hi = price * Decimal("0.99"), price * Decimal("1.01")
            d.note(row, "price", WAVG.format(verb="purchased", lo=f"{lo:.2f}", hi=f"{hi:.2f}"))
        if text:
            d.note(row, "nature", text)
    return True


def gift(d: Draft, schema: str) -> bool:
    r = d.rng
    avail = d.held("nonderiv_trans", COMMON)
    if avail < 100:
        return False
    n = d.lot(avail, r.uniform(0.01, 0.1))
    date = d.trade_date()
    row = d.trans("nonderiv_trans", COMMON, "G", n, Decimal("0"), date, ad="D")
    if r.random() < 0.35:  # a gift into the family trust: the trust's line acquires
        d.note(row, "code", "Gift to a trust for the benefit of the reporting person's children.")
        t = d.trans("nonderiv_trans", COMMON, "G", n, Decimal("0"), date, "I", "By Trust", ad="A")
        d.note(t, "nature", "Held by a trust for the benefit of the reporting person's children.")
    else:
        d.note(row, "code", "Bona fide gift to a charitable organization.")
    return True


def conversion(d: Draft, schema: str) -> bool:
    r = d.rng
    pref = d.held("deriv_trans", PREFERRED)
    if pref < 10:
        return False
    n = d.lot(pref, r.uniform(0.2, 1.0))
    ratio = r.choice((1, 2, 4))
    date = d.trade_date()
    c = d.trans("deriv_trans", PREFERRED, "C", n, Decimal("0"), date, underlying_title=COMMON,
                underlying_shares=n * ratio)
    text = (f"Each share of Series A Convertible Preferred Stock is convertible into {ratio} share(s) of Common "
            f"Stock at any time at the holder's election and has no expiration date.")
    for f in ("conv", "exercise", "expiration"):
        d.note(c, f, text)
    d.trans("nonderiv_trans", COMMON, "C", n * ratio, Decimal("0"), date)
    return True


def warrant_exercise(d: Draft, schema: str) -> bool:
    r = d.rng
    held = d.held("deriv_trans", WARRANT)
    if held < 10:
        return False
    n = d.lot(held, r.uniform(0.2, 1.0))
    strike = money(d.unit.issuer.price * r.uniform(0.3, 0.9))
    date = d.trade_date()
    issued = business_days_before(date, r.randint(200, 900))
    d.trans("deriv_trans", WARRANT, "X", n, Decimal("0"), date, conv_price=strike, exercise_date=issued,
            expiration_date=shift_years(issued, 5), underlying_title=COMMON, underlying_shares=n)
    d.trans("nonderiv_trans", COMMON, "X", n, strike, date)
    return True


def forfeiture(d: Draft, schema: str) -> bool:
    r = d.rng
    options = d.held("deriv_trans", OPTION)
    if options < 10:
        return False
    n = d.lot(options, r.uniform(0.05, 0.3))
    date = d.trade_date()
    strike = money(d.unit.issuer.price * r.uniform(0.9, 2.0))
    row = d.trans("deriv_trans", OPTION, "D", n, Decimal("0"), date, conv_price=strike,
                  expiration_date=shift_years(date, r.randint(1, 8)), underlying_title=COMMON,
                  underlying_shares=n)
    d.note(row, "code", "Represents unvested options forfeited upon the reporting person's departure.")
    d.note(row, "exercise", "The option was scheduled to vest in annual installments.")
    return True


def other_j(d: Draft, schema: str) -> bool:
    r = d.rng
    date = d.trade_date()
    n = Decimal(r.randint(10, 300) * 100)
    row = d.trans("deriv_trans", PSU, "J", n, Decimal("0"), date, ad="A", underlying_title=COMMON,
                  underlying_shares=n)
    d.note(row, "code", "Represents additional performance stock units earned upon certification of the "
                        "performance goals for the completed performance period.")
    for f in ("conv", "exercise", "expiration"):
        d.note(row, f, "Each performance stock unit represents a contingent right to receive one share of "
                       "Common Stock upon vesting.")
    return True


def fund_trade(d: Draft, schema: str) -> bool:
    """A fund and its general partner report one open-market trade jointly (held via the fund)."""
    r = d.rng
    fund, gp = d.unit.members[0][0], d.unit.members[1][0]
    nature = "See Footnote"
    held_by = fund.name.rstrip(".")
    text = (f"The securities are held directly by {held_by}. {gp.name} is the general partner of {fund.name} "
            f"and may be deemed to beneficially own the securities held by it. Each reporting person disclaims "
            f"beneficial ownership of these securities except to the extent of its pecuniary interest therein.")
    held = d.held("nonderiv_trans", COMMON, "I", nature)
    if r.random() < 0.45 or held < 10_000:
        date = d.trade_date()
        for _ in range(r.choices((1, 2, 3), (50, 30, 20))[0]):
            price = d.market()
            row = d.trans("nonderiv_trans", COMMON, "P", Decimal(r.randint(10, 2000) * 100), price, date, "I", nature)
            lo, hi = price * Decimal("0.99"), price * Decimal("1.01")
            d.note(row, "price", WAVG.format(verb="purchased", lo=f"{lo:.2f}", hi=f"{hi:.2f}"))
            d.note(row, "nature", text)
            date = min(d.filed, next_business_day(date))
    elif r.random() < 0.8:
        d.plan = r.random() < 0.25
        for row in _sell_rows(d, schema, held, "I", nature, plan=d.plan, fraction=r.uniform(0.01, 0.08)):
            d.note(row, "nature", text)
    else:
        n = d.lot(held, r.uniform(0.05, 0.2))
        row = d.trans("nonderiv_trans", COMMON, "J", n, None, d.trade_date(), "I", nature, ad="D")
        d.note(row, "code", f"Represents a pro rata in-kind distribution by {fund.name} to its partners for no "
                            f"consideration.")
        d.note(row, "price", "Not applicable: distribution for no consideration.")
        d.note(row, "nature", text)
    return True


def extra_holdings(d: Draft) -> None:
    """Holdings rows beside the transactions (another ownership nature, option series)."""
    r = d.rng
    used = d.chain_keys()
    if r.random() < 0.25:
        nature, text = _nature(d)
        if ("nonderiv_trans", COMMON, "I", nature) not in used:
            row = d.hold("nonderiv_holding", COMMON, "I", nature)
            if text:
                d.note(row, "nature", text)
    if r.random() < 0.08 and ("deriv_trans", OPTION, "D", "") not in used:
        strike = money(d.unit.issuer.price * r.uniform(0.5, 1.5))
        expiry = shift_years(d.filed, r.randint(2, 9))
        d.hold("deriv_holding", OPTION, conv_price=strike, exercise_date=shift_years(d.filed, -1),
               expiration_date=expiry, underlying_title=COMMON, underlying_shares=d.held("deriv_trans", OPTION))


def form3_holdings(d: Draft) -> None:
    """A Form 3's initial statement: Table I and Table II holdings."""
    r = d.rng
    row = d.hold("nonderiv_holding", COMMON)
    if r.random() < 0.3:
        nature, text = _nature(d)
        h = d.hold("nonderiv_holding", COMMON, "I", nature)
        if text:
            d.note(h, "nature", text)
    if d.unit.kind == "person" and r.random() < 0.6:
        strike = money(d.unit.issuer.price * r.uniform(0.4, 1.2))
        g = d.hold("deriv_holding", OPTION, conv_price=strike, expiration_date=shift_years(d.filed, 8),
                   underlying_title=COMMON, underlying_shares=d.held("deriv_trans", OPTION))
        d.note(g, "exercise", "The option vests in four equal annual installments.")
    if d.unit.kind == "person" and r.random() < 0.4:
        g = d.hold("deriv_holding", RSU, underlying_title=COMMON, underlying_shares=d.held("deriv_trans", RSU))
        d.note(g, "conv", "Each restricted stock unit represents a contingent right to receive one share of the "
                          "Issuer's common stock.")
        d.note(g, "exercise", "The restricted stock units vest in three equal annual installments.")
        d.note(g, "expiration", "Restricted stock units do not expire.")
    if d.unit.kind == "fund":
        fund = d.unit.members[0][0].name.rstrip(".")
        d.note(row, "nature", f"The securities are held directly by {fund}. The other reporting persons may be "
                              f"deemed to share beneficial ownership of them and disclaim it except to the "
                              f"extent of their pecuniary interest.")


def form5_gifts(d: Draft) -> None:
    """A Form 5's annual report of gifts not reported on Form 4 during the fiscal year."""
    r = d.rng
    year = d.filed.year - 1
    avail = d.held("nonderiv_trans", COMMON)
    dates = sorted(dt.date(year, r.randint(1, 12), r.randint(1, 28)) for _ in range(r.randint(1, 3)))
    for date in dates:
        if avail < 50:
            break
        n = d.lot(avail, r.uniform(0.005, 0.05))
        row = d.trans("nonderiv_trans", COMMON, "G", n, Decimal("0"), date, ad="D")
        d.note(row, "code", "Bona fide gift.")
        avail -= n


#: Weights of what an insider's Form 4 does. About 32% of real filings carry a derivative
#: transaction (2024 Q3: 11,525 of 36,075), mostly M (exercises, RSU settlements) and A (grants).
PERSON_SCENARIOS = (
    (sale, 28), (option_exercise_and_sale, 8), (rsu_vest, 8), (award, 15), (tax_withholding, 12),
    (purchase, 8), (gift, 7), (conversion, 1.5), (warrant_exercise, 0.7), (forfeiture, 2.5), (other_j, 1.5),
)
