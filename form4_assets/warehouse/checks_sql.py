"""The warehouse's data checks as plain SQL (no Dagster), one function per check.

Each check looks only at the partitions (filing dates) it is given and returns one
outcome per date: how much it could evaluate, every offending row counted, and up to
`MAX_EXAMPLES` of them, each naming the accession, table, row position (SK) and what was
expected versus found, so that a user can open the filing. A check is a few queries over
all the dates at once (GROUP BY the filing date, the examples ranked within each date),
not a round of queries per date: a year's run asks as many as a day's. The Dagster layer (form4_assets.defs.checks) only turns these outcomes
into AssetCheckResults; severity and blocking are decided there. `CheckOutcome` is the
one result type of every check of the project: the reconciliations of the aggregates
and signals return it too.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import Any

import sqlalchemy as sa

from form4_assets.codes import ACQUIRED_DISPOSED
from form4_assets.tables import TABLES_BY_NAME, decimal_text
from form4_assets.warehouse.schema import DECIMAL_TYPE, TABLES

MAX_EXAMPLES = 20

SHARE_CHAIN = "share_chain"
NON_NEGATIVE = "non_negative_amounts"
AD_MATCHES_CODE = "acquired_disposed_matches_code"
HEADER_CIKS = "header_ciks_match_xml"
RAW_RECONCILES = "raw_equals_parsed_plus_quarantined"

#: Amount columns that can never be negative, per table.
NON_NEGATIVE_COLUMNS: dict[str, tuple[str, ...]] = {
    "nonderiv_trans": ("TRANS_SHARES", "TRANS_PRICEPERSHARE", "SHRS_OWND_FOLWNG_TRANS", "VALU_OWND_FOLWNG_TRANS"),
    "deriv_trans": (
        "TRANS_SHARES",
        "TRANS_PRICEPERSHARE",
        "TRANS_TOTAL_VALUE",
        "CONV_EXERCISE_PRICE",
        "UNDLYNG_SEC_SHARES",
        "SHRS_OWND_FOLWNG_TRANS",
    ),
}

#: Each transaction table's row-position column (from the catalogue).
SK_COLUMN = {name: TABLES_BY_NAME[name].position for name in ("nonderiv_trans", "deriv_trans")}


@dataclass
class CheckOutcome:
    """What one check found in the given partitions: how much it could evaluate, how
    many offending rows (all of them) and up to `MAX_EXAMPLES` of those rows, each a
    dict naming where to look (accession, table, row position, expected and found).

    Built at once by a SQL check, or problem by problem (`add`) and date by date
    (`extend`) by a reconciliation; the Dagster layer makes the values JSON-ready.
    """

    checked: int = 0  # rows (or filings) the check could evaluate
    failures: int = 0  # offending rows, all of them
    examples: list[dict[str, Any]] = field(default_factory=list)  # at most MAX_EXAMPLES
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.failures == 0

    def add_offending(self, count: int, rows: Iterable[dict[str, Any]]) -> None:
        """`count` more offending rows, of which `rows` are examples (kept up to MAX_EXAMPLES)."""
        self.failures += count
        self.examples.extend(islice(rows, MAX_EXAMPLES - len(self.examples)))

    def add(self, problem: dict[str, Any]) -> None:
        """One more offending row."""
        self.add_offending(1, (problem,))

    def extend(self, other: CheckOutcome) -> None:
        """Merge the outcome of other dates (or another block of dates) into this one."""
        self.checked += other.checked
        self.add_offending(other.failures, other.examples)


ByDate = dict[dt.date, CheckOutcome]


def _days(dates: Sequence[dt.date]) -> list[dt.date]:
    return sorted(set(dates))


def _in_dates(column: sa.ColumnElement[Any], dates: Sequence[dt.date]) -> sa.ColumnElement[bool]:
    return column.in_(_days(dates))


def _as_date(value: Any) -> dt.date:
    """A FILING_DATE as read back (a date; text on SQLite when it comes through a union)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _empty(dates: Sequence[dt.date]) -> ByDate:
    return {day: CheckOutcome() for day in _days(dates)}


