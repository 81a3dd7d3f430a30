"""Hand-built filings for the aggregate unit tests, inserted into a real warehouse.

Rows are keyed by the tables.py columns exactly as the loader writes them, so the
aggregate code under test reads what it reads in production.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from form4_assets.aggregates import build
from form4_assets.parsing import ParsedFiling, parse_filing
from form4_assets.synthetic.patterns import PATTERNS_NAME, make_pattern_history
from form4_assets.warehouse.schema import TABLES
from form4_assets.warehouse.store import replace_partitions

D = Decimal


@dataclass
class Trade:
    code: str
    shares: str | None
    price: str | None
    date: dt.date
    ad: str = ""
    fn: str | None = None  # footnote ids bound to the price
    table: str = "nonderiv"

    @property
    def acquired_disposed(self) -> str:
        return self.ad or ("A" if self.code in {"P", "A", "M", "X", "C"} else "D")


@dataclass
class Owner:
    cik: str
    name: str = ""
    relationship: str = "Officer"


@dataclass
class Filing:
    accession: str
    filed: dt.date
    issuer: str = "0000000001"
    owners: Sequence[Owner] = (Owner("0000000101", "Insider One"),)
    trades: Sequence[Trade] = ()
    document_type: str = "4"
    period: dt.date | None = None
    orig_sub: dt.date | None = None
    aff10b5one: bool | None = False
    footnotes: dict[str, str] = field(default_factory=dict)
    remarks: str | None = None
    accepted: dt.datetime | None = None
    issuer_name: str = "Issuer One Inc"
    ticker: str = "ONE"


def insert(engine: sa.Engine, *filings: Filing) -> None:
    """Write the filings' rows (header, submission, owners, transactions, footnotes)."""
    rows: dict[str, list[dict[str, Any]]] = {
        n: [] for n in ("filing_headers", "submission", "reporting_owner", "nonderiv_trans", "deriv_trans", "footnotes")
    }
    for f in filings:
        period = f.period or (min(t.date for t in f.trades) if f.trades else f.filed)
        rows["filing_headers"].append(
            {
                "FILING_DATE": f.filed, "ACCESSION_NUMBER": f.accession, "CONTAINER": "txt",
                "CONFORMED_SUBMISSION_TYPE": f.document_type, "PERIOD_OF_REPORT": period,
                "FILED_AS_OF_DATE": f.filed, "ACCEPTANCE_DATETIME": f.accepted, "ISSUER_CIK": f.issuer,
            }
        )
        rows["submission"].append(
            {
                "ACCESSION_NUMBER": f.accession, "FILING_DATE": f.filed, "PERIOD_OF_REPORT": period,
                "DATE_OF_ORIG_SUB": f.orig_sub, "DOCUMENT_TYPE": f.document_type, "ISSUERCIK": f.issuer,
                "ISSUERNAME": f.issuer_name, "ISSUERTRADINGSYMBOL": f.ticker, "REMARKS": f.remarks,
                "AFF10B5ONE": f.aff10b5one, "NOT_SUBJECT_SEC16": False, "SCHEMA_VERSION": "X0508",
            }
        )
        for sk, o in enumerate(f.owners, start=1):
            rows["reporting_owner"].append(
                {
                    "ACCESSION_NUMBER": f.accession, "RPTOWNER_SK": sk, "RPTOWNERCIK": o.cik,
                    "RPTOWNERNAME": o.name or f"Owner {o.cik}", "RPTOWNER_RELATIONSHIP": o.relationship,
                    "FILING_DATE": f.filed,
                }
            )
        counters = {"nonderiv": 0, "deriv": 0}
        for t in f.trades:
            counters[t.table] += 1
            sk_name = "NONDERIV_TRANS_SK" if t.table == "nonderiv" else "DERIV_TRANS_SK"
            rows[f"{t.table}_trans"].append(
                {
                    "ACCESSION_NUMBER": f.accession, sk_name: counters[t.table], "SECURITY_TITLE": "Common Stock",
                    "TRANS_DATE": t.date, "TRANS_FORM_TYPE": "4", "TRANS_CODE": t.code,
                    "EQUITY_SWAP_INVOLVED": False, "TRANS_SHARES": D(t.shares) if t.shares is not None else None,
                    "TRANS_PRICEPERSHARE": D(t.price) if t.price is not None else None,
                    "TRANS_PRICEPERSHARE_FN": t.fn, "TRANS_ACQUIRED_DISP_CD": t.acquired_disposed,
                    "DIRECT_INDIRECT_OWNERSHIP": "D", "FILING_DATE": f.filed,
                }
            )
        for fid, text in f.footnotes.items():
            rows["footnotes"].append(
                {"ACCESSION_NUMBER": f.accession, "FOOTNOTE_ID": fid, "FOOTNOTE_TXT": text, "FILING_DATE": f.filed}
            )
    with engine.begin() as conn:
        for name, batch in rows.items():
            if batch:
                cols = [c.name for c in TABLES[name].columns]
                conn.execute(TABLES[name].insert(), [{c: r.get(c) for c in cols} for r in batch])


