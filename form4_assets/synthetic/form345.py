"""The synthetic mirror's quarterly Form 345 data sets, from the same documents as its filings.

For every quarter the mirror covers, `YYYYqN_form345.zip` goes where the SEC publishes it
(`edgar.paths.form345_dataset_path`), holding the eight tab-separated files in the SEC's
2024 Q3 layout (`form345.layout.sec_header`) and with its quirks: DD-MON-YYYY dates,
footnote ids as ``F1, F2``, every number rounded to two decimals and printed with a
decimal point (``250000.0``), flags as the filing wrote them (``0/1`` or ``true/false``),
a field holding a double quote wrapped in double quotes, ASCII text, and surrogate keys
(`*_SK`) numbered through the quarter in document order.

The rows are written from the generator's `Document` and `Envelope`, not by parsing the
filings, so reconciling the parsed filings with this data set tests the parser. Filings
broken on purpose are left out (the SEC's set is built from the filings it could read),
and so is the real seed filing, which has no `Document`. Each quarter's lines go to
temporary files as they are made and are zipped when the quarter ends, so memory holds
one filing's rows whatever the mirror's size.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import IO

from form4_assets.edgar.paths import form345_dataset_path, quarter
from form4_assets.form345.layout import sec_header
from form4_assets.form345.values import sec_date, sec_number
from form4_assets.synthetic.ownership_xml import Document, Envelope, Row
from form4_assets.tables import SEC_TABLES_BY_FILE

_CENT = Decimal("0.01")
_ROW_FILES = {"nonderiv_trans": "NONDERIV_TRANS.tsv", "deriv_trans": "DERIV_TRANS.tsv",
              "nonderiv_holding": "NONDERIV_HOLDING.tsv", "deriv_holding": "DERIV_HOLDING.tsv"}
#: Where the surrogate keys of each row table start (the SEC's run into the millions).
_FIRST_SK = 1_000_001


def _number(value: Decimal | None) -> str:
    return "" if value is None else sec_number(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def _date(value: dt.date | None) -> str:
    return "" if value is None else sec_date(value)


def _flag(value: bool, words: bool) -> str:
    return ("true" if value else "false") if words else ("1" if value else "0")


def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii")


def _row_fields(row: Row, doc: Document) -> dict[str, str]:
    """One transaction or holding row's fields by column, as the XML of `ownership_xml` states them."""

    def fn(name: str) -> str:
        return ", ".join(row.fns.get(name, ()))

    out = {
        "SECURITY_TITLE": row.title, "SECURITY_TITLE_FN": fn("title"),
        "SHRS_OWND_FOLWNG_TRANS": _number(row.post), "SHRS_OWND_FOLWNG_TRANS_FN": fn("post"),
        "DIRECT_INDIRECT_OWNERSHIP": row.di, "DIRECT_INDIRECT_OWNERSHIP_FN": fn("di"),
        "NATURE_OF_OWNERSHIP": row.nature or "", "NATURE_OF_OWNERSHIP_FN": fn("nature"),
        "CONV_EXERCISE_PRICE": _number(row.conv_price), "CONV_EXERCISE_PRICE_FN": fn("conv"),
        "EXPIRATION_DATE": _date(row.expiration_date), "EXPIRATION_DATE_FN": fn("expiration"),
        "UNDLYNG_SEC_TITLE": row.underlying_title or "", "UNDLYNG_SEC_TITLE_FN": fn("underlying_title"),
        "UNDLYNG_SEC_SHARES": _number(row.underlying_shares), "UNDLYNG_SEC_SHARES_FN": fn("underlying_shares"),
    }
    exercise = "EXCERCISE_DATE" if row.is_transaction else "EXERCISE_DATE"  # the SEC's spelling in DERIV_TRANS
    out[exercise], out[f"{exercise}_FN"] = _date(row.exercise_date), fn("exercise")
    if row.is_transaction:
        out.update({
            "TRANS_DATE": _date(row.trans_date), "TRANS_DATE_FN": fn("date"),
            "DEEMED_EXECUTION_DATE": _date(row.deemed_date), "DEEMED_EXECUTION_DATE_FN": fn("deemed"),
            "TRANS_FORM_TYPE": row.form_type, "TRANS_CODE": row.code or "",
            "EQUITY_SWAP_INVOLVED": _flag(False, doc.bool_words), "EQUITY_SWAP_TRANS_CD_FN": fn("code"),
            "TRANS_TIMELINESS": row.timeliness or "",
            "TRANS_SHARES": _number(row.shares), "TRANS_SHARES_FN": fn("shares"),
            "TRANS_PRICEPERSHARE": _number(row.price), "TRANS_PRICEPERSHARE_FN": fn("price"),
            "TRANS_ACQUIRED_DISP_CD": row.ad or "", "TRANS_ACQUIRED_DISP_CD_FN": fn("ad"),
        })
    return out


