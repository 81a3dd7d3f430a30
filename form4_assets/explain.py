"""Row-level lineage: from an issuer's day back to the accessions and raw filing bytes.

`form4-assets explain ISSUER DATE` answers "where does this number come from?": the
issuer's aggregate row for that transaction date, the transaction rows it was built
from (with whether each is effective or superseded by an amendment), the ownership
document each row came from (submission, reporting owners), its SEC header
(acceptance time, form type) and the raw file the bytes are kept in — re-hashed now and
compared with the SHA-256 recorded at ingest, so a user can trust the file on disk is
the one that was parsed.

Only SQL reads; no Dagster. A warehouse whose aggregate assets have not been
materialized yet still explains down to the raw bytes (and says so).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from form4_assets.aggregates.sources import SEC_DATA_SET
from form4_assets.tables import DERIV_TRANS, NONDERIV_TRANS, Row, cik_key, decimal_text
from form4_assets.warehouse.checks_sql import cik_without_zeros
from form4_assets.warehouse.schema import TABLES

#: The transaction tables and the column holding each row's position in its document.
TRANSACTION_TABLES: tuple[tuple[str, str], ...] = tuple(
    (t.name, t.position) for t in (NONDERIV_TRANS, DERIV_TRANS) if t.position
)
AGGREGATE_TABLE = "issuer_daily_activity"
#: The issuer_daily_activity columns `explain` prints (the table has many more).
AGGREGATE_SHOWN = (
    "FILING_DATE", "ISSUERCIK", "ISSUERTRADINGSYMBOL", "TRANS_DATE",
    "BUY_SHARES", "BUY_DOLLARS", "BUYERS", "SELL_SHARES", "SELL_DOLLARS", "SELLERS",
    "NET_SELL_SHARES", "NET_SELL_DOLLARS", "TRANSACTION_ROWS", "ACCESSIONS",
)
EFFECTIVE_TABLE = "effective_transactions"
#: The signal columns `explain` prints (issue 13's tables).
TIMELINESS_SHOWN = ("EXECUTION_DATE", "REPORTED_DATE", "DUE_DATE", "BUSINESS_DAYS_TO_FILE", "DEADLINE_BUSINESS_DAYS",
                    "IS_LATE", "DATE_ERROR")
PLAN_SHOWN = ("PLAN_STATUS", "PLAN_EVIDENCE", "ADOPTION_DATE", "ADOPTION_SOURCE", "DAYS_SINCE_ADOPTION",
              "COOLING_OFF_STATUS")
PATTERN_SHOWN = ("FILING_DATE", "RPTOWNERCIK", "YEAR", "PURCHASES_Y", "SALES_Y", "PURCHASES_Y1", "SALES_Y1",
                 "PURCHASES_Y2", "SALES_Y2", "PURCHASES_Y3", "SALES_Y3", "ROUTINE_MONTHS", "CLASS")
SIGNAL_SHOWN = ("FILING_DATE", "OPP_NET_BUY_SHARES_30D", "OPP_NET_BUY_SHARES_90D", "EXEC_BUY_ROWS", "EXEC_BUYERS",
                "OWN_INCREASE_ROWS", "CLUSTER_INSIDERS", "IS_CLUSTER", "LATE_ROWS_90D", "PLAN_SALE_SHARE_90D")


@dataclass(frozen=True)
class RawFile:
    """The stored bytes of one filing, checked against the hash recorded at ingest."""

    local_path: str | None
    recorded_sha256: str | None
    size_bytes: int | None
    actual_sha256: str | None  # None when the file is gone

    @property
    def status(self) -> str:
        """``verified``, ``MISMATCH`` (the file changed since ingest) or ``MISSING``."""
        if self.actual_sha256 is None:
            return "MISSING"
        return "verified" if self.actual_sha256 == self.recorded_sha256 else "MISMATCH"


@dataclass
class DocumentLineage:
    """Everything the warehouse knows about one accession that reported a transaction."""

    accession: str
    transactions: list[Row] = field(default_factory=list)  # each with "TABLE", "SK" and "STATUS"
    submission: Row | None = None
    owners: list[Row] = field(default_factory=list)
    header: Row | None = None
    raw: RawFile | None = None
    timeliness: dict[tuple[str, int], Row] = field(default_factory=dict)  # by (TRANS_TABLE, TRANS_SK)
    plan: Row | None = None  # its trading_plans row


@dataclass
class Explanation:
    """The chain for one issuer and transaction date, top (aggregate) to bottom (bytes)."""

    issuer: str
    day: dt.date
    issuer_ciks: list[str]
    aggregate_rows: list[Row]
    documents: list[DocumentLineage]
    patterns: list[Row] = field(default_factory=list)  # insider_patterns of the day's owners, latest per year
    signals: list[Row] = field(default_factory=list)  # insider_signals of the issuer on the documents' filing dates
    data_set_rows: list[Row] = field(default_factory=list)  # effective rows read from the SEC's data set

    @property
    def found(self) -> bool:
        return bool(self.documents or self.aggregate_rows or self.data_set_rows)


def resolve_issuer(conn: sa.Connection, issuer: str) -> list[str]:
    """Issuer CIKs (as stored) for a CIK or a trading symbol, from the parsed submissions and
    the SEC data sets' (a date known only from a data set has no parsed submission)."""
    found: set[str] = set()
    for name in ("submission", "sec_submission"):
        submission = TABLES[name]
        if issuer.strip().isdigit():
            condition = cik_without_zeros(submission.c.ISSUERCIK) == cik_key(issuer)
        else:
            condition = sa.func.upper(submission.c.ISSUERTRADINGSYMBOL) == issuer.strip().upper()
        found.update(cik for (cik,) in conn.execute(sa.select(submission.c.ISSUERCIK).where(condition).distinct()))
    return sorted(found)


