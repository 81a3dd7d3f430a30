"""Invariants of the aggregate tables, each recomputed by a route independent of the builder.

- Reconciliation: the buy/sell shares, dollars and row counts of every issuer-day row
  written for date D equal a plain SQL GROUP BY over the effective transactions as of D
  (codes read from TRANS_CODE, not from the builder's ACTIVITY column; dollars from each
  row's shares × price, not the builder's TRANS_DOLLARS).
- No superseded filing counted: no effective_transactions row of D belongs to a filing
  superseded by D, and no issuer-day row of D lists such a filing among its ACCESSIONS.
- Co-filers once: each filing contributes exactly as many effective rows as it has
  transaction rows (a join through the owners would multiply them), each attributed to
  the filing's first reporting owner.
- Net selling (form4_assets.aggregates.net_selling_check): each date's 30- and 90-day
  sums equal running Decimal totals over the latest issuer-day versions, and
  NET = SELL − BUY in every row.
- Cluster buys: each date's clusters, buyers and amounts equal a SQL GROUP BY over the
  effective open-market purchases (TRANS_CODE P) of the 10-day window.

Each check returns a CheckOutcome: the number of problems and a few offending rows for the UI.
Comparisons are exact (Decimal equality): the warehouse stores and sums decimals exactly
on both databases, and the one rounding (each row's dollars to 4 places, half-even) is
applied by the recomputation too. Products are taken in Python: SQL would multiply
SQLite's scaled integers (see form4_assets.warehouse.schema.ExactDecimal).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import sqlalchemy as sa

from form4_assets.aggregates.cluster_buys import MIN_INSIDERS, WINDOW_DAYS
from form4_assets.aggregates.sources import SOURCES
from form4_assets.aggregates.sql import ZERO, chunks, fetch, superseded_as_of, table
from form4_assets.tables import DECIMAL_PLACES
from form4_assets.warehouse.checks_sql import CheckOutcome

_QUANTUM = Decimal(1).scaleb(-DECIMAL_PLACES)


def _amount(value: Decimal | None) -> Decimal:
    """A stored amount, NULL as zero."""
    return ZERO if value is None else value


def _dollars(shares: Decimal | None, price: Decimal | None) -> Decimal:
    """Shares × price to 4 places, half-even (the definition of TRANS_DOLLARS); 0 without a price."""
    if shares is None or price is None:
        return ZERO
    return (shares * price).quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)


def _priced_dollars(conn: sa.Connection, query: sa.Select, key: tuple[str, ...]) -> dict[tuple[Any, ...], Decimal]:
    """Sum of shares × price per `key` over the rows of `query` (which selects the key
    columns, TRANS_SHARES and TRANS_PRICEPERSHARE)."""
    sums: dict[tuple[Any, ...], Decimal] = {}
    for r in fetch(conn, query):
        k = tuple(r[c] for c in key)
        sums[k] = sums.get(k, ZERO) + _dollars(r["TRANS_SHARES"], r["TRANS_PRICEPERSHARE"])
    return sums


#: Filing dates reconciled per query: bounds the rows held at once on a long backfill.
DATE_BLOCK = 20


def reconcile_activity(conn: sa.Connection, dates: Sequence[dt.date]) -> CheckOutcome:
    """issuer_daily_activity rows of `dates` versus an independent SQL recomputation.

    Set-based over blocks of dates: one GROUP BY joins each written issuer-day (with its
    FILING_DATE as the as-of date) to the effective transactions filed by then and not
    superseded by then, instead of one round of queries per date.
    """
    finding = CheckOutcome()
    wanted = sorted(set(dates))
    for start in range(0, len(wanted), DATE_BLOCK):
        finding.extend(_reconcile_activity_block(conn, wanted[start : start + DATE_BLOCK]))
    return finding


def _reconcile_activity_block(conn: sa.Connection, block: Sequence[dt.date]) -> CheckOutcome:
    ida, et = table("issuer_daily_activity"), table("effective_transactions")
    finding = CheckOutcome()
    columns = [f"{side}_{m}" for side in ("BUY", "SELL") for m in ("SHARES", "DOLLARS", "ROWS")]
    written = {
        (r["FILING_DATE"], r["ISSUERCIK"], r["TRANS_DATE"]): r
        for r in fetch(conn, sa.select(ida.c.FILING_DATE, ida.c.ISSUERCIK, ida.c.TRANS_DATE, *(ida.c[c] for c in columns))
                       .where(ida.c.FILING_DATE.in_(block)))
    }
    finding.checked += len(written)
    keys = sa.select(ida.c.FILING_DATE, ida.c.ISSUERCIK, ida.c.TRANS_DATE).where(ida.c.FILING_DATE.in_(block)).subquery("keys")
    measures = []
    for code, side in (("P", "BUY"), ("S", "SELL")):
        is_code = et.c.TRANS_CODE == code
        measures += [
            sa.func.sum(sa.case((is_code, et.c.TRANS_SHARES), else_=0)).label(f"{side}_SHARES"),
            sa.func.sum(sa.case((is_code, 1), else_=0)).label(f"{side}_ROWS"),
        ]
    # Each written issuer-day's own FILING_DATE is its as-of date.
    counted = sa.and_(et.c.TRANS_TABLE == "nonderiv", et.c.FILING_DATE <= keys.c.FILING_DATE,
                      ~superseded_as_of(et.c.ACCESSION_NUMBER, keys.c.FILING_DATE))
    on_keys = keys.join(et, (keys.c.ISSUERCIK == et.c.ISSUERCIK) & (keys.c.TRANS_DATE == et.c.TRANS_DATE))
    recomputed_q = (
        sa.select(keys.c.FILING_DATE, keys.c.ISSUERCIK, keys.c.TRANS_DATE, *measures)
        .select_from(on_keys)
        .where(counted)
        .group_by(keys.c.FILING_DATE, keys.c.ISSUERCIK, keys.c.TRANS_DATE)
    )
    recomputed = {(r["FILING_DATE"], r["ISSUERCIK"], r["TRANS_DATE"]): r for r in fetch(conn, recomputed_q)}
    priced = sa.select(keys.c.FILING_DATE, keys.c.ISSUERCIK, keys.c.TRANS_DATE, et.c.TRANS_CODE,
                       et.c.TRANS_SHARES, et.c.TRANS_PRICEPERSHARE)
    dollars = _priced_dollars(
        conn, priced.select_from(on_keys).where(counted, et.c.TRANS_CODE.in_(("P", "S"))),
        ("FILING_DATE", "ISSUERCIK", "TRANS_DATE", "TRANS_CODE"),
    )
    for key, row in sorted(written.items()):
        other = recomputed.get(key, {})
        for code, side in (("P", "BUY"), ("S", "SELL")):
            pairs = {
                f"{side}_SHARES": (_amount(row[f"{side}_SHARES"]), _amount(other.get(f"{side}_SHARES"))),
                f"{side}_DOLLARS": (_amount(row[f"{side}_DOLLARS"]), dollars.get((*key, code), ZERO)),
                f"{side}_ROWS": (row[f"{side}_ROWS"], int(other.get(f"{side}_ROWS") or 0)),
            }
            for column, (stored, expected) in pairs.items():
                if stored != expected:
                    finding.add({"filing_date": key[0], "issuer": key[1], "trans_date": key[2],
                                 "column": column, "written": stored, "recomputed": expected})
    filed_days = sa.select(et.c.FILING_DATE, et.c.ISSUERCIK, et.c.TRANS_DATE).distinct().where(
        et.c.FILING_DATE.in_(block), et.c.TRANS_TABLE == "nonderiv", et.c.TRANS_DATE.is_not(None)
    )
    for r in fetch(conn, filed_days.order_by(et.c.FILING_DATE, et.c.ISSUERCIK, et.c.TRANS_DATE)):
        if (r["FILING_DATE"], r["ISSUERCIK"], r["TRANS_DATE"]) not in written:
            finding.add({"filing_date": r["FILING_DATE"], "issuer": r["ISSUERCIK"], "trans_date": r["TRANS_DATE"],
                         "column": "(row)", "written": None, "recomputed": "issuer-day filed that day has no row"})
    return finding


def superseded_in_effective(conn: sa.Connection, dates: Sequence[dt.date]) -> CheckOutcome:
    """effective_transactions rows of `dates` whose filing was superseded by their own date."""
    et = table("effective_transactions")
    wanted = sorted(set(dates))
    finding = CheckOutcome()
    finding.checked = int(conn.execute(sa.select(sa.func.count()).where(et.c.FILING_DATE.in_(wanted))).scalar_one())
    stale = sa.select(et.c.FILING_DATE, et.c.ACCESSION_NUMBER, et.c.TRANS_TABLE, et.c.TRANS_SK).where(
        et.c.FILING_DATE.in_(wanted), superseded_as_of(et.c.ACCESSION_NUMBER, et.c.FILING_DATE)
    )
    for r in fetch(conn, stale):
        finding.add(r)
    return finding


def superseded_in_activity(conn: sa.Connection, dates: Sequence[dt.date]) -> CheckOutcome:
    """issuer_daily_activity rows of `dates` that list a filing superseded by their date."""
    ida, sup = table("issuer_daily_activity"), table("supersessions")
    finding = CheckOutcome()
    listed: dict[str, list[tuple[dt.date, str, dt.date]]] = {}
    query = sa.select(ida.c.FILING_DATE, ida.c.ISSUERCIK, ida.c.TRANS_DATE, ida.c.ACCESSIONS).where(
        ida.c.FILING_DATE.in_(sorted(set(dates)))
    )
    for r in fetch(conn, query):
        finding.checked += 1
        for acc in (r["ACCESSIONS"] or "").split(","):
            if acc:
                listed.setdefault(acc, []).append((r["FILING_DATE"], r["ISSUERCIK"], r["TRANS_DATE"]))
    for batch in chunks(listed):
        links = sa.select(sup.c.SUPERSEDED_ACCESSION, sup.c.AMENDMENT_ACCESSION, sup.c.FILING_DATE).where(
            sup.c.SUPERSEDED_ACCESSION.in_(batch)
        )
        for link in fetch(conn, links):
            for as_of, issuer, trans_date in listed[link["SUPERSEDED_ACCESSION"]]:
                if link["FILING_DATE"] <= as_of:
                    finding.add({"FILING_DATE": as_of, "ISSUERCIK": issuer, "TRANS_DATE": trans_date,
                                 "ACCESSION_NUMBER": link["SUPERSEDED_ACCESSION"],
                                 "superseded_by": link["AMENDMENT_ACCESSION"]})
    return finding


def unmatched_amendments(conn: sa.Connection, dates: Sequence[dt.date]) -> CheckOutcome:
    """Amendments whose original is not in the warehouse, and later ones these dates may complete.

    An amendment of `dates` without its original was mis-dated or amends a filing not
    loaded. An unmatched amendment filed *after* `dates` whose issuer and period match a
    filing of `dates` was linked before that filing was loaded (partitions materialized
    out of order): its own date must be re-materialized, which the finding says.
    """
    sup, sub = table("supersessions"), table("submission")
    wanted = sorted(set(dates))
    finding = CheckOutcome()
    finding.checked = int(
        conn.execute(sa.select(sa.func.count()).where(sup.c.FILING_DATE.in_(wanted), sup.c.LINK_SK == 1)).scalar_one()
    )
    cols = (sup.c.FILING_DATE, sup.c.AMENDMENT_ACCESSION, sup.c.ISSUERCIK, sup.c.RPTOWNERCIK,
            sup.c.PERIOD_OF_REPORT, sup.c.DATE_OF_ORIG_SUB)
    own = sa.select(*cols).where(sup.c.FILING_DATE.in_(wanted), sup.c.MATCH_RULE == "unmatched")
    for r in fetch(conn, own.order_by(sup.c.FILING_DATE, sup.c.AMENDMENT_ACCESSION)):
        finding.add({**r, "action": "original not in the warehouse"})
    if wanted:
        now_loaded = sa.exists().where(
            sub.c.FILING_DATE.in_(wanted), sub.c.ISSUERCIK == sup.c.ISSUERCIK,
            sub.c.PERIOD_OF_REPORT == sup.c.PERIOD_OF_REPORT, sub.c.ACCESSION_NUMBER != sup.c.AMENDMENT_ACCESSION,
        )
        later = sa.select(*cols).where(sup.c.FILING_DATE > wanted[-1], sup.c.MATCH_RULE == "unmatched", now_loaded)
        for r in fetch(conn, later.order_by(sup.c.FILING_DATE, sup.c.AMENDMENT_ACCESSION)):
            finding.add({**r, "action": f"re-materialize {r['FILING_DATE']}: its original may be in these dates"})
    return finding


def cofilers_counted_once(conn: sa.Connection, dates: Sequence[dt.date]) -> CheckOutcome:
    """Each filing's transactions appear once among its effective rows, under its first owner."""
    et = table("effective_transactions")
    wanted = sorted(set(dates))
    finding = CheckOutcome()
    effective: dict[str, dict[str, Any]] = {}
    q = (
        sa.select(et.c.ACCESSION_NUMBER, sa.func.count().label("rows"), sa.func.min(et.c.RPTOWNERCIK).label("lo"),
                  sa.func.max(et.c.RPTOWNERCIK).label("hi"))
        .where(et.c.FILING_DATE.in_(wanted))
        .group_by(et.c.ACCESSION_NUMBER)
    )
    for r in fetch(conn, q):
        effective[r["ACCESSION_NUMBER"]] = r
    finding.checked = len(effective)
    source: dict[str, int] = {}
    first: dict[str, str] = {}
    for origin in SOURCES:  # each row is recounted in the tables it was built from (its SOURCE)
        built = sa.select(et.c.ACCESSION_NUMBER).where(et.c.FILING_DATE.in_(wanted), et.c.SOURCE == origin.name)
        for name in (origin.nonderiv, origin.deriv):
            t = table(name)
            q = sa.select(t.c.ACCESSION_NUMBER, sa.func.count().label("n")).where(
                t.c.ACCESSION_NUMBER.in_(built)).group_by(t.c.ACCESSION_NUMBER)
            for r in fetch(conn, q):
                source[r["ACCESSION_NUMBER"]] = source.get(r["ACCESSION_NUMBER"], 0) + int(r["n"])
        own = table(origin.owner)
        q = sa.select(own.c.ACCESSION_NUMBER, own.c.RPTOWNERCIK).where(
            own.c.FILING_DATE.in_(wanted), own.c.ACCESSION_NUMBER.in_(built)
        ).order_by(own.c.ACCESSION_NUMBER, own.c[origin.owner_order])
        for r in fetch(conn, q):
            first.setdefault(r["ACCESSION_NUMBER"], r["RPTOWNERCIK"])
    for acc, r in sorted(effective.items()):
        if int(r["rows"]) != source.get(acc, 0):
            finding.add({"ACCESSION_NUMBER": acc, "effective_rows": int(r["rows"]), "transaction_rows": source.get(acc, 0)})
        elif r["lo"] != r["hi"] or r["lo"] != first.get(acc):
            finding.add({"ACCESSION_NUMBER": acc, "attributed_to": f"{r['lo']}..{r['hi']}", "first_owner": first.get(acc)})
    return finding


