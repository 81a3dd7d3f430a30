"""insider_signals' day screens recomputed another way, for its reconciliation check.

The build (screens.py) takes the day's purchases row by row and the cluster window per
buyer and accession. The check recomputes the same columns by other routes, so a slip
in either one shows as a difference:

- CEO/CFO purchases: a GROUP BY per issuer and officer title over the day's purchases,
  each distinct title classed once by the rule itself (`screens.exec_role`);
- ownership increases: shares and holding after the trade read from the transaction
  table itself, ΔOwn ≥ X% tested cross-multiplied (shares × 100 ≥ X × (after − shares)),
  X read back from the row's OWN_INCREASE_MIN_PCT;
- cluster buys: a GROUP BY per date, issuer and buyer over the windows of all the dates, the
  definition read back from the row's CLUSTER_DEFINITION (`ClusterDefinition.parse`), not the run's config.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from form4_assets.aggregates.sources import Source, first_owner, sources_of
from form4_assets.aggregates.sql import ZERO, fetch, superseded_as_of, table
from form4_assets.signals.screens import (
    HUNDRED,
    RATIO_PLACES,
    ClusterDefinition,
    exec_role,
)

#: The columns recomputed here, in the order a finding names them.
SCREEN_COLUMNS = (
    "EXEC_BUY_ROWS", "EXEC_BUY_SHARES", "EXEC_BUY_DOLLARS", "EXEC_BUY_ACCESSIONS",
    "OWN_INCREASE_ROWS", "OWN_INCREASE_MAX_PCT", "OWN_INCREASE_ACCESSIONS",
    "CLUSTER_INSIDERS", "CLUSTER_DOLLARS", "IS_CLUSTER", "CLUSTER_ACCESSIONS",
)


def _accessions(value: str | None) -> set[str]:
    return {a for a in value.split(",") if a} if value else set()


def _day_purchases(days: list[dt.date]) -> sa.Select:
    et = table("effective_transactions")
    return sa.select().select_from(et).where(
        et.c.FILING_DATE.in_(days), et.c.TRANS_TABLE == "nonderiv", et.c.TRANS_CODE == "P", et.c.ISSUERCIK.is_not(None)
    )


Day = tuple[dt.date, str]  # (filing date, issuer)


def _no_exec_buys() -> dict[str, Any]:
    return {"EXEC_BUY_ROWS": 0, "EXEC_BUY_SHARES": ZERO, "EXEC_BUY_DOLLARS": ZERO, "EXEC_BUY_ACCESSIONS": set()}


def _no_increases() -> dict[str, Any]:
    return {"OWN_INCREASE_ROWS": 0, "OWN_INCREASE_MAX_PCT": None, "OWN_INCREASE_ACCESSIONS": set()}


def exec_buys(conn: sa.Connection, by_source: Mapping[Source, list[dt.date]]) -> dict[Day, dict[str, Any]]:
    """Per date and issuer: the rows, shares, dollars and accessions of the day's purchases by a CEO, CFO,
    president or chair; the dates grouped by where their effective transactions came from (`sources_of`)."""
    et = table("effective_transactions")
    out: dict[Day, dict[str, Any]] = defaultdict(_no_exec_buys)
    for source, filed in by_source.items():
        own = table(source.owner)
        titled = _day_purchases(filed).join(own, (own.c.ACCESSION_NUMBER == et.c.ACCESSION_NUMBER)
                                            & first_owner(source, own, et.c.ACCESSION_NUMBER))
        groups = fetch(conn, titled.add_columns(
            et.c.FILING_DATE, et.c.ISSUERCIK, own.c.RPTOWNER_TITLE, sa.func.count().label("ROWS"),
            sa.func.sum(et.c.TRANS_SHARES).label("SHARES"), sa.func.sum(et.c.TRANS_DOLLARS).label("DOLLARS"),
            sa.func.aggregate_strings(et.c.ACCESSION_NUMBER, ",").label("ACCESSIONS"),
        ).group_by(et.c.FILING_DATE, et.c.ISSUERCIK, own.c.RPTOWNER_TITLE))
        for g in groups:
            if exec_role(g["RPTOWNER_TITLE"]):
                e = out[(g["FILING_DATE"], g["ISSUERCIK"])]
                e["EXEC_BUY_ROWS"] += g["ROWS"]
                e["EXEC_BUY_SHARES"] += g["SHARES"] or ZERO
                e["EXEC_BUY_DOLLARS"] += g["DOLLARS"] or ZERO
                e["EXEC_BUY_ACCESSIONS"] |= _accessions(g["ACCESSIONS"])
    return out


def own_increases(
    conn: sa.Connection, by_source: Mapping[Source, list[dt.date]], min_pct: dict[Day, Decimal]
) -> dict[Day, dict[str, Any]]:
    """Per date and issuer (the dates grouped as for `exec_buys`): the day's purchases raising the holding
    by at least the row's `min_pct` (or opening one)."""
    et = table("effective_transactions")
    out: dict[Day, dict[str, Any]] = defaultdict(_no_increases)
    for source, filed in by_source.items():
        nd = table(source.nonderiv)
        rows = fetch(conn, _day_purchases(filed).join(
            nd, (nd.c.ACCESSION_NUMBER == et.c.ACCESSION_NUMBER) & (nd.c.NONDERIV_TRANS_SK == et.c.TRANS_SK)
        ).add_columns(et.c.FILING_DATE, et.c.ISSUERCIK, et.c.ACCESSION_NUMBER, nd.c.TRANS_SHARES,
                      nd.c.SHRS_OWND_FOLWNG_TRANS))
        for r in rows:
            key = (r["FILING_DATE"], r["ISSUERCIK"])
            shares, after, floor = r["TRANS_SHARES"], r["SHRS_OWND_FOLWNG_TRANS"], min_pct.get(key)
            if shares is None or after is None or floor is None:
                continue
            before = after - shares
            if before > 0 and shares * HUNDRED >= floor * before:
                pct = (shares * HUNDRED / before).quantize(RATIO_PLACES)
            elif before <= 0 and shares != 0:
                pct = None  # a new position: no percentage, but an increase
            else:
                continue
            e = out[key]
            e["OWN_INCREASE_ROWS"] += 1
            e["OWN_INCREASE_ACCESSIONS"].add(r["ACCESSION_NUMBER"])
            if pct is not None and (e["OWN_INCREASE_MAX_PCT"] is None or pct > e["OWN_INCREASE_MAX_PCT"]):
                e["OWN_INCREASE_MAX_PCT"] = pct
    return out


