"""Invariants of the signal tables, each recomputed from effective_transactions by plain SQL.

- filing_timeliness: exactly one row per effective transaction row of the date, with
  the same owner, issuer and dates, and IS_LATE = BUSINESS_DAYS_TO_FILE > deadline;
  separately (a warning, filers' data) every row has sane dates (`dates_sane_by_date`).
- trading_plans: exactly the filings of the date with open-market rows, their P/S and
  plan row counts by GROUP BY, PLAN_STATUS plan exactly when a row is planned, and
  DAYS_SINCE_ADOPTION = TRANS_DATE − ADOPTION_DATE.
- insider_patterns: every count by GROUP BY over the effective rows (year conditions in
  SQL: filed before the year began, not superseded by an amendment filed before it).
- insider_signals: one row per issuer of the date; the 90 days' sales, plan sales and
  opportunistic net shares from a GROUP BY per issuer (outer-joined to the opportunistic
  classes of insider_patterns), compared in SQL; every accession a screen lists counts as
  of D; and the CEO/CFO, ownership-increase and cluster columns recomputed by other
  routes than the build's (signals.recompute).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from form4_assets.aggregates.sql import chunks, fetch, superseded_as_of, table
from form4_assets.signals.recompute import SPAN_BLOCK, day_spans, screen_problems
from form4_assets.warehouse.checks_sql import CheckOutcome

_LINEAGE_COLUMNS = ("OPP_ACCESSIONS", "EXEC_BUY_ACCESSIONS", "OWN_INCREASE_ACCESSIONS", "CLUSTER_ACCESSIONS", "LATE_ACCESSIONS")


def _year(column: sa.ColumnElement[Any]) -> sa.ColumnElement[int]:
    return sa.cast(sa.extract("year", column), sa.Integer)


def _merged(by_date: Mapping[dt.date, CheckOutcome]) -> CheckOutcome:
    """The outcomes of several dates as one (in date order)."""
    finding = CheckOutcome()
    for day in sorted(by_date):
        finding.extend(by_date[day])
    return finding


def timeliness_by_date(conn: sa.Connection, dates: Sequence[dt.date]) -> dict[dt.date, CheckOutcome]:
    """Set-based over the dates: the database returns only the offending keys (a missing or extra row,
    a differing column), each with its filing date."""
    et, ft = table("effective_transactions"), table("filing_timeliness")
    keys = ("ACCESSION_NUMBER", "TRANS_TABLE", "TRANS_SK")
    days = sorted(set(dates))
    found = {day: CheckOutcome() for day in days}

    def unmatched(a: sa.Table, b: sa.Table) -> sa.Select:
        """`a`'s rows of the dates without a row of `b` of the same date under the same key."""
        return sa.select(a.c.FILING_DATE, *(a.c[k] for k in keys)).where(a.c.FILING_DATE.in_(days), ~sa.exists().where(
            b.c.FILING_DATE == a.c.FILING_DATE, *(b.c[k] == a.c[k] for k in keys))).order_by(a.c.FILING_DATE, *(a.c[k] for k in keys))

    missing, extra = fetch(conn, unmatched(et, ft)), fetch(conn, unmatched(ft, et))
    counted = sa.select(et.c.FILING_DATE, sa.func.count()).where(et.c.FILING_DATE.in_(days)).group_by(et.c.FILING_DATE)
    for day, rows in conn.execute(counted):
        found[day].checked += int(rows)
    for r, what in [*((r, "missing") for r in missing), *((r, "not an effective row") for r in extra)]:
        found[r["FILING_DATE"]].checked += what != "missing"
        found[r["FILING_DATE"]].add({"accession": r["ACCESSION_NUMBER"], "table": r["TRANS_TABLE"], "sk": r["TRANS_SK"],
                                     "filing_date": r["FILING_DATE"], "found": what})
    differs = {c: et.c[c].is_distinct_from(ft.c[c]) for c in ("RPTOWNERCIK", "ISSUERCIK", "TRANS_DATE")}
    differs["IS_LATE"] = ft.c.DATE_ERROR.is_(None) & ft.c.IS_LATE.is_distinct_from(
        ft.c.BUSINESS_DAYS_TO_FILE > ft.c.DEADLINE_BUSINESS_DAYS)
    wrong = sa.select(ft.c.FILING_DATE, *(ft.c[k] for k in keys), *(d.label(c) for c, d in differs.items())).select_from(
        ft.join(et, sa.and_(et.c.FILING_DATE == ft.c.FILING_DATE, *(et.c[k] == ft.c[k] for k in keys)))
    ).where(ft.c.FILING_DATE.in_(days), sa.or_(*differs.values())).order_by(ft.c.FILING_DATE, *(ft.c[k] for k in keys))
    for r in fetch(conn, wrong):
        found[r["FILING_DATE"]].add({"accession": r["ACCESSION_NUMBER"], "table": r["TRANS_TABLE"], "sk": r["TRANS_SK"],
                                     "column": ",".join(c for c in differs if r[c])})
    return found