def select_all(engine: sa.Engine, name: str, **equal: Any) -> list[dict[str, Any]]:
    t = TABLES[name]
    query = sa.select(t).where(*(t.c[k] == v for k, v in equal.items())).order_by(*t.primary_key.columns)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def load_filing(engine: sa.Engine, data: bytes, filing_date: dt.date, source: str = "<test>") -> str:
    """Parse one filing and write its rows to its partition, as the transactions asset does."""
    from form4_assets.parsing import ParsedFiling, parse_filing
    from form4_assets.warehouse.store import replace_partitions

    parsed = parse_filing(data, source=source)
    assert isinstance(parsed, ParsedFiling), f"{source}: {parsed}"
    tables = {name: [{**row, "FILING_DATE": filing_date} for row in rows] for name, rows in parsed.rows().items()}
    replace_partitions(engine, [filing_date], tables)
    assert parsed.accession is not None
    return parsed.accession


def load_bulk_corpus(engine: sa.Engine, bulk_dir: Any) -> list[dt.date]:
    """The corpus's bare ownership XML documents, each filed on its first signature date.

    Bare XML has no SEC header, so the accession comes from the file name and the filing
    date from the signature (the date the filer signed and submitted); returns the dates.
    """
    from collections import defaultdict

    from form4_assets.parsing import ParsedFiling, parse_filing
    from form4_assets.warehouse.store import replace_partitions

    by_day: dict[dt.date, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(bulk_dir.glob("*.xml")):
        accession = path.name.removesuffix(".xml")
        parsed = parse_filing(path.read_bytes(), source=str(path), accession=accession)
        assert isinstance(parsed, ParsedFiling), f"{path.name}: {parsed}"
        rows = parsed.rows()
        signed = [s["OWNERSIGNATUREDATE"] for s in rows["owner_signature"] if s["OWNERSIGNATUREDATE"]]
        day = rows["submission"][0]["FILING_DATE"] or (signed[0] if signed else rows["submission"][0]["PERIOD_OF_REPORT"])
        for name, batch in rows.items():
            for row in batch:
                by_day[day][name].append({**row, "ACCESSION_NUMBER": row.get("ACCESSION_NUMBER") or accession, "FILING_DATE": day})
    for day, tables in sorted(by_day.items()):
        replace_partitions(engine, [day], tables)
    return sorted(by_day)


def build_all(engine: sa.Engine, dates: Sequence[dt.date]) -> None:
    """Every aggregate table for the dates, in the asset graph's dependency order (the unit
    tests' stand-in for a Dagster run of the four aggregate assets)."""
    for step in (build.build_effective_transactions, build.build_issuer_daily_activity,
                 build.build_net_insider_selling, build.build_cluster_buys):
        step(engine, dates)


def load_pattern_history(
    engine: sa.Engine, root: Path, first_year: int, years: int, issuers: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dt.date]]:
    """Generate a pattern history (synthetic.patterns) under `root`, parse every filing and
    write each day's rows as the pipeline does, then build effective_transactions.

    Returns the manifest records, the generator's design of each insider and the dates.
    """
    manifest = make_pattern_history(root, first_year=first_year, years=years, issuers=issuers)
    records = [json.loads(line) for line in manifest.read_text().splitlines()]
    design = json.loads((manifest.parent / PATTERNS_NAME).read_text())["insiders"]
    by_day: dict[dt.date, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        folder = manifest.parent / "Archives" / r["path"].rsplit("/", 1)[0] / r["accession"].replace("-", "")
        parsed = parse_filing((folder / f"{r['accession']}.txt").read_bytes(), source=r["path"])
        assert isinstance(parsed, ParsedFiling), parsed
        day = dt.date.fromisoformat(r["filing_date"])
        for name, batch in parsed.rows().items():
            by_day[day][name] += [{**row, "FILING_DATE": day} for row in batch]
    for day, tables in by_day.items():
        replace_partitions(engine, [day], tables)
    dates = sorted(by_day)
    build.build_effective_transactions(engine, dates)
    return records, design, dates