def _data_set_rows(conn: sa.Connection, ciks: Sequence[str], day: dt.date) -> list[Row]:
    """The effective rows of the day built from the SEC's data set, each naming its file and line."""
    et = TABLES[EFFECTIVE_TABLE]
    query = sa.select(et).where(
        et.c.SOURCE == SEC_DATA_SET.name, et.c.TRANS_DATE == day,
        cik_without_zeros(et.c.ISSUERCIK).in_([cik_key(c) for c in ciks]),
    ).order_by(et.c.FILING_DATE, et.c.ACCESSION_NUMBER, et.c.TRANS_TABLE, et.c.TRANS_SK)
    return [dict(r._mapping) for r in conn.execute(query)]


def sha256_of(path: Path) -> str | None:
    """SHA-256 of a file's bytes, or None when it cannot be read."""
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def _aggregate_rows(conn: sa.Connection, ciks: Sequence[str], day: dt.date) -> list[Row]:
    """The current issuer_daily_activity row of each issuer CIK: the one with the latest FILING_DATE."""
    ida = TABLES[AGGREGATE_TABLE]
    rows: list[Row] = []
    for cik in ciks:
        query = (
            sa.select(ida)
            .where(ida.c.ISSUERCIK == cik, ida.c.TRANS_DATE == day)
            .order_by(ida.c.FILING_DATE.desc())
            .limit(1)
        )
        rows.extend(dict(r._mapping) for r in conn.execute(query))
    return rows


