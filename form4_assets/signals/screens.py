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
from functools import cache
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from form4_assets.aggregates.sources import FILINGS, Source, first_owner, source_of
from form4_assets.aggregates.sql import ZERO, table
from form4_assets.signals.windows import WindowInputs
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

    @classmethod
    def parse(cls, text: str) -> ClusterDefinition:
        """The definition a row's CLUSTER_DEFINITION describes (`describe`); ValueError when it is not one."""
        fields = dict(part.strip().partition("=")[::2] for part in text.split(";"))
        if set(fields) != {"min_insiders", "window_days", "min_dollars", "exclude_ten_pct_and_funds"} \
                or fields["exclude_ten_pct_and_funds"] not in ("true", "false"):
            raise ValueError(f"not a cluster definition: {text!r}")
        return cls(int(fields["min_insiders"]), int(fields["window_days"]), Decimal(fields["min_dollars"]),
                   fields["exclude_ten_pct_and_funds"] == "true")

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


def own_increase_pct(shares: Decimal | None, following: Decimal | None) -> Decimal | None:
    """ΔOwn in percent: shares / (owned following − shares) × 100; None for a new position or missing data."""
    if shares is None or following is None:
        return None
    before = following - shares
    return shares / before * HUNDRED if before > 0 else None


def _joined(values: list[str]) -> str | None:
    return ",".join(dict.fromkeys(values)) or None


# The day's statements are built once, with the date as a bound parameter: building and
# caching a statement per date costs more than the database spends on it.
_DAY = sa.bindparam("day", type_=sa.Date())


def _rows(conn: sa.Connection, statement: sa.Select, day: dt.date) -> list[dict[str, Any]]:
    result = conn.execute(statement, {"day": day})
    keys = list(result.keys())
    return [dict(zip(keys, row)) for row in result]


