"""The synthetic mirror's manifest: what every generated filing contains, written beside the mirror.

Manifest (``synthetic-manifest.jsonl``, one object per filing, by filing date then accession).
Decimals are strings exactly as written in the XML (``"50000.00"``); absent values are null.

- filing: ``accession``, ``filing_date``, ``accepted`` (ISO datetime), ``index_cik`` and
  ``index_company`` (the index line a reader keeping one line per accession keeps: the
  first in the master index), ``index_ciks`` (every CIK the indexes list it under: the
  issuer and each reporting owner), ``path`` (that first line's File Name), ``form_type``,
  ``container`` (txt|nc), ``schema_version``, ``period``, ``date_of_orig_sub``, ``amends`` /
  ``amended_by`` (accessions), ``issuer`` {cik, name, ticker}, ``owners`` [{cik, name,
  is_director, is_officer, is_ten_pct, is_other, title, other_text}] in document order,
  ``joint``, ``aff10b5one`` (null before X0508 and on Form 3), ``remarks``,
  ``no_securities_owned``, ``broken`` (truncated|no_xml|malformed_xml, rows then empty),
  ``inconsistent`` [{table, sk, check: share_chain|ad_code}], ``seed``, ``sha256``, ``size``,
  ``footnotes`` {id: text}.
- ``rows``: every transaction and holding in document order: ``table`` (nonderiv_trans,
  deriv_trans, nonderiv_holding, deriv_holding), ``sk`` (1-based within its table),
  ``security``, ``code``, ``acquired_disposed``, ``shares``, ``price``, ``trans_date``,
  ``deemed_date``, ``trans_form_type``, ``timeliness``, ``shares_following``,
  ``direct_indirect``, ``nature``, ``is_10b5_1`` (X0508+: the filing's aff10b5One; earlier:
  a Rule 10b5-1 footnote bound to the row), ``conv_price``, ``exercise_date``,
  ``expiration_date``, ``underlying_security``, ``underlying_shares``, ``footnotes``
  {field: "F1,F2"} for title, code, shares, price, nature, conv, exercise, expiration.

Records are held back until no amendment can still set their ``amended_by`` (``ManifestWriter``);
a per-day summary (``synthetic-summary.json``) counts filings, breakage and amendments.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from form4_assets.synthetic.indexes import IndexLine
from form4_assets.synthetic.ownership_xml import Document, Row, num
from form4_assets.synthetic.population import FilerUnit, Owner

MANIFEST_NAME = "synthetic-manifest.jsonl"
SUMMARY_NAME = "synthetic-summary.json"

SEED_ACCESSION = "0001628280-23-037880"
SEED_DATE = dt.date(2023, 11, 8)
SEED_CIK = 1043219
SEED_COMPANY = "ANNALY CAPITAL MANAGEMENT INC"
SEED_OWNER_CIK, SEED_OWNER = 1688537, "Finkelstein David L"


def _record_decimal(value: Decimal | None, two_decimals: bool) -> str | None:
    return None if value is None else num(value, two_decimals)


def iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def owner_record(owner: Owner, rel) -> dict:
    return {"cik": f"{owner.cik:010d}", "name": owner.name, "is_director": rel.is_director,
            "is_officer": rel.is_officer, "is_ten_pct": rel.is_ten_pct, "is_other": rel.is_other,
            "title": rel.title, "other_text": rel.other_text}


def row_record(row: Row, two: bool) -> dict:
    return {
        "table": row.table, "sk": row.sk, "security": row.title, "code": row.code,
        "acquired_disposed": row.ad, "shares": _record_decimal(row.shares, two),
        "price": _record_decimal(row.price, two), "trans_date": iso(row.trans_date),
        "deemed_date": iso(row.deemed_date), "trans_form_type": row.form_type if row.code else None,
        "timeliness": row.timeliness,
        "shares_following": _record_decimal(row.post, two), "direct_indirect": row.di, "nature": row.nature,
        "is_10b5_1": row.is_10b5_1, "conv_price": _record_decimal(row.conv_price, two),
        "exercise_date": iso(row.exercise_date), "expiration_date": iso(row.expiration_date),
        "underlying_security": row.underlying_title,
        "underlying_shares": _record_decimal(row.underlying_shares, two),
        "footnotes": {k: ",".join(v) for k, v in sorted(row.fns.items())},
    }


def filing_record(acc: str, day: dt.date, accepted: dt.datetime, lines: list[IndexLine], path: str,
                  container: str, doc: Document, unit: FilerUnit, broken: str | None, inconsistent: list[dict],
                  amends: str | None, data: bytes) -> dict:
    """The manifest record of one generated filing (written as ``data`` at ``path``, listed by ``lines``)."""
    two = doc.two_decimals
    return {
        "accession": acc, "filing_date": day.isoformat(), "accepted": accepted.isoformat(),
        "index_cik": str(lines[0].cik), "index_company": lines[0].company,
        "index_ciks": [str(x.cik) for x in lines], "form_type": doc.doc_type,
        "path": path, "container": container, "schema_version": doc.schema,
        "period": doc.period.isoformat(), "date_of_orig_sub": iso(doc.orig_sub),
        "amends": amends, "amended_by": None,
        "issuer": {"cik": f"{unit.issuer.cik:010d}", "name": unit.issuer.name, "ticker": unit.issuer.ticker},
        "owners": [owner_record(o, rel) for o, rel in unit.members],
        "joint": len(unit.members) > 1, "aff10b5one": doc.aff10b5one, "remarks": doc.remarks,
        "no_securities_owned": doc.no_securities,
        "broken": broken, "inconsistent": inconsistent, "seed": False,
        "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
        "footnotes": {} if broken else dict(doc.footnotes.items),
        "rows": [] if broken else [row_record(x, two) for x in doc.rows],
    }


SEED_RECORD: dict = {
    "accession": SEED_ACCESSION, "filing_date": SEED_DATE.isoformat(), "index_cik": str(SEED_CIK),
    "index_company": SEED_COMPANY, "accepted": "2023-11-08T16:28:09", "form_type": "4", "container": "txt",
    "schema_version": "X0508",
    "period": "2023-11-06", "date_of_orig_sub": None, "amends": None, "amended_by": None,
    "issuer": {"cik": "0001043219", "name": SEED_COMPANY, "ticker": "NLY"},
    "owners": [{"cik": "0001688537", "name": "Finkelstein David L", "is_director": True, "is_officer": True,
                "is_ten_pct": False, "is_other": False, "title": "CEO and CIO", "other_text": None}],
    "joint": False, "aff10b5one": True, "remarks": "", "no_securities_owned": False, "broken": None, "inconsistent": [],
    "seed": True,
    "footnotes": {
        "F1": "The sale of shares of common stock reported in this Form 4 was effected pursuant to a Rule 10b5-1 "
              "plan adopted August 2, 2023 for tax and estate planning purposes.",
        "F2": "The price reported in Column 4 is a weighted average price. These shares were sold in multiple "
              "transactions at prices ranging from $16.91 to $17.20, inclusive. The reporting person undertakes "
              "to provide the Issuer, any security holder of the Issuer, or the staff of the Securities and "
              "Exchange Commission, upon request, full information regarding the number of shares sold at each "
              "separate price within the range set forth in this footnote.",
    },
    "rows": [{
        "table": "nonderiv_trans", "sk": 1, "security": "Common Stock", "code": "S", "acquired_disposed": "D",
        "shares": "50000", "price": "17.04", "trans_date": "2023-11-06", "deemed_date": None,
        "trans_form_type": "4", "timeliness": None, "shares_following": "545259", "direct_indirect": "D",
        "nature": None,
        "is_10b5_1": True, "conv_price": None, "exercise_date": None, "expiration_date": None,
        "underlying_security": None, "underlying_shares": None, "footnotes": {"code": "F1", "price": "F2"},
    }],
}
"""What the real seed filing (placed byte-for-byte on 2023-11-08) contains, in manifest form."""


class ManifestWriter:
    """The manifest's records in filing order, each written once its ``amended_by`` is final."""

    def __init__(self, root: Path, start: dt.date, end: dt.date, per_day: int, business_days: int):
        self.root, self.start, self.end, self.per_day, self.business_days = root, start, end, per_day, business_days
        self.unflushed: list[list[dict]] = []  # recent days' records, until no amendment can touch them
        self.summary_days: list[dict] = []

    def add_day(self, day: dt.date, records: list[dict]) -> None:
        records.sort(key=lambda x: x["accession"])
        self.unflushed.append(records)
        self.summary_days.append(self.day_summary(day, records))

    def flush(self, out: TextIO, keep: int) -> None:
        """Write the records of all but the last ``keep`` days (their ``amended_by`` is final)."""
        while len(self.unflushed) > keep:
            for rec in self.unflushed.pop(0):
                out.write(json.dumps(rec, sort_keys=True) + "\n")

    @staticmethod
    def day_summary(day: dt.date, records: list[dict]) -> dict:
        by_form: dict[str, int] = {}
        for rec in records:
            by_form[rec["form_type"]] = by_form.get(rec["form_type"], 0) + 1
        return {
            "date": day.isoformat(), "filings": len(records), "by_form": dict(sorted(by_form.items())),
            "broken": sum(1 for x in records if x["broken"]),
            "inconsistent": sum(1 for x in records if x["inconsistent"]),
            "amendments": sum(1 for x in records if x["amends"]),
            "joint": sum(1 for x in records if x["joint"]),
            "nc": sum(1 for x in records if x["container"] == "nc"),
        }

    def write_summary(self) -> None:
        totals = {key: sum(d[key] for d in self.summary_days)
                  for key in ("filings", "broken", "inconsistent", "amendments", "joint", "nc")}
        summary = {"start": self.start.isoformat(), "end": self.end.isoformat(), "per_day": self.per_day,
                   "business_days": self.business_days, "totals": totals, "days": self.summary_days}
        (self.root / SUMMARY_NAME).write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n", encoding="utf-8")