def timeliness_reconciles(conn: sa.Connection, dates: Sequence[dt.date]) -> CheckOutcome:
    return _merged(timeliness_by_date(conn, dates))


def dates_sane_by_date(conn: sa.Connection, dates: Sequence[dt.date]) -> dict[dt.date, CheckOutcome]:
    """Rows whose dates cannot be measured: missing, after the filing date, a Form 3 without its period."""
    ft = table("filing_timeliness")
    days = sorted(set(dates))
    found = {day: CheckOutcome() for day in days}
    counted = sa.select(ft.c.FILING_DATE, sa.func.count()).where(ft.c.FILING_DATE.in_(days)).group_by(ft.c.FILING_DATE)
    for day, rows in conn.execute(counted):
        found[day].checked = int(rows)
    bad = sa.select(ft).where(
        ft.c.FILING_DATE.in_(days),
        ft.c.DATE_ERROR.is_not(None) | (ft.c.BUSINESS_DAYS_TO_FILE < 0) | (ft.c.EXECUTION_DATE > ft.c.FILING_DATE),
    ).order_by(ft.c.FILING_DATE, ft.c.ACCESSION_NUMBER, ft.c.TRANS_TABLE, ft.c.TRANS_SK)
    for r in fetch(conn, bad):
        found[r["FILING_DATE"]].add({"accession": r["ACCESSION_NUMBER"], "table": r["TRANS_TABLE"], "sk": r["TRANS_SK"],
                                     "found": r["DATE_ERROR"], "trans_date": r["TRANS_DATE"], "filing_date": r["FILING_DATE"]})
    return found


def plans_by_date(conn: sa.Connection, dates: Sequence[dt.date]) -> dict[dt.date, CheckOutcome]:
    """Per date: exactly the filings with P/S rows, their row counts by GROUP BY, the status and day count."""
    et, tp = table("effective_transactions"), table("trading_plans")
    days = sorted(set(dates))
    grouped: dict[dt.date, dict[str, dict[str, Any]]] = {day: {} for day in days}
    for r in fetch(conn, sa.select(
        et.c.FILING_DATE, et.c.ACCESSION_NUMBER, sa.func.count().label("ROWS"),
        sa.func.sum(sa.case((et.c.PLAN_10B5_1.is_(True), 1), else_=0)).label("PLANNED"),
    ).where(et.c.FILING_DATE.in_(days), et.c.TRANS_CODE.in_(("P", "S"))).group_by(et.c.FILING_DATE, et.c.ACCESSION_NUMBER)):
        grouped[r["FILING_DATE"]][r["ACCESSION_NUMBER"]] = r
    written: dict[dt.date, dict[str, dict[str, Any]]] = {day: {} for day in days}
    for r in fetch(conn, sa.select(tp).where(tp.c.FILING_DATE.in_(days))):
        written[r["FILING_DATE"]][r["ACCESSION_NUMBER"]] = r
    found = {day: CheckOutcome() for day in days}
    for day in days:
        finding, expected, rows = found[day], grouped[day], written[day]
        finding.checked += len(expected.keys() | rows.keys())
        for acc in sorted(expected.keys() ^ rows.keys()):
            finding.add({"accession": acc, "filing_date": day, "found": "missing" if acc in expected else "no P/S rows"})
        for acc in sorted(expected.keys() & rows.keys()):
            g, w = expected[acc], rows[acc]
            wrong = [c for c, ok in (
                ("OPEN_MARKET_ROWS", w["OPEN_MARKET_ROWS"] == g["ROWS"]),
                ("PLAN_ROWS", w["PLAN_ROWS"] == int(g["PLANNED"] or 0)),
                ("PLAN_STATUS", (w["PLAN_STATUS"] == "plan") == bool(g["PLANNED"])),
                ("DAYS_SINCE_ADOPTION", w["ADOPTION_DATE"] is None
                 or w["DAYS_SINCE_ADOPTION"] == (w["TRANS_DATE"] - w["ADOPTION_DATE"]).days),
            ) if not ok]
            if wrong:
                finding.add({"accession": acc, "column": ",".join(wrong)})
    return found