#: Dates per statement over literal date rows (SQLite allows at most 500 terms in a compound SELECT).
SPAN_BLOCK = 100


def day_spans(days: Sequence[dt.date], back_days: int) -> sa.Subquery:
    """Each date D with its window's first date (D − `back_days`) and that date's year, as rows
    (a UNION ALL of literals: no date arithmetic in SQL, the same on both backends)."""
    rows = []
    for day in days:
        first = day - dt.timedelta(days=back_days)
        rows.append(sa.select(sa.literal(day, sa.Date()).label("D"), sa.literal(first, sa.Date()).label("FIRST"),
                              sa.literal(first.year, sa.Integer()).label("FIRST_YEAR")))
    return (rows[0] if len(rows) == 1 else sa.union_all(*rows)).subquery("spans")


def cluster_figures(
    conn: sa.Connection, days: Sequence[dt.date], definition: ClusterDefinition
) -> dict[dt.date, dict[str, dict[str, Any]]]:
    """Per date and issuer with window purchases: the cluster columns under `definition`, from a GROUP BY
    per date and buyer (`SPAN_BLOCK` dates a statement)."""
    out: dict[dt.date, dict[str, dict[str, Any]]] = {}
    ordered = sorted(set(days))
    for block in range(0, len(ordered), SPAN_BLOCK):
        out.update(_cluster_block(conn, ordered[block:block + SPAN_BLOCK], definition))
    return out