def plain_value(value: Any) -> Any:
    """JSON-friendly values for metadata: exact decimals as strings, dates as ISO."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, float):
        return decimal_text(Decimal(repr(value)))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _add_checked(conn: sa.Connection, query: sa.Select[Any], outcomes: ByDate) -> None:
    """Add the (filing date, count) rows of `query` to each date's `checked`."""
    for day, n in conn.execute(query):
        outcomes[_as_date(day)].checked += int(n)


def _add_offending(conn: sa.Connection, query: sa.Select[Any], outcomes: ByDate) -> None:
    """Add the offending rows of `query` to the outcome of their date.

    `query`'s first column is `filing_date`; the others describe the row and are what an
    example shows. Every row is counted (one GROUP BY); the examples, the first
    `MAX_EXAMPLES` of each date in the order of their columns, are read only when there
    is something to show.
    """
    sub = query.subquery()
    on = sub.c.filing_date
    counts = {_as_date(d): int(n) for d, n in conn.execute(sa.select(on, sa.func.count()).group_by(on))}
    if not counts:
        return
    shown = [c for c in sub.columns if c.name != "filing_date"]
    rank = sa.func.row_number().over(partition_by=on, order_by=shown).label("example_rank")
    ranked = sa.select(on, *shown, rank).subquery()
    names = [c.name for c in shown]
    first = (
        sa.select(ranked.c.filing_date, *(ranked.c[n] for n in names))
        .where(ranked.c.example_rank <= MAX_EXAMPLES)
        .order_by(ranked.c.filing_date, ranked.c.example_rank)
    )
    examples: dict[dt.date, list[dict[str, Any]]] = defaultdict(list)
    for day, *values in conn.execute(first):
        examples[_as_date(day)].append(dict(zip(names, values)))
    for day, n in counts.items():
        outcomes[day].add_offending(n, examples[day])


#: Columns that identify one holding (a chain of post-transaction amounts) within a
#: filing. A derivative holding is one series: same title, exercise price and expiry.
CHAIN_COLUMNS: dict[str, tuple[str, ...]] = {
    "nonderiv_trans": ("SECURITY_TITLE", "DIRECT_INDIRECT_OWNERSHIP", "NATURE_OF_OWNERSHIP"),
    "deriv_trans": (
        "SECURITY_TITLE",
        "CONV_EXERCISE_PRICE",
        "EXPIRATION_DATE",
        "DIRECT_INDIRECT_OWNERSHIP",
        "NATURE_OF_OWNERSHIP",
    ),
}


def _share_chain_query(name: str, dates: Sequence[dt.date]) -> tuple[sa.Select[Any], sa.Select[Any]]:
    """(evaluable rows per filing date, offending rows) of one transaction table."""
    t = TABLES[name]
    sk = t.c[SK_COLUMN[name]]
    chain = (t.c.FILING_DATE, t.c.ACCESSION_NUMBER, *(t.c[c] for c in CHAIN_COLUMNS[name]))
    ordered = sa.select(
        t.c.FILING_DATE,
        t.c.ACCESSION_NUMBER,
        sk.label("SK"),
        t.c.TRANS_SHARES,
        t.c.TRANS_ACQUIRED_DISP_CD,
        t.c.SHRS_OWND_FOLWNG_TRANS,
        sa.func.lag(t.c.SHRS_OWND_FOLWNG_TRANS).over(partition_by=chain, order_by=sk).label("PREVIOUS"),
    ).where(_in_dates(t.c.FILING_DATE, dates)).subquery()
    sign = sa.case((ordered.c.TRANS_ACQUIRED_DISP_CD == "A", 1), else_=-1)
    expected = sa.cast(ordered.c.PREVIOUS + sign * ordered.c.TRANS_SHARES, DECIMAL_TYPE)
    evaluable = sa.and_(
        ordered.c.PREVIOUS.is_not(None),
        ordered.c.TRANS_SHARES.is_not(None),
        ordered.c.SHRS_OWND_FOLWNG_TRANS.is_not(None),
        ordered.c.TRANS_ACQUIRED_DISP_CD.in_(("A", "D")),
    )
    offending = sa.select(
        ordered.c.FILING_DATE.label("filing_date"),
        ordered.c.ACCESSION_NUMBER.label("accession"),
        sa.literal(name).label("table"),
        ordered.c.SK.label("sk"),
        sa.literal("SHRS_OWND_FOLWNG_TRANS").label("column"),
        expected.label("expected"),
        ordered.c.SHRS_OWND_FOLWNG_TRANS.label("found"),
    ).where(evaluable, ordered.c.SHRS_OWND_FOLWNG_TRANS != expected)  # exact decimals: no float noise to allow for
    checked = sa.select(ordered.c.FILING_DATE, sa.func.count()).where(evaluable).group_by(ordered.c.FILING_DATE)
    return checked, offending