def plans_reconcile(conn: sa.Connection, dates: Sequence[dt.date]) -> CheckOutcome:
    return _merged(plans_by_date(conn, dates))


def patterns_by_date(conn: sa.Connection, dates: Sequence[dt.date]) -> dict[dt.date, CheckOutcome]:
    """Every date's counts from one GROUP BY over all of them: each written (owner, issuer, year) row of a
    date is a key, counted over the effective rows as of that date (its year conditions in SQL)."""
    et, ip, sup = table("effective_transactions"), table("insider_patterns"), table("supersessions")
    days = sorted(set(dates))
    found = {day: CheckOutcome() for day in days}
    low, high = conn.execute(sa.select(sa.func.min(ip.c.YEAR), sa.func.max(ip.c.YEAR)).where(ip.c.FILING_DATE.in_(days))).one()
    if low is None:
        return found  # no rows written on any date: nothing to count
    # The transaction dates any key's counts can reach (its year and the three before): the
    # issuer index stops there instead of reading the issuer's whole history.
    reach = et.c.TRANS_DATE.between(dt.date(int(low) - 3, 1, 1), dt.date(int(high), 12, 31))
    keys = sa.select(ip.c.FILING_DATE, ip.c.RPTOWNERCIK, ip.c.ISSUERCIK, ip.c.YEAR).where(ip.c.FILING_DATE.in_(days)).subquery("keys")
    trade_year = _year(et.c.TRANS_DATE)
    superseded_before_year = sa.exists().where(
        sup.c.SUPERSEDED_ACCESSION == et.c.ACCESSION_NUMBER, _year(sup.c.FILING_DATE) < keys.c.YEAR
    )
    in_year = (trade_year == keys.c.YEAR) & ~superseded_as_of(et.c.ACCESSION_NUMBER, keys.c.FILING_DATE)
    counts = []
    for code, side in (("P", "PURCHASES"), ("S", "SALES")):
        is_code = et.c.TRANS_CODE == code
        counts.append(sa.func.sum(sa.case((is_code & in_year, 1), else_=0)).label(f"{side}_Y"))
        for k in (1, 2, 3):
            prior = (trade_year == keys.c.YEAR - k) & (_year(et.c.FILING_DATE) < keys.c.YEAR) & ~superseded_before_year
            counts.append(sa.func.sum(sa.case((is_code & prior, 1), else_=0)).label(f"{side}_Y{k}"))
    key_columns = (keys.c.FILING_DATE, keys.c.RPTOWNERCIK, keys.c.ISSUERCIK, keys.c.YEAR)
    query = (
        sa.select(*key_columns, *counts)
        .select_from(keys.outerjoin(et, (et.c.RPTOWNERCIK == keys.c.RPTOWNERCIK) & (et.c.ISSUERCIK == keys.c.ISSUERCIK)
                                    & (et.c.TRANS_TABLE == "nonderiv") & et.c.TRANS_CODE.in_(("P", "S"))
                                    & reach & (et.c.FILING_DATE <= keys.c.FILING_DATE)))
        .group_by(*key_columns)
    )
    expected = {(r["FILING_DATE"], r["RPTOWNERCIK"], r["ISSUERCIK"], r["YEAR"]): r for r in fetch(conn, query)}
    written = sa.select(ip).where(ip.c.FILING_DATE.in_(days)).order_by(ip.c.FILING_DATE, ip.c.RPTOWNERCIK, ip.c.ISSUERCIK, ip.c.YEAR)
    for w in fetch(conn, written):
        day = w["FILING_DATE"]
        found[day].checked += 1
        e = expected[(day, w["RPTOWNERCIK"], w["ISSUERCIK"], w["YEAR"])]
        wrong = [c for c in e if c not in ("FILING_DATE", "RPTOWNERCIK", "ISSUERCIK", "YEAR") and int(e[c] or 0) != w[c]]
        prior_years = [w[f"PURCHASES_Y{k}"] + w[f"SALES_Y{k}"] for k in (1, 2, 3)]
        if (w["CLASS"] == "unclassified") != (min(prior_years) == 0):
            wrong.append("CLASS")
        if wrong:
            found[day].add({"owner": w["RPTOWNERCIK"], "issuer": w["ISSUERCIK"], "year": w["YEAR"], "filing_date": day,
                            "column": ",".join(wrong)})
    return found