def _statuses(conn: sa.Connection, transactions: Sequence[Row]) -> None:
    """Say of each transaction row whether the aggregates count it today, and why not.

    effective_transactions keeps a filing's rows (joint filings once); an amendment filed
    later supersedes them through the supersessions table, read at query time.
    """
    et, sup = TABLES[EFFECTIVE_TABLE], TABLES["supersessions"]
    accessions = sorted({t["ACCESSION_NUMBER"] for t in transactions})
    if not accessions:
        return
    effective = {
        (r.ACCESSION_NUMBER, r.TRANS_TABLE, r.TRANS_SK)
        for r in conn.execute(
            sa.select(et.c.ACCESSION_NUMBER, et.c.TRANS_TABLE, et.c.TRANS_SK).where(et.c.ACCESSION_NUMBER.in_(accessions))
        )
    }
    aggregated_dates = {
        d for (d,) in conn.execute(sa.select(et.c.FILING_DATE).where(
            et.c.FILING_DATE.in_({t["FILING_DATE"] for t in transactions})).distinct())
    }
    superseded: dict[str, str] = {}
    for r in conn.execute(
        sa.select(sup.c.SUPERSEDED_ACCESSION, sup.c.AMENDMENT_ACCESSION)
        .where(sup.c.SUPERSEDED_ACCESSION.in_(accessions))
        .order_by(sup.c.FILING_DATE)
    ):
        superseded[r.SUPERSEDED_ACCESSION] = r.AMENDMENT_ACCESSION
    for t in transactions:
        key = (t["ACCESSION_NUMBER"], t["TABLE"].removesuffix("_trans"), t["SK"])
        if t["ACCESSION_NUMBER"] in superseded:
            t["STATUS"] = f"superseded by {superseded[t['ACCESSION_NUMBER']]}"
        elif key in effective:
            t["STATUS"] = "effective"
        elif t["FILING_DATE"] in aggregated_dates:
            t["STATUS"] = "not counted (not in effective_transactions)"
        else:
            t["STATUS"] = "aggregates not materialized for its filing date"


def _transactions(conn: sa.Connection, ciks: Sequence[str], day: dt.date) -> list[Row]:
    submission = TABLES["submission"]
    of_issuer = sa.select(submission.c.ACCESSION_NUMBER).where(
        cik_without_zeros(submission.c.ISSUERCIK).in_([cik_key(c) for c in ciks])
    )
    rows: list[Row] = []
    for name, sk in TRANSACTION_TABLES:
        table = TABLES[name]
        query = (
            sa.select(table)
            .where(table.c.TRANS_DATE == day, table.c.ACCESSION_NUMBER.in_(of_issuer))
            .order_by(table.c.ACCESSION_NUMBER, table.c[sk])
        )
        for r in conn.execute(query):
            row = dict(r._mapping)
            row["TABLE"] = name
            row["SK"] = row[sk]
            rows.append(row)
    return rows


def _by_accession(conn: sa.Connection, name: str, accessions: Sequence[str], order: str | None = None) -> dict[str, list[Row]]:
    table = TABLES[name]
    query = sa.select(table).where(table.c.ACCESSION_NUMBER.in_(accessions))
    if order:
        query = query.order_by(table.c[order])
    out: dict[str, list[Row]] = {}
    for r in conn.execute(query):
        row = dict(r._mapping)
        out.setdefault(row["ACCESSION_NUMBER"], []).append(row)
    return out


def _signal_rows(
    conn: sa.Connection, ciks: Sequence[str], day: dt.date, owners: Sequence[str], filed: Sequence[dt.date]
) -> tuple[list[Row], list[Row]]:
    """insider_patterns (latest row per owner of the year of `day`) and insider_signals of the filing dates."""
    ip, sig = TABLES["insider_patterns"], TABLES["insider_signals"]
    patterns: dict[tuple[str, str], Row] = {}
    query = (sa.select(ip).where(ip.c.ISSUERCIK.in_(ciks), ip.c.RPTOWNERCIK.in_(owners), ip.c.YEAR == day.year)
             .order_by(ip.c.FILING_DATE))
    for r in conn.execute(query):
        patterns[(r.RPTOWNERCIK, r.ISSUERCIK)] = dict(r._mapping)
    query = sa.select(sig).where(sig.c.ISSUERCIK.in_(ciks), sig.c.FILING_DATE.in_(filed)).order_by(sig.c.FILING_DATE)
    return list(patterns.values()), [dict(r._mapping) for r in conn.execute(query)]