def share_chain(engine: sa.Engine, dates: Sequence[dt.date]) -> ByDate:
    """Shares owned following = previous following ± shares (A adds, D subtracts).

    Within one filing (whose reporting owners file jointly, so the accession stands for
    the owners), the transaction rows of one holding (CHAIN_COLUMNS: security, ownership
    nature and, for derivatives, the series) form a chain in document order. A row is
    checked only when it and the previous row of its chain both state the shares owned
    following, and it states its shares and an A/D code. Real filers slip here (and some
    report derivative series loosely), so the Dagster check is a warning.
    """
    outcomes = _empty(dates)
    with engine.connect() as conn:
        for name in CHAIN_COLUMNS:
            checked, offending = _share_chain_query(name, dates)
            _add_checked(conn, checked, outcomes)
            _add_offending(conn, offending, outcomes)
    return outcomes


def non_negative_amounts(engine: sa.Engine, dates: Sequence[dt.date]) -> ByDate:
    """No negative share count, price or value in the transaction tables.

    One pass per table counts the rows and each column's negatives per date; the
    offending rows of a column are read only when it has some.
    """
    outcomes = _empty(dates)
    with engine.connect() as conn:
        for name, columns in NON_NEGATIVE_COLUMNS.items():
            t = TABLES[name]
            in_range = _in_dates(t.c.FILING_DATE, dates)
            negatives = (sa.func.sum(sa.case((t.c[c] < 0, 1), else_=0)) for c in columns)
            failing: set[str] = set()
            tally = sa.select(t.c.FILING_DATE, sa.func.count(), *negatives).where(in_range).group_by(t.c.FILING_DATE)
            for day, n, *found in conn.execute(tally):
                outcomes[_as_date(day)].checked += int(n)
                failing.update(c for c, k in zip(columns, found) if k)
            for column in (c for c in columns if c in failing):
                query = sa.select(
                    t.c.FILING_DATE.label("filing_date"),
                    t.c.ACCESSION_NUMBER.label("accession"),
                    sa.literal(name).label("table"),
                    t.c[SK_COLUMN[name]].label("sk"),
                    sa.literal(column).label("column"),
                    sa.literal(">= 0").label("expected"),
                    t.c[column].label("found"),
                ).where(in_range, t.c[column] < 0)
                _add_offending(conn, query, outcomes)
    return outcomes