def reconcile_cluster_buys(conn: sa.Connection, dates: Sequence[dt.date]) -> CheckOutcome:
    """cluster_buys rows of each of `dates` versus a plain SQL GROUP BY over the effective transactions.

    As of date D: open-market purchases (TRANS_CODE P, not the builder's ACTIVITY) of
    non-derivative rows, filed by D and not superseded by D, traded in D-9 .. D; issuers
    with at least three distinct buyers are clusters. Each buyer's shares, dollars
    (shares × price, not the builder's TRANS_DOLLARS) and the cluster size must equal
    what was written, and exactly those issuers and buyers must have rows.
    """
    finding = CheckOutcome()
    for day in sorted(set(dates)):
        finding.extend(_reconcile_cluster_buys_day(conn, day))
    return finding


def _reconcile_cluster_buys_day(conn: sa.Connection, day: dt.date) -> CheckOutcome:
    et, cb = table("effective_transactions"), table("cluster_buys")
    buys = (
        sa.select(et.c.ISSUERCIK, et.c.RPTOWNERCIK, et.c.TRANS_SHARES, et.c.TRANS_PRICEPERSHARE)
        .where(
            et.c.TRANS_TABLE == "nonderiv",
            sa.func.upper(et.c.TRANS_CODE) == "P",
            et.c.TRANS_DATE.between(day - dt.timedelta(days=WINDOW_DAYS - 1), day),
            et.c.RPTOWNERCIK.is_not(None),
            et.c.FILING_DATE <= day,
            ~superseded_as_of(et.c.ACCESSION_NUMBER, day),
        )
        .subquery("buys")
    )
    insiders = (
        sa.select(buys.c.ISSUERCIK, sa.func.count(sa.distinct(buys.c.RPTOWNERCIK)).label("INSIDERS"))
        .group_by(buys.c.ISSUERCIK)
        .subquery("insiders")
    )
    per_buyer = (
        sa.select(buys.c.ISSUERCIK, buys.c.RPTOWNERCIK, insiders.c.INSIDERS,
                  sa.func.sum(buys.c.TRANS_SHARES).label("SHARES"))
        .select_from(buys.join(insiders, insiders.c.ISSUERCIK == buys.c.ISSUERCIK))
        .where(insiders.c.INSIDERS >= MIN_INSIDERS)
        .group_by(buys.c.ISSUERCIK, buys.c.RPTOWNERCIK, insiders.c.INSIDERS)
    )
    expected = {(r["ISSUERCIK"], r["RPTOWNERCIK"]): r for r in fetch(conn, per_buyer)}
    dollars = _priced_dollars(conn, sa.select(buys), ("ISSUERCIK", "RPTOWNERCIK"))
    written = {
        (r["ISSUERCIK"], r["RPTOWNERCIK"]): r
        for r in fetch(conn, sa.select(cb).where(cb.c.FILING_DATE == day))
    }
    # Every issuer bought on the open market in the window was evaluated, clustered or not.
    finding = CheckOutcome(checked=int(conn.execute(sa.select(sa.func.count()).select_from(insiders)).scalar_one()))
    for key in sorted(set(expected) | set(written)):
        row, want = written.get(key), expected.get(key)
        problem = {"FILING_DATE": day, "ISSUERCIK": key[0], "RPTOWNERCIK": key[1]}
        if row is None or want is None:
            finding.add({**problem, "column": "(row)", "written": row is not None, "recomputed": want is not None})
            continue
        pairs = {
            "CLUSTER_INSIDERS": (row["CLUSTER_INSIDERS"], int(want["INSIDERS"])),
            "BUY_SHARES": (_amount(row["BUY_SHARES"]), _amount(want["SHARES"])),
            "BUY_DOLLARS": (_amount(row["BUY_DOLLARS"]), dollars.get(key, ZERO)),
        }
        for column, (stored, recomputed) in pairs.items():
            if stored != recomputed:
                finding.add({**problem, "column": column, "written": stored, "recomputed": recomputed})
    return finding