def filing_rows(env: Envelope, doc: Document) -> list[tuple[str, dict[str, str]]]:
    """(data-set file, fields by column) of every row the SEC's set holds for one filing."""
    words, base = doc.bool_words, doc.base_form
    issuer = doc.issuer
    rows: list[tuple[str, dict[str, str]]] = [("SUBMISSION.tsv", {
        "ACCESSION_NUMBER": env.accession, "FILING_DATE": _date(env.filed), "PERIOD_OF_REPORT": _date(doc.period),
        "DATE_OF_ORIG_SUB": _date(doc.orig_sub),
        "NO_SECURITIES_OWNED": _flag(doc.no_securities, words) if base == "3" else "",
        "NOT_SUBJECT_SEC16": _flag(False, words) if base != "3" else "",
        "FORM3_HOLDINGS_REPORTED": _flag(False, words) if base == "5" else "",
        "FORM4_TRANS_REPORTED": _flag(False, words) if base == "5" else "",
        "DOCUMENT_TYPE": doc.doc_type, "ISSUERCIK": f"{issuer.cik:010d}", "ISSUERNAME": issuer.name,
        "ISSUERTRADINGSYMBOL": issuer.ticker, "REMARKS": doc.remarks,
    })]
    for owner, rel in doc.members:
        roles = (("Director", rel.is_director), ("Officer", rel.is_officer),
                 ("TenPercentOwner", rel.is_ten_pct), ("Other", rel.is_other))
        a = owner.address
        rows.append(("REPORTINGOWNER.tsv", {
            "RPTOWNERCIK": f"{owner.cik:010d}", "RPTOWNERNAME": owner.name,
            "RPTOWNER_RELATIONSHIP": ",".join(name for name, on in roles if on),
            "RPTOWNER_TITLE": rel.title or "", "RPTOWNER_TXT": rel.other_text or "",
            "RPTOWNER_STREET1": a.street1, "RPTOWNER_STREET2": a.street2, "RPTOWNER_CITY": a.city,
            "RPTOWNER_STATE": a.state, "RPTOWNER_ZIPCODE": a.zip, "FILE_NUMBER": issuer.file_number,
        }))
    rows += [(_ROW_FILES[row.table], _row_fields(row, doc)) for row in doc.rows]
    rows += [("FOOTNOTES.tsv", {"FOOTNOTE_ID": fid, "FOOTNOTE_TXT": text}) for fid, text in doc.footnotes.items]
    for owner, _ in doc.members:
        signer = owner.signer or f"{owner.name}, by its authorized signatory"
        rows.append(("OWNER_SIGNATURE.tsv", {"OWNERSIGNATURENAME": f"/s/ {signer}",
                                             "OWNERSIGNATUREDATE": _date(doc.signature_date)}))
        if owner.signer:  # one signature for a joint filing of a person's entities, as the XML has
            break
    for _, fields in rows:
        fields["ACCESSION_NUMBER"] = env.accession
    return rows


class DatasetWriter:
    """Accumulates a quarter's rows in temporary files under `root` and zips each quarter."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.work = root / ".form345-work"
        self.quarter: tuple[int, int] | None = None
        self.files: dict[str, tuple[IO[str], csv.writer]] = {}  # type: ignore[valid-type]
        self.sk = {name: _FIRST_SK for name in _ROW_FILES.values()}
        self.written: list[Path] = []

    def add(self, env: Envelope, doc: Document) -> None:
        key = (env.filed.year, quarter(env.filed))
        if key != self.quarter:
            self.finish_quarter()
            self._start(key)
        for name, fields in filing_rows(env, doc):
            if name in self.sk:
                fields[name.removesuffix(".tsv") + "_SK"] = str(self.sk[name])
                self.sk[name] += 1
            _, writer = self.files[name]
            writer.writerow([_ascii(fields.get(column, "")) for column in sec_header(SEC_TABLES_BY_FILE[name])])

    def _start(self, key: tuple[int, int]) -> None:
        self.quarter = key
        self.work.mkdir(parents=True, exist_ok=True)
        for name, spec in SEC_TABLES_BY_FILE.items():
            handle = (self.work / name).open("w", encoding="ascii", newline="")
            writer = csv.writer(handle, delimiter="\t", quotechar='"', doublequote=True, lineterminator="\n")
            writer.writerow(sec_header(spec))
            self.files[name] = (handle, writer)

    def finish_quarter(self) -> None:
        """Zip the quarter in progress (if any) to its place in the mirror."""
        if self.quarter is None:
            return
        for handle, _ in self.files.values():
            handle.close()
        path = self.root / form345_dataset_path(*self.quarter)
        path.parent.mkdir(parents=True, exist_ok=True)
        year, number = self.quarter
        stamp = (year + number // 4, number % 4 * 3 + 1, 1, 0, 0, 0)  # the next quarter's first day, not the clock
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in SEC_TABLES_BY_FILE:
                info = zipfile.ZipInfo(name, stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                with (self.work / name).open("rb") as source, archive.open(info, "w") as target:
                    shutil.copyfileobj(source, target, 1 << 20)
        shutil.rmtree(self.work)
        self.files, self.quarter = {}, None
        self.written.append(path)