def acquired_disposed_matches_code(engine: sa.Engine, dates: Sequence[dt.date]) -> ByDate:
    """The A/D code agrees with the transaction code (the mapping is form4_assets.codes.ACQUIRED_DISPOSED)."""
    outcomes = _empty(dates)
    with engine.connect() as conn:
        for name, mapping in ACQUIRED_DISPOSED.items():
            t = TABLES[name]
            expected = sa.case(*((t.c.TRANS_CODE == code, ad) for code, ad in mapping.items()))
            evaluable = sa.and_(
                _in_dates(t.c.FILING_DATE, dates),
                t.c.TRANS_CODE.in_(sorted(mapping)),
                t.c.TRANS_ACQUIRED_DISP_CD.in_(("A", "D")),
            )
            _add_checked(conn, sa.select(t.c.FILING_DATE, sa.func.count()).where(evaluable).group_by(t.c.FILING_DATE), outcomes)
            query = sa.select(
                t.c.FILING_DATE.label("filing_date"),
                t.c.ACCESSION_NUMBER.label("accession"),
                sa.literal(name).label("table"),
                t.c[SK_COLUMN[name]].label("sk"),
                t.c.TRANS_CODE.label("code"),
                expected.label("expected"),
                t.c.TRANS_ACQUIRED_DISP_CD.label("found"),
            ).where(evaluable, t.c.TRANS_ACQUIRED_DISP_CD != expected)
            _add_offending(conn, query, outcomes)
    for outcome in outcomes.values():
        outcome.details["mapping"] = ACQUIRED_DISPOSED
    return outcomes