def explain(engine: sa.Engine, issuer: str, day: dt.date) -> Explanation:
    """The lineage chain for ``issuer`` (CIK or ticker) on transaction date ``day``."""
    with engine.connect() as conn:
        ciks = resolve_issuer(conn, issuer)
        if not ciks:
            return Explanation(issuer, day, [], [], [])
        aggregate_rows = _aggregate_rows(conn, ciks, day)
        transactions = _transactions(conn, ciks, day)
        accessions = sorted({t["ACCESSION_NUMBER"] for t in transactions})
        _statuses(conn, transactions)
        submissions = _by_accession(conn, "submission", accessions)
        owners = _by_accession(conn, "reporting_owner", accessions, order="RPTOWNER_SK")
        headers = _by_accession(conn, "filing_headers", accessions)
        raws = _by_accession(conn, "raw_filings", accessions)
        timeliness = _by_accession(conn, "filing_timeliness", accessions)
        plans = _by_accession(conn, "trading_plans", accessions)
        first_owners = sorted({rows[0]["RPTOWNERCIK"] for rows in owners.values() if rows and rows[0]["RPTOWNERCIK"]})
        filed = sorted({t["FILING_DATE"] for t in transactions})
        patterns, signals = _signal_rows(conn, ciks, day, first_owners, filed)
        data_set_rows = _data_set_rows(conn, ciks, day)

    documents: dict[str, DocumentLineage] = {a: DocumentLineage(a) for a in accessions}
    for t in transactions:
        documents[t["ACCESSION_NUMBER"]].transactions.append(t)
    for accession, doc in documents.items():
        doc.submission = (submissions.get(accession) or [None])[0]
        doc.owners = owners.get(accession, [])
        doc.header = (headers.get(accession) or [None])[0]
        doc.timeliness = {(r["TRANS_TABLE"], r["TRANS_SK"]): r for r in timeliness.get(accession, [])}
        doc.plan = (plans.get(accession) or [None])[0]
        raw = (raws.get(accession) or [None])[0]
        if raw is not None:
            path = raw.get("LOCAL_PATH")
            doc.raw = RawFile(
                local_path=path,
                recorded_sha256=raw.get("SHA256"),
                size_bytes=raw.get("SIZE_BYTES"),
                actual_sha256=sha256_of(Path(path)) if path else None,
            )
    return Explanation(issuer, day, ciks, aggregate_rows, list(documents.values()), patterns, signals, data_set_rows)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return decimal_text(value)
    return str(value)


def _pairs(row: Mapping[str, Any], names: Sequence[str]) -> str:
    return "  ".join(f"{n}={_fmt(row.get(n))}" for n in names if n in row)


