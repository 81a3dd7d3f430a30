"""insider_signals: the screens users read, per issuer with filings on the partition date.

All as known at the end of the filing date D (effective_transactions as of D):

- opportunistic net buying: open-market purchases minus sales over the transaction
  dates of the 30 and 90 days ending on D, by insiders whose insider_patterns CLASS for
  the trade's year is opportunistic (Cohen, Malloy & Pomorski 2012);
- CEO/CFO purchases: D's open-market purchases by insiders whose officerTitle names
  CEO, CFO, president or chair as words (`exec_role`);
- ownership increases: D's purchases with ΔOwn = shares / shares owned before ≥ X%;
- cluster buys by a configurable definition (`ClusterDefinition`): peers disagree, so
  the minimum of distinct insiders, the window, a minimum dollar value per insider and
  whether 10% owners and funds count are parameters; the defaults (3 insiders, 10
  days, any amount, 10% owners and funds excluded) keep cluster_buys' size and window
  and drop the holders whose buying is least informative;
- late filings: rows filed in the 90 days ending on D that were late (filing_timeliness);
- plan share: the share of the 90 days' open-market sales made under a Rule 10b5-1 plan.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from form4_assets.aggregates.sql import ZERO, chunks, effective_as_of, fetch, superseded_as_of, table
from form4_assets.signals.patterns import OPPORTUNISTIC
from form4_assets.tables import DECIMAL_PLACES, WINDOWS

#: Ratios and percentages are rounded once, half-even, to the warehouse's four decimal places
#: (tables.DECIMAL_PLACES): they are quotients, not filed values.
RATIO_PLACES = Decimal(1).scaleb(-DECIMAL_PLACES)

HUNDRED = Decimal(100)

_EXEC_WORDS = (
    ("CEO", r"\bco-?\s*ceo\b|\bceo\b|\bchief\s+executive(?:\s+officer)?\b"),
    ("CFO", r"\bcfo\b|\bchief\s+financial(?:\s+officer)?\b"),
    ("President", r"(?<!vice\s)(?<!vice-)\bpresident\b"),
    ("Chair", r"(?<!vice\s)(?<!vice-)\bchair(?:man|woman|person)?\b"),
)
_EXEC = [(label, re.compile(pattern, re.IGNORECASE)) for label, pattern in _EXEC_WORDS]
_ENTITY = re.compile(
    r"\b(?:l\.?p\.?|llc|l\.l\.c\.|fund|funds|partners|capital|management|holdings|trust|ltd|limited|inc|corp|"
    r"corporation|group|advisors|advisers|ventures|associates|investments)\b",
    re.IGNORECASE,
)


def exec_role(title: str | None) -> list[str]:
    """The roles an officerTitle names among CEO, CFO, President, Chair (words, not substrings)."""
    return [label for label, pattern in _EXEC if title and pattern.search(title)]


def is_fund(name: str | None, is_officer: bool, is_director: bool) -> bool:
    """An entity holder (fund, partnership, company) that is neither an officer nor a director."""
    return not (is_officer or is_director) and bool(name and _ENTITY.search(name))


@dataclass(frozen=True)
class ClusterDefinition:
    min_insiders: int = 3
    window_days: int = 10
    min_dollars: Decimal = ZERO  # per insider, over the window
    exclude_ten_pct_and_funds: bool = True

    def describe(self) -> str:
        return (f"min_insiders={self.min_insiders}; window_days={self.window_days}; min_dollars={self.min_dollars}; "
                f"exclude_ten_pct_and_funds={str(self.exclude_ten_pct_and_funds).lower()}")

    def counts(self, r: dict[str, Any]) -> bool:
        """Whether a buyer (an effective row's owner) may count toward a cluster."""
        if not self.exclude_ten_pct_and_funds:
            return True
        officer, director = bool(r["IS_OFFICER"]), bool(r["IS_DIRECTOR"])
        ten_pct_only = bool(r["IS_TEN_PCT_OWNER"]) and not (officer or director)
        return not ten_pct_only and not is_fund(r["RPTOWNERNAME"], officer, director)


@dataclass(frozen=True)
class ScreenConfig:
    own_increase_min_pct: Decimal = Decimal(10)
    cluster: ClusterDefinition = field(default_factory=ClusterDefinition)


_WINDOW_COLUMNS = (
    "ACCESSION_NUMBER", "FILING_DATE", "TRANS_SK", "ISSUERCIK", "RPTOWNERCIK", "RPTOWNERNAME", "TRANS_DATE",
    "TRANS_CODE", "TRANS_SHARES", "TRANS_DOLLARS", "PLAN_10B5_1", "IS_OFFICER", "IS_DIRECTOR", "IS_TEN_PCT_OWNER",
)


def own_increase_pct(shares: Decimal | None, following: Decimal | None) -> Decimal | None:
    """ΔOwn in percent: shares / (owned following − shares) × 100; None for a new position or missing data."""
    if shares is None or following is None:
        return None
    before = following - shares
    return shares / before * HUNDRED if before > 0 else None


def _joined(values: list[str]) -> str | None:
    return ",".join(dict.fromkeys(values)) or None


def day_purchases(conn: sa.Connection, day: dt.date, issuers: list[str]) -> list[dict[str, Any]]:
    """The open-market purchases filed on `day` (effective), with the buyer's title and holding after."""
    et, own, nd = table("effective_transactions"), table("reporting_owner"), table("nonderiv_trans")
    out: list[dict[str, Any]] = []
    for batch in chunks(issuers):
        q = (
            sa.select(et.c.ACCESSION_NUMBER, et.c.ISSUERCIK, et.c.RPTOWNERNAME, et.c.TRANS_SHARES, et.c.TRANS_DOLLARS,
                      own.c.RPTOWNER_TITLE, nd.c.SHRS_OWND_FOLWNG_TRANS)
            .select_from(
                et.join(nd, (nd.c.ACCESSION_NUMBER == et.c.ACCESSION_NUMBER) & (nd.c.NONDERIV_TRANS_SK == et.c.TRANS_SK))
                .outerjoin(own, (own.c.ACCESSION_NUMBER == et.c.ACCESSION_NUMBER) & (own.c.RPTOWNER_SK == 1))
            )
            .where(et.c.FILING_DATE == day, et.c.TRANS_TABLE == "nonderiv", et.c.TRANS_CODE == "P",
                   et.c.ISSUERCIK.in_(batch))
            .order_by(et.c.ACCESSION_NUMBER, et.c.TRANS_SK)
        )
        out += fetch(conn, q)
    return out


def _opportunistic_years(conn: sa.Connection, day: dt.date, issuers: list[str]) -> set[tuple[str, str, int]]:
    """(owner, issuer, year) classed opportunistic in insider_patterns, as known on `day` (the class of a year never changes)."""
    ip = table("insider_patterns")
    found: set[tuple[str, str, int]] = set()
    for batch in chunks(issuers):
        q = sa.select(ip.c.RPTOWNERCIK, ip.c.ISSUERCIK, ip.c.YEAR).where(
            ip.c.ISSUERCIK.in_(batch), ip.c.FILING_DATE <= day, ip.c.YEAR >= day.year - 1, ip.c.CLASS == OPPORTUNISTIC,
        ).distinct()
        found.update((r["RPTOWNERCIK"], r["ISSUERCIK"], r["YEAR"]) for r in fetch(conn, q))
    return found


def _sales(conn: sa.Connection, day: dt.date, issuers: list[str]) -> dict[str, tuple[Decimal, Decimal]]:
    """Per issuer: open-market shares sold and sold under a plan, transaction dates in the 90 days to `day`.

    Summed in SQL: the warehouse stores decimals exactly on both databases
    (warehouse.schema.ExactDecimal), so the sums are exact.
    """
    et = table("effective_transactions")
    sale = et.c.TRANS_CODE == "S"
    out: dict[str, tuple[Decimal, Decimal]] = {}
    for batch in chunks(issuers):
        q = effective_as_of(day, "ISSUERCIK").add_columns(
            sa.func.sum(et.c.TRANS_SHARES).label("SOLD"),
            sa.func.sum(sa.case((et.c.PLAN_10B5_1.is_(True), et.c.TRANS_SHARES), else_=0)).label("PLANNED"),
        ).where(
            et.c.ISSUERCIK.in_(batch), et.c.TRANS_TABLE == "nonderiv", sale, et.c.RPTOWNERCIK.is_not(None),
            et.c.TRANS_DATE.between(day - dt.timedelta(days=max(WINDOWS) - 1), day),
        ).group_by(et.c.ISSUERCIK)
        out.update({r["ISSUERCIK"]: (r["SOLD"] or Decimal(0), r["PLANNED"] or Decimal(0)) for r in fetch(conn, q)})
    return out


def _late_rows(conn: sa.Connection, day: dt.date, issuers: list[str]) -> dict[str, list[str]]:
    ft = table("filing_timeliness")
    late: dict[str, list[str]] = defaultdict(list)
    for batch in chunks(issuers):
        q = (
            sa.select(ft.c.ISSUERCIK, ft.c.ACCESSION_NUMBER)
            .where(ft.c.ISSUERCIK.in_(batch), ft.c.FILING_DATE.between(day - dt.timedelta(days=89), day),
                   ft.c.IS_LATE.is_(True), ~superseded_as_of(ft.c.ACCESSION_NUMBER, day))
            .order_by(ft.c.FILING_DATE, ft.c.ACCESSION_NUMBER, ft.c.TRANS_TABLE, ft.c.TRANS_SK)
        )
        for r in fetch(conn, q):
            late[r["ISSUERCIK"]].append(r["ACCESSION_NUMBER"])
    return late


def compute_insider_signals(conn: sa.Connection, day: dt.date, config: ScreenConfig = ScreenConfig()) -> list[dict[str, Any]]:
    """The insider_signals rows partition `day` writes: one per issuer with effective filings that day."""
    et = table("effective_transactions")
    names: dict[str, dict[str, Any]] = {}
    q = (sa.select(et.c.ISSUERCIK, et.c.ISSUERNAME, et.c.ISSUERTRADINGSYMBOL)
         .where(et.c.FILING_DATE == day, et.c.ISSUERCIK.is_not(None)).order_by(et.c.ACCESSION_NUMBER))
    for r in fetch(conn, q):
        names[r["ISSUERCIK"]] = r
    issuers = sorted(names)
    if not issuers:
        return []
    opportunistic = _opportunistic_years(conn, day, issuers)
    span = max(max(WINDOWS), config.cluster.window_days)
    cluster_start = day - dt.timedelta(days=config.cluster.window_days - 1)
    window: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for batch in chunks(issuers):
        # Row by row only what needs the row: the opportunistic insiders' trades and the cluster window's purchases.
        owners = sorted({o for o, i, _ in opportunistic if i in batch}) or [""]
        q = effective_as_of(day, *_WINDOW_COLUMNS).where(
            et.c.ISSUERCIK.in_(batch), et.c.TRANS_TABLE == "nonderiv", et.c.TRANS_CODE.in_(("P", "S")),
            et.c.TRANS_DATE.between(day - dt.timedelta(days=span - 1), day), et.c.RPTOWNERCIK.is_not(None),
            et.c.RPTOWNERCIK.in_(owners) | ((et.c.TRANS_CODE == "P") & (et.c.TRANS_DATE >= cluster_start)),
        ).order_by(et.c.FILING_DATE, et.c.ACCESSION_NUMBER, et.c.TRANS_SK)
        for r in fetch(conn, q):
            window[r["ISSUERCIK"]].append(r)
    sales = _sales(conn, day, issuers)
    purchases: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in day_purchases(conn, day, issuers):
        purchases[r["ISSUERCIK"]].append(r)
    late = _late_rows(conn, day, issuers)
    return [
        _issuer_row(day, issuer, names[issuer], window[issuer], opportunistic, purchases[issuer], late[issuer],
                    sales.get(issuer, (ZERO, ZERO)), config)
        for issuer in issuers
    ]


def _issuer_row(
    day: dt.date, issuer: str, name: dict[str, Any], trades: list[dict[str, Any]], opportunistic_years: set[tuple[str, str, int]],
    purchases: list[dict[str, Any]], late: list[str], sales: tuple[Decimal, Decimal], config: ScreenConfig,
) -> dict[str, Any]:
    row: dict[str, Any] = {"FILING_DATE": day, "ISSUERCIK": issuer, "ISSUERNAME": name["ISSUERNAME"],
                           "ISSUERTRADINGSYMBOL": name["ISSUERTRADINGSYMBOL"]}
    opportunistic = [r for r in trades if (r["RPTOWNERCIK"], issuer, r["TRANS_DATE"].year) in opportunistic_years]
    for days in WINDOWS:
        start = day - dt.timedelta(days=days - 1)
        rows = [r for r in opportunistic if r["TRANS_DATE"] >= start]
        bought = sum((r["TRANS_SHARES"] or ZERO for r in rows if r["TRANS_CODE"] == "P"), ZERO)
        sold = sum((r["TRANS_SHARES"] or ZERO for r in rows if r["TRANS_CODE"] == "S"), ZERO)
        dollars = sum(((r["TRANS_DOLLARS"] or ZERO) * (1 if r["TRANS_CODE"] == "P" else -1) for r in rows), ZERO)
        row.update({f"OPP_BUY_SHARES_{days}D": bought, f"OPP_SELL_SHARES_{days}D": sold,
                    f"OPP_NET_BUY_SHARES_{days}D": bought - sold, f"OPP_NET_BUY_DOLLARS_{days}D": dollars})
    start90 = day - dt.timedelta(days=max(WINDOWS) - 1)
    row["OPP_ACCESSIONS"] = _joined([r["ACCESSION_NUMBER"] for r in opportunistic if r["TRANS_DATE"] >= start90])

    execs = [(p, exec_role(p["RPTOWNER_TITLE"])) for p in purchases]
    execs = [p for p, roles in execs if roles]
    row.update(
        EXEC_BUY_ROWS=len(execs),
        EXEC_BUY_SHARES=sum((p["TRANS_SHARES"] or ZERO for p in execs), ZERO),
        EXEC_BUY_DOLLARS=sum((p["TRANS_DOLLARS"] or ZERO for p in execs), ZERO),
        EXEC_BUYERS=_joined([f"{p['RPTOWNERNAME']} ({p['RPTOWNER_TITLE']})" for p in execs]),
        EXEC_BUY_ACCESSIONS=_joined([p["ACCESSION_NUMBER"] for p in execs]),
    )
    increases = []
    for p in purchases:
        pct = own_increase_pct(p["TRANS_SHARES"], p["SHRS_OWND_FOLWNG_TRANS"])
        new_position = pct is None and p["TRANS_SHARES"] and p["SHRS_OWND_FOLWNG_TRANS"] is not None
        if new_position or (pct is not None and pct >= config.own_increase_min_pct):
            increases.append((p, pct))
    pcts = [pct for _, pct in increases if pct is not None]
    row.update(
        OWN_INCREASE_ROWS=len(increases),
        OWN_INCREASE_MAX_PCT=max(pcts).quantize(RATIO_PLACES) if pcts else None,
        OWN_INCREASE_MIN_PCT=config.own_increase_min_pct,
        OWN_INCREASE_ACCESSIONS=_joined([p["ACCESSION_NUMBER"] for p, _ in increases]),
    )
    row.update(_cluster(day, trades, config.cluster))
    row.update(LATE_ROWS_90D=len(late), LATE_ACCESSIONS=_joined(late))
    sold, planned = sales
    row.update(SALE_SHARES_90D=sold, PLAN_SALE_SHARES_90D=planned,
               PLAN_SALE_SHARE_90D=(planned / sold).quantize(RATIO_PLACES) if sold else None)
    return row


def _cluster(day: dt.date, trades: list[dict[str, Any]], definition: ClusterDefinition) -> dict[str, Any]:
    start = day - dt.timedelta(days=definition.window_days - 1)
    buys: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in trades:
        if r["TRANS_CODE"] == "P" and r["TRANS_DATE"] >= start and definition.counts(r):
            buys[r["RPTOWNERCIK"]].append(r)
    spent = {owner: sum((r["TRANS_DOLLARS"] or ZERO for r in rows), ZERO) for owner, rows in buys.items()}
    qualifying = sorted(o for o in buys if spent[o] >= definition.min_dollars)
    return {
        "CLUSTER_INSIDERS": len(qualifying),
        "CLUSTER_DOLLARS": sum((spent[o] for o in qualifying), ZERO),
        "IS_CLUSTER": len(qualifying) >= definition.min_insiders,
        "CLUSTER_DEFINITION": definition.describe(),
        "CLUSTER_ACCESSIONS": _joined([r["ACCESSION_NUMBER"] for o in qualifying for r in buys[o]]),
    }