def cik_without_zeros(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """A CIK without leading zeros, so 0001043219 and 1043219 compare equal."""
    return sa.func.ltrim(column, "0")


def header_ciks_match_xml(engine: sa.Engine, dates: Sequence[dt.date]) -> ByDate:
    """The SEC header's issuer and reporting-owner CIKs equal the XML document's.

    Only filings that have both a header and a document are compared (bare XML has no
    header). Owners are compared as sets: every XML owner appears as a REPORTING-OWNER
    block and every REPORTING-OWNER block is an XML owner.
    """
    s, h = TABLES["submission"], TABLES["filing_headers"]
    r, p = TABLES["reporting_owner"], TABLES["header_parties"]
    both = sa.and_(_in_dates(s.c.FILING_DATE, dates), s.c.ACCESSION_NUMBER == h.c.ACCESSION_NUMBER)
    issuer = sa.select(
        s.c.FILING_DATE.label("filing_date"),
        s.c.ACCESSION_NUMBER.label("accession"),
        sa.literal("submission").label("table"),
        sa.literal(None, sa.BigInteger).label("sk"),
        sa.literal("ISSUERCIK").label("column"),
        h.c.ISSUER_CIK.label("expected"),
        s.c.ISSUERCIK.label("found"),
    ).where(both, h.c.ISSUER_CIK.is_not(None), s.c.ISSUERCIK.is_not(None), cik_without_zeros(s.c.ISSUERCIK) != cik_without_zeros(h.c.ISSUER_CIK))
    header_owner = sa.and_(
        p.c.ACCESSION_NUMBER == r.c.ACCESSION_NUMBER,
        p.c.ROLE == "REPORTING-OWNER",
        cik_without_zeros(p.c.CIK) == cik_without_zeros(r.c.RPTOWNERCIK),
    )
    xml_owner_missing = sa.select(
        r.c.FILING_DATE.label("filing_date"),
        r.c.ACCESSION_NUMBER.label("accession"),
        sa.literal("reporting_owner").label("table"),
        r.c.RPTOWNER_SK.label("sk"),
        sa.literal("RPTOWNERCIK").label("column"),
        sa.literal("a REPORTING-OWNER block with this CIK").label("expected"),
        r.c.RPTOWNERCIK.label("found"),
    ).where(
        _in_dates(r.c.FILING_DATE, dates),
        sa.exists().where(h.c.ACCESSION_NUMBER == r.c.ACCESSION_NUMBER),
        ~sa.exists().where(header_owner),
    )
    header_owner_missing = sa.select(
        p.c.FILING_DATE.label("filing_date"),
        p.c.ACCESSION_NUMBER.label("accession"),
        sa.literal("header_parties").label("table"),
        p.c.PARTY_SK.label("sk"),
        sa.literal("CIK").label("column"),
        sa.literal("a reportingOwner with this CIK").label("expected"),
        p.c.CIK.label("found"),
    ).where(
        _in_dates(p.c.FILING_DATE, dates),
        p.c.ROLE == "REPORTING-OWNER",
        sa.exists().where(s.c.ACCESSION_NUMBER == p.c.ACCESSION_NUMBER),
        ~sa.exists().where(header_owner),
    )
    outcomes = _empty(dates)
    checked = sa.select(s.c.FILING_DATE, sa.func.count()).select_from(s).join(h, s.c.ACCESSION_NUMBER == h.c.ACCESSION_NUMBER).where(both).group_by(s.c.FILING_DATE)
    with engine.connect() as conn:
        _add_checked(conn, checked, outcomes)
        _add_offending(conn, sa.union_all(issuer, xml_owner_missing, header_owner_missing).subquery().select(), outcomes)
    return outcomes


def raw_equals_parsed_plus_quarantined(engine: sa.Engine, dates: Sequence[dt.date]) -> ByDate:
    """Per filing date, every raw filing is either parsed (one submission row) or quarantined.

    Offending accessions: raw but neither parsed nor quarantined, both parsed and
    quarantined, or parsed/quarantined without being raw. The date's counts go in details.
    """
    raw, sub, qua = TABLES["raw_filings"], TABLES["submission"], TABLES["quarantine"]

    def exists_in(table: sa.Table, source: sa.Table) -> sa.Exists:
        # The same day: an accession EDGAR re-lists is parsed on its first day, quarantined on the later ones.
        return sa.exists().where(table.c.ACCESSION_NUMBER == source.c.ACCESSION_NUMBER,
                                 table.c.FILING_DATE == source.c.FILING_DATE)

    def offending(source: sa.Table, label: str, expected: str, condition: sa.ColumnElement[bool]) -> sa.Select[Any]:
        return sa.select(
            source.c.FILING_DATE.label("filing_date"),
            source.c.ACCESSION_NUMBER.label("accession"),
            sa.literal(source.name).label("table"),
            sa.literal(None, sa.BigInteger).label("sk"),
            sa.literal(label).label("column"),
            sa.literal(expected).label("expected"),
            sa.literal("missing" if label != "both" else "in submission and quarantine").label("found"),
        ).where(_in_dates(source.c.FILING_DATE, dates), condition)

    queries = [
        offending(raw, "unaccounted", "parsed or quarantined", ~exists_in(sub, raw) & ~exists_in(qua, raw)),
        offending(sub, "both", "parsed or quarantined, not both", exists_in(qua, sub)),
        offending(sub, "not_raw", "a raw_filings row", ~exists_in(raw, sub)),
        offending(qua, "not_raw", "a raw_filings row", ~exists_in(raw, qua)),
    ]
    per_day = {day: {"raw": 0, "parsed": 0, "quarantined": 0} for day in _days(dates)}
    outcomes = _empty(dates)
    with engine.connect() as conn:
        for table, label in ((raw, "raw"), (sub, "parsed"), (qua, "quarantined")):
            counts = sa.select(table.c.FILING_DATE, sa.func.count()).where(_in_dates(table.c.FILING_DATE, dates)).group_by(table.c.FILING_DATE)
            for day, n in conn.execute(counts):
                per_day[_as_date(day)][label] = int(n)
        _add_offending(conn, sa.union_all(*queries).subquery().select(), outcomes)
    for day, outcome in outcomes.items():
        outcome.checked = per_day[day]["raw"]
        outcome.details["per_day"] = {day.isoformat(): per_day[day]}
    return outcomes


ALL_CHECKS = {
    SHARE_CHAIN: share_chain,
    NON_NEGATIVE: non_negative_amounts,
    AD_MATCHES_CODE: acquired_disposed_matches_code,
    HEADER_CIKS: header_ciks_match_xml,
    RAW_RECONCILES: raw_equals_parsed_plus_quarantined,
}