def format_explanation(expl: Explanation) -> str:
    """The chain as indented text, one level per stage of the asset graph."""
    lines: list[str] = []
    if not expl.issuer_ciks:
        return f"no issuer matching {expl.issuer!r} in the warehouse (submission.ISSUERCIK / ISSUERTRADINGSYMBOL)\n"
    lines.append(f"issuer {expl.issuer} -> CIK {', '.join(expl.issuer_ciks)}; transaction date {expl.day.isoformat()}")
    lines.append(f"{AGGREGATE_TABLE} (current row: latest FILING_DATE):")
    counted: set[str] = set()
    if expl.aggregate_rows:
        for row in expl.aggregate_rows:
            lines.append("  " + _pairs(row, AGGREGATE_SHOWN[:4]))
            lines.append("  " + _pairs(row, AGGREGATE_SHOWN[4:]))
            counted.update((row.get("ACCESSIONS") or "").split(","))
    else:
        lines.append("  (no aggregate row: table not materialized, or no activity counted that day)")
    if expl.data_set_rows:
        lines.append("effective_transactions from the SEC's data set (filing dates whose filings were never fetched):")
        for t in expl.data_set_rows:
            lines.append(
                f"  {t['SEC_SOURCE']}  accession {t['ACCESSION_NUMBER']} filed {_fmt(t['FILING_DATE'])} "
                f"code={_fmt(t.get('TRANS_CODE'))} {_fmt(t.get('TRANS_ACQUIRED_DISP_CD'))} "
                f"shares={_fmt(t.get('TRANS_SHARES'))} price={_fmt(t.get('TRANS_PRICEPERSHARE'))} "
                f"owner={_fmt(t.get('RPTOWNERNAME'))}"
            )
    if not expl.documents and not expl.data_set_rows:
        lines.append("transactions: none on that date")
    for doc in expl.documents:
        note = " (listed in the aggregate row's ACCESSIONS)" if doc.accession in counted else ""
        lines.append(f"accession {doc.accession}{note}")
        lines.append("  transactions:")
        for t in doc.transactions:
            lines.append(
                f"    {t['TABLE']} SK={t['SK']} code={_fmt(t.get('TRANS_CODE'))} "
                f"{_fmt(t.get('TRANS_ACQUIRED_DISP_CD'))} shares={_fmt(t.get('TRANS_SHARES'))} "
                f"price={_fmt(t.get('TRANS_PRICEPERSHARE'))} "
                f"owned_after={_fmt(t.get('SHRS_OWND_FOLWNG_TRANS'))} "
                f"security={_fmt(t.get('SECURITY_TITLE'))} [{t['STATUS']}]"
            )
            timely = doc.timeliness.get((t["TABLE"].removesuffix("_trans"), t["SK"]))
            if timely:
                lines.append("      filing_timeliness: " + _pairs(timely, TIMELINESS_SHOWN))
        if doc.plan:
            lines.append("  trading_plans: " + _pairs(doc.plan, PLAN_SHOWN))
        lines.append("  ownership document (submission):")
        if doc.submission:
            lines.append(
                "    "
                + _pairs(
                    doc.submission,
                    ["DOCUMENT_TYPE", "PERIOD_OF_REPORT", "ISSUERCIK", "ISSUERNAME", "ISSUERTRADINGSYMBOL", "AFF10B5ONE", "DATE_OF_ORIG_SUB"],
                )
            )
        for owner in doc.owners:
            lines.append(
                "    owner " + _pairs(owner, ["RPTOWNERCIK", "RPTOWNERNAME", "RPTOWNER_RELATIONSHIP", "RPTOWNER_TITLE"])
            )
        lines.append("  header (filing_headers):")
        if doc.header:
            lines.append(
                "    "
                + _pairs(doc.header, ["CONFORMED_SUBMISSION_TYPE", "ACCEPTANCE_DATETIME", "FILED_AS_OF_DATE", "CONTAINER"])
            )
        else:
            lines.append("    (no header row: bare XML document)")
        lines.append("  raw file (raw_filings):")
        if doc.raw:
            lines.append(f"    LOCAL_PATH={_fmt(doc.raw.local_path)}  SIZE_BYTES={_fmt(doc.raw.size_bytes)}")
            lines.append(f"    SHA256={_fmt(doc.raw.recorded_sha256)}  re-hashed: {doc.raw.status}")
            if doc.raw.status == "MISMATCH":
                lines.append(f"    file now hashes to {doc.raw.actual_sha256}")
        else:
            lines.append("    (no raw_filings row)")
    for title, rows, names in (("insider_patterns (latest row per owner)", expl.patterns, PATTERN_SHOWN),
                               ("insider_signals (the filing dates above)", expl.signals, SIGNAL_SHOWN)):
        if rows:
            lines.append(f"{title}:")
            lines.extend("  " + _pairs(r, names) for r in rows)
    return "\n".join(lines) + "\n"


def missing_warehouse(url: str) -> str | None:
    """Why ``url`` names no warehouse, for a SQLite file that does not exist (never create one)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        if not Path(parsed.database).is_file():
            return f"no warehouse at {parsed.database} (set FORM4_DATA_DIR / FORM4_WAREHOUSE_URL or pass --warehouse-url)"
    return None
