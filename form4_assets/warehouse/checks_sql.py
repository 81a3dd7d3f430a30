"""The warehouse's data checks as plain SQL (no Dagster), one function per check.

Each check looks only at the partitions (filing dates) it is given, counts every
offending row and returns up to `MAX_EXAMPLES` of them, each naming the accession,
table, row position (SK) and what was expected versus found, so that a user can open
the filing. The Dagster layer (form4_assets.defs.checks) only turns these outcomes
into AssetCheckResults; severity and blocking are decided there. `CheckOutcome` is the
one result type of every check of the project: the reconciliations of the aggregates
and signals return it too.
"""

from __future__ import annotations

import datetime as dt
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


def _in_dates(column: sa.ColumnElement[Any], dates: Sequence[dt.date]) -> sa.ColumnElement[bool]:
    return column.in_(sorted(set(dates)))


def plain_value(value: Any) -> Any:
    """JSON-friendly values for metadata: exact decimals as strings, dates as ISO."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, float):
        return decimal_text(Decimal(repr(value)))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _count_and_examples(conn: sa.Connection, query: sa.Select[Any]) -> tuple[int, list[dict[str, Any]]]:
    sub = query.subquery()
    total = int(conn.execute(sa.select(sa.func.count()).select_from(sub)).scalar_one())
    ordered = sa.select(sub).order_by(*sub.columns).limit(MAX_EXAMPLES)
    rows = [dict(r._mapping) for r in conn.execute(ordered)] if total else []
    return total, rows


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
    """(evaluable rows, offending rows) of one transaction table."""
    t = TABLES[name]
    sk = t.c[SK_COLUMN[name]]
    chain = (t.c.ACCESSION_NUMBER, *(t.c[c] for c in CHAIN_COLUMNS[name]))
    ordered = sa.select(
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
        ordered.c.ACCESSION_NUMBER.label("accession"),
        sa.literal(name).label("table"),
        ordered.c.SK.label("sk"),
        sa.literal("SHRS_OWND_FOLWNG_TRANS").label("column"),
        expected.label("expected"),
        ordered.c.SHRS_OWND_FOLWNG_TRANS.label("found"),
    ).where(evaluable, ordered.c.SHRS_OWND_FOLWNG_TRANS != expected)  # exact decimals: no float noise to allow for
    return sa.select(sa.func.count()).select_from(ordered).where(evaluable), offending


def share_chain(engine: sa.Engine, dates: Sequence[dt.date]) -> CheckOutcome:
    """Shares owned following = previous following ± shares (A adds, D subtracts).

    Within one filing (whose reporting owners file jointly, so the accession stands for
    the owners), the transaction rows of one holding (CHAIN_COLUMNS: security, ownership
    nature and, for derivatives, the series) form a chain in document order. A row is
    checked only when it and the previous row of its chain both state the shares owned
    following, and it states its shares and an A/D code. Real filers slip here (and some
    report derivative series loosely), so the Dagster check is a warning.
    """
    outcome = CheckOutcome()
    with engine.connect() as conn:
        for name in CHAIN_COLUMNS:
            count_query, offending = _share_chain_query(name, dates)
            outcome.checked += int(conn.execute(count_query).scalar_one())
            outcome.add_offending(*_count_and_examples(conn, offending))
    return outcome


def non_negative_amounts(engine: sa.Engine, dates: Sequence[dt.date]) -> CheckOutcome:
    """No negative share count, price or value in the transaction tables."""
    outcome = CheckOutcome()
    with engine.connect() as conn:
        for name, columns in NON_NEGATIVE_COLUMNS.items():
            t = TABLES[name]
            in_range = _in_dates(t.c.FILING_DATE, dates)
            outcome.checked += int(conn.execute(sa.select(sa.func.count()).select_from(t).where(in_range)).scalar_one())
            for column in columns:
                query = sa.select(
                    t.c.ACCESSION_NUMBER.label("accession"),
                    sa.literal(name).label("table"),
                    t.c[SK_COLUMN[name]].label("sk"),
                    sa.literal(column).label("column"),
                    sa.literal(">= 0").label("expected"),
                    t.c[column].label("found"),
                ).where(in_range, t.c[column] < 0)
                outcome.add_offending(*_count_and_examples(conn, query))
    return outcome


def acquired_disposed_matches_code(engine: sa.Engine, dates: Sequence[dt.date]) -> CheckOutcome:
    """The A/D code agrees with the transaction code (the mapping is form4_assets.codes.ACQUIRED_DISPOSED)."""
    outcome = CheckOutcome()
    with engine.connect() as conn:
        for name, mapping in ACQUIRED_DISPOSED.items():
            t = TABLES[name]
            expected = sa.case(*((t.c.TRANS_CODE == code, ad) for code, ad in mapping.items()))
            evaluable = sa.and_(
                _in_dates(t.c.FILING_DATE, dates),
                t.c.TRANS_CODE.in_(sorted(mapping)),
                t.c.TRANS_ACQUIRED_DISP_CD.in_(("A", "D")),
            )
            outcome.checked += int(conn.execute(sa.select(sa.func.count()).select_from(t).where(evaluable)).scalar_one())
            query = sa.select(
                t.c.ACCESSION_NUMBER.label("accession"),
                sa.literal(name).label("table"),
                t.c[SK_COLUMN[name]].label("sk"),
                t.c.TRANS_CODE.label("code"),
                expected.label("expected"),
                t.c.TRANS_ACQUIRED_DISP_CD.label("found"),
            ).where(evaluable, t.c.TRANS_ACQUIRED_DISP_CD != expected)
            outcome.add_offending(*_count_and_examples(conn, query))
    outcome.details["mapping"] = ACQUIRED_DISPOSED
    return outcome


def cik_without_zeros(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """A CIK without leading zeros, so 0001043219 and 1043219 compare equal."""
    return sa.func.ltrim(column, "0")


def header_ciks_match_xml(engine: sa.Engine, dates: Sequence[dt.date]) -> CheckOutcome:
    """The SEC header's issuer and reporting-owner CIKs equal the XML document's.

    Only filings that have both a header and a document are compared (bare XML has no
    header). Owners are compared as sets: every XML owner appears as a REPORTING-OWNER
    block and every REPORTING-OWNER block is an XML owner.
    """
    s, h = TABLES["submission"], TABLES["filing_headers"]
    r, p = TABLES["reporting_owner"], TABLES["header_parties"]
    both = sa.and_(_in_dates(s.c.FILING_DATE, dates), s.c.ACCESSION_NUMBER == h.c.ACCESSION_NUMBER)
    issuer = sa.select(
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
    with engine.connect() as conn:
        checked = int(conn.execute(sa.select(sa.func.count()).select_from(s).join(h, s.c.ACCESSION_NUMBER == h.c.ACCESSION_NUMBER).where(both)).scalar_one())
        failures, examples = _count_and_examples(conn, sa.union_all(issuer, xml_owner_missing, header_owner_missing).subquery().select())
    return CheckOutcome(checked, failures, examples)


def raw_equals_parsed_plus_quarantined(engine: sa.Engine, dates: Sequence[dt.date]) -> CheckOutcome:
    """Per filing date, every raw filing is either parsed (one submission row) or quarantined.

    Offending accessions: raw but neither parsed nor quarantined, both parsed and
    quarantined, or parsed/quarantined without being raw. Per-day counts go in details.
    """
    raw, sub, qua = TABLES["raw_filings"], TABLES["submission"], TABLES["quarantine"]

    def exists_in(table: sa.Table, source: sa.Table) -> sa.Exists:
        # The same day: an accession EDGAR re-lists is parsed on its first day, quarantined on the later ones.
        return sa.exists().where(table.c.ACCESSION_NUMBER == source.c.ACCESSION_NUMBER,
                                 table.c.FILING_DATE == source.c.FILING_DATE)

    def offending(source: sa.Table, label: str, expected: str, condition: sa.ColumnElement[bool]) -> sa.Select[Any]:
        return sa.select(
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
    per_day: dict[str, dict[str, int]] = {d.isoformat(): {"raw": 0, "parsed": 0, "quarantined": 0} for d in sorted(set(dates))}
    with engine.connect() as conn:
        for table, label in ((raw, "raw"), (sub, "parsed"), (qua, "quarantined")):
            counts = sa.select(table.c.FILING_DATE, sa.func.count()).where(_in_dates(table.c.FILING_DATE, dates)).group_by(table.c.FILING_DATE)
            for day, n in conn.execute(counts):
                per_day[day.isoformat() if hasattr(day, "isoformat") else str(day)][label] = int(n)
        failures, examples = _count_and_examples(conn, sa.union_all(*queries).subquery().select())
    checked = sum(d["raw"] for d in per_day.values())
    return CheckOutcome(checked, failures, examples, {"per_day": per_day})


ALL_CHECKS = {
    SHARE_CHAIN: share_chain,
    NON_NEGATIVE: non_negative_amounts,
    AD_MATCHES_CODE: acquired_disposed_matches_code,
    HEADER_CIKS: header_ciks_match_xml,
    RAW_RECONCILES: raw_equals_parsed_plus_quarantined,
}