def patterns_reconcile(conn: sa.Connection, dates: Sequence[dt.date]) -> CheckOutcome:
    return _merged(patterns_by_date(conn, dates))


_WINDOW_SUMS = ("SALE_SHARES_90D", "PLAN_SALE_SHARES_90D", "OPP_NET_BUY_SHARES_90D")


def _window_sums(days: Sequence[dt.date]) -> sa.Subquery:
    """Per date and issuer of that date: the 90 days' sales, plan sales and opportunistic net shares, one
    GROUP BY over the effective rows outer-joined to the (owner, issuer, year) insider_patterns classes
    opportunistic as of the date (only P and S rows can count)."""
    et, ip = table("effective_transactions"), table("insider_patterns")
    spans, day_rows = day_spans(days, 89), et.alias("day_rows")
    issuers = (sa.select(spans.c.D, spans.c.FIRST, spans.c.FIRST_YEAR, day_rows.c.ISSUERCIK)
               .select_from(spans.join(day_rows, day_rows.c.FILING_DATE == spans.c.D))
               .where(day_rows.c.ISSUERCIK.is_not(None)).distinct().cte("issuers"))
    # Only the classes the join can meet (the date's issuers, the years of its window): the whole
    # history of insider_patterns read on every date would make the check grow with it.
    keys = (sa.select(issuers.c.D, ip.c.RPTOWNERCIK, ip.c.ISSUERCIK, ip.c.YEAR)
            .select_from(issuers.join(ip, ip.c.ISSUERCIK == issuers.c.ISSUERCIK))
            .where(ip.c.YEAR >= issuers.c.FIRST_YEAR, ip.c.FILING_DATE <= issuers.c.D, ip.c.CLASS == "opportunistic")
            .distinct().subquery("opportunistic"))
    sale, buy, opportunistic = et.c.TRANS_CODE == "S", et.c.TRANS_CODE == "P", keys.c.YEAR.is_not(None)
    return (
        sa.select(
            issuers.c.D, et.c.ISSUERCIK,
            sa.func.sum(sa.case((sale, et.c.TRANS_SHARES), else_=0)).label("SALE_SHARES_90D"),
            sa.func.sum(sa.case((sale & et.c.PLAN_10B5_1.is_(True), et.c.TRANS_SHARES), else_=0)).label("PLAN_SALE_SHARES_90D"),
            sa.func.sum(sa.case((opportunistic & buy, et.c.TRANS_SHARES), (opportunistic & sale, -et.c.TRANS_SHARES),
                                else_=0)).label("OPP_NET_BUY_SHARES_90D"),
        )
        .select_from(issuers.join(et, et.c.ISSUERCIK == issuers.c.ISSUERCIK)
                     .outerjoin(keys, (keys.c.D == issuers.c.D) & (keys.c.RPTOWNERCIK == et.c.RPTOWNERCIK)
                                & (keys.c.ISSUERCIK == et.c.ISSUERCIK) & (keys.c.YEAR == _year(et.c.TRANS_DATE))))
        .where(
            et.c.TRANS_TABLE == "nonderiv", et.c.TRANS_CODE.in_(("P", "S")), et.c.RPTOWNERCIK.is_not(None),
            et.c.TRANS_DATE.between(issuers.c.FIRST, issuers.c.D), et.c.FILING_DATE <= issuers.c.D,
            ~superseded_as_of(et.c.ACCESSION_NUMBER, issuers.c.D),
        )
        .group_by(issuers.c.D, et.c.ISSUERCIK)
        .subquery("expected")
    )


def _window_check(days: Sequence[dt.date]) -> sa.Select:
    """The dates' insider_signals rows whose 90-day sums differ from `_window_sums`, each difference flagged."""
    sig = table("insider_signals")
    expected = _window_sums(days)
    differs = {c: sig.c[c].is_distinct_from(sa.func.coalesce(expected.c[c], 0)) for c in _WINDOW_SUMS}
    return sa.select(sig.c.FILING_DATE, sig.c.ISSUERCIK, *(d.label(c) for c, d in differs.items())).select_from(
        sig.outerjoin(expected, (expected.c.D == sig.c.FILING_DATE) & (expected.c.ISSUERCIK == sig.c.ISSUERCIK))
    ).where(sig.c.FILING_DATE.in_(days), sa.or_(*differs.values())).order_by(sig.c.FILING_DATE, sig.c.ISSUERCIK)