def _cluster_block(
    conn: sa.Connection, days: Sequence[dt.date], definition: ClusterDefinition
) -> dict[dt.date, dict[str, dict[str, Any]]]:
    et, day_rows = table("effective_transactions"), table("effective_transactions").alias("day_rows")
    spans = day_spans(days, definition.window_days - 1)
    issuers = (sa.select(spans.c.D, spans.c.FIRST, day_rows.c.ISSUERCIK)
               .select_from(spans.join(day_rows, day_rows.c.FILING_DATE == spans.c.D))
               .where(day_rows.c.ISSUERCIK.is_not(None)).distinct().subquery("issuers"))
    buyer = (et.c.ISSUERCIK, et.c.RPTOWNERCIK, et.c.RPTOWNERNAME, et.c.IS_OFFICER, et.c.IS_DIRECTOR, et.c.IS_TEN_PCT_OWNER)
    window = (
        (et.c.FILING_DATE <= issuers.c.D) & ~superseded_as_of(et.c.ACCESSION_NUMBER, issuers.c.D)
        & (et.c.TRANS_TABLE == "nonderiv") & (et.c.TRANS_CODE == "P") & et.c.RPTOWNERCIK.is_not(None)
        & et.c.TRANS_DATE.between(issuers.c.FIRST, issuers.c.D)
    )
    groups = fetch(conn, sa.select(
        issuers.c.D, *buyer, sa.func.sum(et.c.TRANS_DOLLARS).label("DOLLARS"),
        sa.func.aggregate_strings(et.c.ACCESSION_NUMBER, ",").label("ACCESSIONS"),
    ).select_from(issuers.join(et, et.c.ISSUERCIK == issuers.c.ISSUERCIK)).where(window).group_by(issuers.c.D, *buyer))
    spent: dict[tuple[dt.date, str, str], Decimal] = defaultdict(Decimal)
    accessions: dict[tuple[dt.date, str, str], set[str]] = defaultdict(set)
    for g in groups:
        if definition.counts(g):
            spent[(g["D"], g["ISSUERCIK"], g["RPTOWNERCIK"])] += g["DOLLARS"] or ZERO
            accessions[(g["D"], g["ISSUERCIK"], g["RPTOWNERCIK"])] |= _accessions(g["ACCESSIONS"])
    out: dict[dt.date, dict[str, dict[str, Any]]] = {day: defaultdict(
        lambda: {"CLUSTER_INSIDERS": 0, "CLUSTER_DOLLARS": ZERO, "CLUSTER_ACCESSIONS": set()}) for day in days}
    for (day, issuer, owner), dollars in spent.items():
        if dollars >= definition.min_dollars:
            figures = out[day][issuer]
            figures["CLUSTER_INSIDERS"] += 1
            figures["CLUSTER_DOLLARS"] += dollars
            figures["CLUSTER_ACCESSIONS"] |= accessions[(day, issuer, owner)]
    for by_issuer in out.values():
        for e in by_issuer.values():
            e["IS_CLUSTER"] = e["CLUSTER_INSIDERS"] >= definition.min_insiders
    return out


def screen_problems(conn: sa.Connection, days: list[dt.date]) -> dict[dt.date, list[dict[str, Any]]]:
    """Per date, each insider_signals row whose SCREEN_COLUMNS differ from the recomputation."""
    sig = table("insider_signals")
    written = fetch(conn, sa.select(sig.c.FILING_DATE, sig.c.ISSUERCIK, sig.c.OWN_INCREASE_MIN_PCT, sig.c.CLUSTER_DEFINITION,
                                    *(sig.c[c] for c in SCREEN_COLUMNS))
                    .where(sig.c.FILING_DATE.in_(days)).order_by(sig.c.FILING_DATE, sig.c.ISSUERCIK))
    out: dict[dt.date, list[dict[str, Any]]] = {day: [] for day in days}
    on_day: dict[dt.date, list[dict[str, Any]]] = defaultdict(list)
    for w in written:
        on_day[w["FILING_DATE"]].append(w)
    by_source = sources_of(conn, days)
    execs, no_execs, no_increases = exec_buys(conn, by_source), _no_exec_buys(), _no_increases()
    increases = own_increases(conn, by_source, {(w["FILING_DATE"], w["ISSUERCIK"]): w["OWN_INCREASE_MIN_PCT"] for w in written})
    definitions: dict[dt.date, dict[str, ClusterDefinition]] = {}
    dates_of: dict[str, list[dt.date]] = defaultdict(list)
    for day, rows in on_day.items():
        definitions[day] = {}
        for w in rows:
            text = w["CLUSTER_DEFINITION"] or ""
            if text not in definitions[day]:
                try:
                    definitions[day][text] = ClusterDefinition.parse(text)
                    dates_of[text].append(day)
                except (ValueError, ArithmeticError):
                    out[day].append({"issuer": w["ISSUERCIK"], "filing_date": day, "column": "CLUSTER_DEFINITION"})
    # One pass over all the dates per definition (a run has one; a row read back may differ).
    by_definition = {text: cluster_figures(conn, dates, definitions[dates[0]][text]) for text, dates in dates_of.items()}
    for day, rows in on_day.items():
        clusters = {text: by_definition[text][day] for text in definitions[day]}
        for w in rows:
            issuer, text = w["ISSUERCIK"], w["CLUSTER_DEFINITION"] or ""
            if text not in definitions[day]:
                continue
            cluster = clusters[text][issuer] if issuer in clusters[text] else {
                "CLUSTER_INSIDERS": 0, "CLUSTER_DOLLARS": ZERO, "CLUSTER_ACCESSIONS": set(),
                "IS_CLUSTER": definitions[day][text].min_insiders <= 0}
            expected = {**execs.get((day, issuer), no_execs), **increases.get((day, issuer), no_increases), **cluster}
            wrong = [c for c in SCREEN_COLUMNS
                     if (_accessions(w[c]) if c.endswith("_ACCESSIONS") else w[c]) != expected[c]]
            if wrong:
                out[day].append({"issuer": issuer, "filing_date": day, "column": ",".join(wrong),
                                 **{f"expected_{c}": expected[c] for c in wrong if not c.endswith("_ACCESSIONS")}})
    return out