def _by_issuer(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[r["ISSUERCIK"]].append(r)
    return out


@cache
def _names_statement() -> sa.Select:
    """The day's filings' issuers with the name and ticker each filing gives (one row per filing), by accession."""
    et = table("effective_transactions")
    return (sa.select(et.c.ACCESSION_NUMBER, et.c.ISSUERCIK, et.c.ISSUERNAME, et.c.ISSUERTRADINGSYMBOL).distinct()
            .where(et.c.FILING_DATE == _DAY, et.c.ISSUERCIK.is_not(None)).order_by(et.c.ACCESSION_NUMBER))


@cache
def _purchases_statement(source: Source = FILINGS) -> sa.Select:
    """The day's purchases with the first reporting owner's title and the shares owned after,
    read from the day's source (our parse, or the SEC's data set: its owners in file order)."""
    et, own, nd = table("effective_transactions"), table(source.owner), table(source.nonderiv)
    return (
        sa.select(et.c.ACCESSION_NUMBER, et.c.ISSUERCIK, et.c.RPTOWNERNAME, et.c.TRANS_SHARES, et.c.TRANS_DOLLARS,
                  own.c.RPTOWNER_TITLE, nd.c.SHRS_OWND_FOLWNG_TRANS)
        .select_from(
            et.join(nd, (nd.c.ACCESSION_NUMBER == et.c.ACCESSION_NUMBER) & (nd.c.NONDERIV_TRANS_SK == et.c.TRANS_SK))
            .outerjoin(own, (own.c.ACCESSION_NUMBER == et.c.ACCESSION_NUMBER)
                       & first_owner(source, own, et.c.ACCESSION_NUMBER))
        )
        .where(et.c.FILING_DATE == _DAY, et.c.TRANS_TABLE == "nonderiv", et.c.TRANS_CODE == "P",
               et.c.ISSUERCIK.is_not(None))
        .order_by(et.c.ACCESSION_NUMBER, et.c.TRANS_SK)
    )


def compute_insider_signals(
    conn: sa.Connection, day: dt.date, windows: WindowInputs, config: ScreenConfig = ScreenConfig()
) -> list[dict[str, Any]]:
    """The insider_signals rows partition `day` writes: one per issuer with effective filings that day.

    The window groups (per issuer and accession, in filing order) come from the block's
    `windows`, as of the day; the day's purchases from one query. Python adds up the
    groups and applies the word rules (officer titles, fund names) to the day's purchases
    and to the cluster window's buyers.
    """
    names = {r["ISSUERCIK"]: r for r in _rows(conn, _names_statement(), day)}  # the day's latest filing
    if not names:
        return []
    groups = windows.groups_as_of(day, set(names), config.cluster.window_days)
    opportunistic, buys, late = groups["opportunistic"], groups["cluster"], groups["late"]
    sales = {issuer: (g[0]["SOLD"], g[0]["PLANNED"]) for issuer, g in groups["sales"].items()}
    purchases = _by_issuer(_rows(conn, _purchases_statement(source_of(conn, day)), day))
    # Most issuers have no opportunistic trade, purchase or late row: their columns are those of
    # empty inputs, computed once.
    empty = {**_opportunistic_columns([]), **_purchase_columns([], config.own_increase_min_pct),
             **cluster([], config.cluster), **_late_columns([])}
    out = []
    for issuer in sorted(names):
        row = {"FILING_DATE": day, "ISSUERCIK": issuer, "ISSUERNAME": names[issuer]["ISSUERNAME"],
               "ISSUERTRADINGSYMBOL": names[issuer]["ISSUERTRADINGSYMBOL"], **empty}
        if issuer in opportunistic:
            row.update(_opportunistic_columns(opportunistic[issuer]))
        if issuer in purchases:
            row.update(_purchase_columns(purchases[issuer], config.own_increase_min_pct))
        if issuer in buys:
            row.update(cluster(buys[issuer], config.cluster))
        if issuer in late:
            row.update(_late_columns(late[issuer]))
        sold, planned = sales.get(issuer, (ZERO, ZERO))
        row.update(SALE_SHARES_90D=sold, PLAN_SALE_SHARES_90D=planned,
                   PLAN_SALE_SHARE_90D=(planned / sold).quantize(RATIO_PLACES) if sold else None)
        out.append(row)
    return out


def _opportunistic_columns(groups: list[dict[str, Any]]) -> dict[str, Any]:
    """The OPP_ columns from an issuer's opportunistic groups (per accession, in filing order)."""
    row: dict[str, Any] = {}
    for days in WINDOWS:
        bought, sold, dollars = (
            sum((g[f"{c}_{days}D"] or ZERO for g in groups), ZERO)
            for c in ("OPP_BUY_SHARES", "OPP_SELL_SHARES", "OPP_NET_BUY_DOLLARS")
        )
        row.update({f"OPP_BUY_SHARES_{days}D": bought, f"OPP_SELL_SHARES_{days}D": sold,
                    f"OPP_NET_BUY_SHARES_{days}D": bought - sold, f"OPP_NET_BUY_DOLLARS_{days}D": dollars})
    row["OPP_ACCESSIONS"] = _joined([g["ACCESSION_NUMBER"] for g in groups])
    return row


def _purchase_columns(purchases: list[dict[str, Any]], min_pct: Decimal) -> dict[str, Any]:
    """The EXEC_ and OWN_INCREASE_ columns from an issuer's purchases filed on the day."""
    execs = [p for p in purchases if exec_role(p["RPTOWNER_TITLE"])]
    increases = []
    for p in purchases:
        pct = own_increase_pct(p["TRANS_SHARES"], p["SHRS_OWND_FOLWNG_TRANS"])
        new_position = pct is None and p["TRANS_SHARES"] and p["SHRS_OWND_FOLWNG_TRANS"] is not None
        if new_position or (pct is not None and pct >= min_pct):
            increases.append((p, pct))
    pcts = [pct for _, pct in increases if pct is not None]
    return {
        "EXEC_BUY_ROWS": len(execs),
        "EXEC_BUY_SHARES": sum((p["TRANS_SHARES"] or ZERO for p in execs), ZERO),
        "EXEC_BUY_DOLLARS": sum((p["TRANS_DOLLARS"] or ZERO for p in execs), ZERO),
        "EXEC_BUYERS": _joined([f"{p['RPTOWNERNAME']} ({p['RPTOWNER_TITLE']})" for p in execs]),
        "EXEC_BUY_ACCESSIONS": _joined([p["ACCESSION_NUMBER"] for p in execs]),
        "OWN_INCREASE_ROWS": len(increases),
        "OWN_INCREASE_MAX_PCT": max(pcts).quantize(RATIO_PLACES) if pcts else None,
        "OWN_INCREASE_MIN_PCT": min_pct,
        "OWN_INCREASE_ACCESSIONS": _joined([p["ACCESSION_NUMBER"] for p, _ in increases]),
    }


def _late_columns(late: list[dict[str, Any]]) -> dict[str, Any]:
    """The LATE_ columns from an issuer's late rows per accession (in filing order)."""
    return {"LATE_ROWS_90D": sum(g["ROWS"] for g in late), "LATE_ACCESSIONS": _joined([g["ACCESSION_NUMBER"] for g in late])}


def cluster(buys: list[dict[str, Any]], definition: ClusterDefinition) -> dict[str, Any]:
    """The cluster columns from an issuer's window purchases, summed per buyer and accession (filing order)."""
    spent: dict[str, Decimal] = defaultdict(Decimal)
    accessions: dict[str, list[str]] = defaultdict(list)
    for g in buys:
        if definition.counts(g):
            spent[g["RPTOWNERCIK"]] += g["DOLLARS"] or ZERO
            accessions[g["RPTOWNERCIK"]].append(g["ACCESSION_NUMBER"])
    qualifying = sorted(o for o in spent if spent[o] >= definition.min_dollars)
    return {
        "CLUSTER_INSIDERS": len(qualifying),
        "CLUSTER_DOLLARS": sum((spent[o] for o in qualifying), ZERO),
        "IS_CLUSTER": len(qualifying) >= definition.min_insiders,
        "CLUSTER_DEFINITION": definition.describe(),
        "CLUSTER_ACCESSIONS": _joined([a for o in qualifying for a in accessions[o]]),
    }