def _coverage(conn: sa.Connection, days: list[dt.date], found: dict[dt.date, CheckOutcome]) -> None:
    """One row per issuer with effective filings on each date, and no other."""
    et, sig = table("effective_transactions"), table("insider_signals")
    issuers: dict[dt.date, set[str]] = {day: set() for day in days}
    written: dict[dt.date, set[str]] = {day: set() for day in days}
    for day, issuer in conn.execute(sa.select(et.c.FILING_DATE, et.c.ISSUERCIK).where(
            et.c.FILING_DATE.in_(days), et.c.ISSUERCIK.is_not(None)).distinct()):
        issuers[day].add(issuer)
    for day, issuer in conn.execute(sa.select(sig.c.FILING_DATE, sig.c.ISSUERCIK).where(sig.c.FILING_DATE.in_(days))):
        written[day].add(issuer)
    for day in days:
        found[day].checked += len(issuers[day] | written[day])
        for issuer in sorted(issuers[day] ^ written[day]):
            found[day].add({"issuer": issuer, "filing_date": day,
                            "found": "missing" if issuer in issuers[day] else "no filing that day"})


def _lineage(conn: sa.Connection, days: list[dt.date], found: dict[dt.date, CheckOutcome]) -> None:
    """Every accession a screen lists counts as of its date (filed by then, not superseded by then)."""
    et, sig, sup = table("effective_transactions"), table("insider_signals"), table("supersessions")
    rows = fetch(conn, sa.select(sig.c.FILING_DATE, sig.c.ISSUERCIK, *(sig.c[c] for c in _LINEAGE_COLUMNS)).where(
        sig.c.FILING_DATE.in_(days), sa.or_(*(sig.c[c].is_not(None) for c in _LINEAGE_COLUMNS)))
        .order_by(sig.c.FILING_DATE, sig.c.ISSUERCIK))
    listed = {(r["FILING_DATE"], r["ISSUERCIK"]): {a for c in _LINEAGE_COLUMNS for a in (r[c] or "").split(",") if a}
              for r in rows}
    filed: dict[str, dt.date] = {}
    superseded: dict[str, dt.date] = {}
    for batch in chunks(set().union(*listed.values())):
        for accession, day in conn.execute(sa.select(et.c.ACCESSION_NUMBER, sa.func.min(et.c.FILING_DATE))
                                           .where(et.c.ACCESSION_NUMBER.in_(batch)).group_by(et.c.ACCESSION_NUMBER)):
            filed[accession] = day
        for accession, day in conn.execute(sa.select(sup.c.SUPERSEDED_ACCESSION, sa.func.min(sup.c.FILING_DATE))
                                           .where(sup.c.SUPERSEDED_ACCESSION.in_(batch))
                                           .group_by(sup.c.SUPERSEDED_ACCESSION)):
            superseded[accession] = day
    for (day, issuer), accessions in listed.items():
        uncounted = {a for a in accessions if not (a in filed and filed[a] <= day and superseded.get(a, dt.date.max) > day)}
        if uncounted:
            found[day].add({"issuer": issuer, "filing_date": day, "column": "ACCESSIONS", "found": ",".join(sorted(uncounted))})


def signals_by_date(conn: sa.Connection, dates: Sequence[dt.date]) -> dict[dt.date, CheckOutcome]:
    """Per date: coverage, the 90-day sums against a GROUP BY, lineage, and the day screens recomputed."""
    days = sorted(set(dates))
    found = {day: CheckOutcome() for day in days}
    _coverage(conn, days, found)
    for block in range(0, len(days), SPAN_BLOCK):
        for r in conn.execute(_window_check(days[block:block + SPAN_BLOCK])).mappings():
            wrong = [c for c in _WINDOW_SUMS if r[c]]
            found[r["FILING_DATE"]].add({"issuer": r["ISSUERCIK"], "filing_date": r["FILING_DATE"], "column": ",".join(wrong)})
    _lineage(conn, days, found)
    for day, problems in screen_problems(conn, days).items():
        for problem in problems:
            found[day].add(problem)
    return found


def signals_reconcile(conn: sa.Connection, dates: Sequence[dt.date]) -> CheckOutcome:
    return _merged(signals_by_date(conn, dates))
