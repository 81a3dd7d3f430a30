"""Rendering of synthetic filings: the ownershipDocument XML, both submission containers
(the public ``.txt`` complete submission and the dissemination ``.nc``); the daily
indexes are rendered by ``synthetic.indexes``.

Plain string templates rather than a DOM: the generator writes tens of thousands of
filings per run and f-strings keep that to seconds. The shapes copy real EDGAR files
(the seed filing, a real ``.nc`` and real daily indexes) so the parser sees what it will
meet in the wild: tab-aligned SEC headers, trailing tabs on block lines, boolean words
(``true``/``false``) as well as digits, decimals written with and without ``.00``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

from form4_assets.synthetic.population import Issuer, Owner, Relationship

TRANSACTION_TABLES = ("nonderiv_trans", "deriv_trans")


@dataclass
class Row:
    """One transaction or holding row, with everything needed to render and record it.

    ``fns`` maps a field name (title, date, deemed, code, shares, price, ad, post, di,
    nature, conv, exercise, expiration, underlying_title, underlying_shares) to the
    footnote ids bound to it. ``price is None`` with a ``price`` footnote renders a
    footnote-only price (the value is absent, the footnote stands in its place).
    """

    table: str
    title: str
    di: str
    post: Decimal
    nature: str | None = None
    code: str | None = None
    ad: str | None = None
    shares: Decimal | None = None
    price: Decimal | None = None
    trans_date: dt.date | None = None
    deemed_date: dt.date | None = None
    form_type: str = "4"
    timeliness: str | None = None
    conv_price: Decimal | None = None
    exercise_date: dt.date | None = None
    expiration_date: dt.date | None = None
    underlying_title: str | None = None
    underlying_shares: Decimal | None = None
    pre: Decimal | None = None
    is_10b5_1: bool = False
    fns: dict[str, list[str]] = field(default_factory=dict)
    sk: int = 0

    @property
    def is_transaction(self) -> bool:
        return self.table in TRANSACTION_TABLES

    @property
    def chain_key(self) -> tuple[str, str, str, str]:
        """Rows whose post-transaction amounts follow each other inside one filing."""
        return (self.table, self.title, self.di, self.nature or "")


class Footnotes:
    """A filing's footnotes, numbered F1, F2, ... in order of first use; same text, same id."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []
        self._ids: dict[str, str] = {}

    def add(self, text: str) -> str:
        if text not in self._ids:
            self._ids[text] = f"F{len(self.items) + 1}"
            self.items.append((self._ids[text], text))
        return self._ids[text]


@dataclass
class Document:
    """One ownershipDocument as it will be written."""

    schema: str
    doc_type: str
    period: dt.date
    issuer: Issuer
    members: list[tuple[Owner, Relationship]]
    rows: list[Row]
    footnotes: Footnotes
    signature_date: dt.date
    orig_sub: dt.date | None = None
    no_securities: bool = False
    aff10b5one: bool | None = None
    remarks: str = ""
    bool_words: bool = False
    two_decimals: bool = False

    @property
    def base_form(self) -> str:
        return self.doc_type.split("/")[0]


def num(value: Decimal, two_decimals: bool) -> str:
    """A decimal as the filing writes it (``50000`` or ``50000.00``), never in exponent form."""
    if two_decimals and value == value.quantize(Decimal("0.01")):
        return f"{value.quantize(Decimal('0.01')):f}"
    return f"{value:f}"


def _flag(value: bool, words: bool) -> str:
    return ("true" if value else "false") if words else ("1" if value else "0")


def _fn(row: Row, name: str, pad: str) -> str:
    return "".join(f'{pad}<footnoteId id="{i}"/>\n' for i in row.fns.get(name, ()))


def _valued(tag: str, value: str | None, row: Row, fname: str, pad: str) -> str:
    """``<tag><value>..</value><footnoteId/></tag>``; a footnote-only value omits <value>."""
    inner = pad + "    "
    body = f"{inner}<value>{escape(value)}</value>\n" if value is not None else ""
    body += _fn(row, fname, inner)
    if not body:
        return ""
    return f"{pad}<{tag}>\n{body}{pad}</{tag}>\n"


def _date(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def _row_xml(row: Row, doc: Document) -> str:
    n = lambda v: None if v is None else num(v, doc.two_decimals)  # noqa: E731
    p = " " * 12
    deriv = row.table in ("deriv_trans", "deriv_holding")
    out = [_valued("securityTitle", row.title, row, "title", p)]
    if deriv:
        out.append(_valued("conversionOrExercisePrice", n(row.conv_price), row, "conv", p))
    if row.is_transaction:
        out.append(_valued("transactionDate", _date(row.trans_date), row, "date", p))
        if row.deemed_date or doc.two_decimals:
            out.append(_valued("deemedExecutionDate", _date(row.deemed_date), row, "deemed", p)
                       or f"{p}<deemedExecutionDate></deemedExecutionDate>\n")
        out.append(
            f"{p}<transactionCoding>\n{p}    <transactionFormType>{row.form_type}</transactionFormType>\n"
            f"{p}    <transactionCode>{row.code}</transactionCode>\n"
            f"{p}    <equitySwapInvolved>{_flag(False, doc.bool_words)}</equitySwapInvolved>\n"
            f"{_fn(row, 'code', p + '    ')}{p}</transactionCoding>\n"
        )
        if row.timeliness:
            out.append(f"{p}<transactionTimeliness>\n{p}    <value>{row.timeliness}</value>\n"
                       f"{p}</transactionTimeliness>\n")
        q = p + "    "
        out.append(
            f"{p}<transactionAmounts>\n"
            + _valued("transactionShares", n(row.shares), row, "shares", q)
            + (_valued("transactionPricePerShare", n(row.price), row, "price", q)
               or f"{q}<transactionPricePerShare></transactionPricePerShare>\n")
            + _valued("transactionAcquiredDisposedCode", row.ad, row, "ad", q)
            + f"{p}</transactionAmounts>\n"
        )
    if deriv:
        out.append(_valued("exerciseDate", _date(row.exercise_date), row, "exercise", p))
        out.append(_valued("expirationDate", _date(row.expiration_date), row, "expiration", p))
        q = p + "    "
        out.append(
            f"{p}<underlyingSecurity>\n"
            + _valued("underlyingSecurityTitle", row.underlying_title, row, "underlying_title", q)
            + _valued("underlyingSecurityShares", n(row.underlying_shares), row, "underlying_shares", q)
            + f"{p}</underlyingSecurity>\n"
        )
    q = p + "    "
    out.append(f"{p}<postTransactionAmounts>\n"
               + _valued("sharesOwnedFollowingTransaction", n(row.post), row, "post", q)
               + f"{p}</postTransactionAmounts>\n")
    out.append(f"{p}<ownershipNature>\n" + _valued("directOrIndirectOwnership", row.di, row, "di", q)
               + _valued("natureOfOwnership", row.nature, row, "nature", q) + f"{p}</ownershipNature>\n")
    tag = {"nonderiv_trans": "nonDerivativeTransaction", "deriv_trans": "derivativeTransaction",
           "nonderiv_holding": "nonDerivativeHolding", "deriv_holding": "derivativeHolding"}[row.table]
    return f"        <{tag}>\n{''.join(out)}        </{tag}>\n"


def _owner_xml(owner: Owner, rel: Relationship, words: bool) -> str:
    a = owner.address
    f = lambda v: _flag(v, words)  # noqa: E731
    extra = ""
    if rel.title:
        extra += f"            <officerTitle>{escape(rel.title)}</officerTitle>\n"
    if rel.other_text:
        extra += f"            <otherText>{escape(rel.other_text)}</otherText>\n"
    return (
        "    <reportingOwner>\n"
        "        <reportingOwnerId>\n"
        f"            <rptOwnerCik>{owner.cik:010d}</rptOwnerCik>\n"
        f"            <rptOwnerName>{escape(owner.name)}</rptOwnerName>\n"
        "        </reportingOwnerId>\n"
        "        <reportingOwnerAddress>\n"
        f"            <rptOwnerStreet1>{escape(a.street1)}</rptOwnerStreet1>\n"
        f"            <rptOwnerStreet2>{escape(a.street2)}</rptOwnerStreet2>\n"
        f"            <rptOwnerCity>{a.city}</rptOwnerCity>\n"
        f"            <rptOwnerState>{a.state}</rptOwnerState>\n"
        f"            <rptOwnerZipCode>{a.zip}</rptOwnerZipCode>\n"
        "            <rptOwnerStateDescription></rptOwnerStateDescription>\n"
        "        </reportingOwnerAddress>\n"
        "        <reportingOwnerRelationship>\n"
        f"            <isDirector>{f(rel.is_director)}</isDirector>\n"
        f"            <isOfficer>{f(rel.is_officer)}</isOfficer>\n"
        f"            <isTenPercentOwner>{f(rel.is_ten_pct)}</isTenPercentOwner>\n"
        f"            <isOther>{f(rel.is_other)}</isOther>\n"
        f"{extra}"
        "        </reportingOwnerRelationship>\n"
        "    </reportingOwner>\n"
    )


def render_document(doc: Document) -> str:
    """The ownershipDocument XML (with its XML declaration)."""
    w = doc.bool_words
    head = [
        '<?xml version="1.0"?>\n<ownershipDocument>\n',
        f"    <schemaVersion>{doc.schema}</schemaVersion>\n",
        f"    <documentType>{doc.doc_type}</documentType>\n",
        f"    <periodOfReport>{doc.period.isoformat()}</periodOfReport>\n",
    ]
    if doc.orig_sub:
        head.append(f"    <dateOfOriginalSubmission>{doc.orig_sub.isoformat()}</dateOfOriginalSubmission>\n")
    if doc.base_form == "3":
        head.append(f"    <noSecuritiesOwned>{_flag(doc.no_securities, w)}</noSecuritiesOwned>\n")
    else:
        head.append(f"    <notSubjectToSection16>{_flag(False, w)}</notSubjectToSection16>\n")
    if doc.base_form == "5":
        head.append(f"    <form3HoldingsReported>{_flag(False, w)}</form3HoldingsReported>\n"
                    f"    <form4TransactionsReported>{_flag(False, w)}</form4TransactionsReported>\n")
    i = doc.issuer
    head.append(
        "    <issuer>\n"
        f"        <issuerCik>{i.cik:010d}</issuerCik>\n"
        f"        <issuerName>{escape(i.name)}</issuerName>\n"
        f"        <issuerTradingSymbol>{i.ticker}</issuerTradingSymbol>\n"
        "    </issuer>\n"
    )
    head += [_owner_xml(o, r, w) for o, r in doc.members]
    if doc.aff10b5one is not None:
        head.append(f"    <aff10b5One>{_flag(doc.aff10b5one, w)}</aff10b5One>\n")
    nd = [r for r in doc.rows if r.table.startswith("nonderiv")]
    de = [r for r in doc.rows if r.table.startswith("deriv")]
    if nd or not doc.no_securities:
        head.append("    <nonDerivativeTable>\n" + "".join(_row_xml(r, doc) for r in nd) + "    </nonDerivativeTable>\n"
                    if nd else "    <nonDerivativeTable></nonDerivativeTable>\n")
    if de or not doc.no_securities:
        head.append("    <derivativeTable>\n" + "".join(_row_xml(r, doc) for r in de) + "    </derivativeTable>\n"
                    if de else "    <derivativeTable></derivativeTable>\n")
    if doc.footnotes.items:
        head.append("    <footnotes>\n" + "".join(
            f'        <footnote id="{fid}">{escape(text)}</footnote>\n' for fid, text in doc.footnotes.items
        ) + "    </footnotes>\n")
    head.append(f"    <remarks>{escape(doc.remarks)}</remarks>\n")
    for owner, _ in doc.members:
        signer = owner.signer or f"{owner.name}, by its authorized signatory"
        head.append(
            "    <ownerSignature>\n"
            f"        <signatureName>/s/ {escape(signer)}</signatureName>\n"
            f"        <signatureDate>{doc.signature_date.isoformat()}</signatureDate>\n"
            "    </ownerSignature>\n"
        )
        if owner.signer:  # a person signs once for a joint filing of their entities
            break
    head.append("</ownershipDocument>\n")
    return "".join(head)


@dataclass(frozen=True)
class Envelope:
    """What the SEC header says about a submission."""

    accession: str
    form_type: str
    filed: dt.date
    accepted: dt.datetime
    period: dt.date
    issuer: Issuer
    owners: list[Owner]
    film_numbers: list[str]
    xml_filename: str
    trailing_tabs: bool
    exhibit: str | None = None  # text of an EX-24 power of attorney, when attached


def yyyymmdd(d: dt.date) -> str:
    return d.strftime("%Y%m%d")


def _txt_address(label: str, a, t: str, phone: str | None = None) -> str:
    lines = [f"\t{label}:{t}\n", f"\t\tSTREET 1:\t\t{a.street1}\n"]
    if a.street2:
        lines.append(f"\t\tSTREET 2:\t\t{a.street2}\n")
    lines += [f"\t\tCITY:\t\t\t{a.city}\n", f"\t\tSTATE:\t\t\t{a.state}\n", f"\t\tZIP:\t\t\t{a.zip}\n"]
    if phone:
        lines.append(f"\t\tBUSINESS PHONE:\t\t{phone}\n")
    return "".join(lines)


def sec_header_txt(env: Envelope) -> str:
    """The public ``.txt`` SEC header, laid out like the seed filing's."""
    t = "\t" if env.trailing_tabs else ""
    ymd = yyyymmdd(env.filed)
    out = [
        f"<SEC-DOCUMENT>{env.accession}.txt : {ymd}\n",
        f"<SEC-HEADER>{env.accession}.hdr.sgml : {ymd}\n",
        f"<ACCEPTANCE-DATETIME>{env.accepted:%Y%m%d%H%M%S}\n",
        f"ACCESSION NUMBER:\t\t{env.accession}\n",
        f"CONFORMED SUBMISSION TYPE:\t{env.form_type}\n",
        f"PUBLIC DOCUMENT COUNT:\t\t{2 if env.exhibit else 1}\n",
        f"CONFORMED PERIOD OF REPORT:\t{yyyymmdd(env.period)}\n",
        f"FILED AS OF DATE:\t\t{ymd}\n",
        f"DATE AS OF CHANGE:\t\t{ymd}\n",
    ]
    for owner, film in zip(env.owners, env.film_numbers):
        out += [
            f"\nREPORTING-OWNER:{t}\n\n\tOWNER DATA:{t}\n",
            f"\t\tCOMPANY CONFORMED NAME:\t\t\t{owner.name}\n",
            f"\t\tCENTRAL INDEX KEY:\t\t\t{owner.cik:010d}\n",
            f"\n\tFILING VALUES:\n\t\tFORM TYPE:\t\t{env.form_type}\n\t\tSEC ACT:\t\t1934 Act\n",
            f"\t\tSEC FILE NUMBER:\t{env.issuer.file_number}\n\t\tFILM NUMBER:\t\t{film}\n\n",
            _txt_address("MAIL ADDRESS", owner.address, t),
        ]
    i = env.issuer
    out += [
        f"\nISSUER:{t}{t}\n\n\tCOMPANY DATA:{t}\n",
        f"\t\tCOMPANY CONFORMED NAME:\t\t\t{i.name}\n",
        f"\t\tCENTRAL INDEX KEY:\t\t\t{i.cik:010d}\n",
        f"\t\tSTANDARD INDUSTRIAL CLASSIFICATION:\t{i.sic_desc} [{i.sic_code}]\n",
        f"\t\tORGANIZATION NAME:           \t{i.org_name}\n",
        f"\t\tIRS NUMBER:\t\t\t\t{i.irs}\n",
        f"\t\tSTATE OF INCORPORATION:\t\t\t{i.state_inc}\n",
        f"\t\tFISCAL YEAR END:\t\t\t{i.fye}\n\n",
        _txt_address("BUSINESS ADDRESS", i.address, t, i.phone), "\n",
        _txt_address("MAIL ADDRESS", i.address, t),
    ]
    if i.former_name:
        out.append(f"\n\tFORMER COMPANY:{t}\n\t\tFORMER CONFORMED NAME:\t{i.former_name[0]}\n"
                   f"\t\tDATE OF NAME CHANGE:\t{i.former_name[1]}\n")
    out.append("</SEC-HEADER>\n")
    return "".join(out)


def _exhibit_txt(env: Envelope) -> str:
    return (f"<DOCUMENT>\n<TYPE>EX-24\n<SEQUENCE>2\n<FILENAME>poa.txt\n<DESCRIPTION>POWER OF ATTORNEY\n"
            f"<TEXT>\n{env.exhibit}\n</TEXT>\n</DOCUMENT>\n")


def render_txt(env: Envelope, xml: str) -> str:
    """A complete public ``.txt`` submission around an ownershipDocument."""
    desc = f"FORM {env.form_type}"
    return (
        sec_header_txt(env)
        + f"<DOCUMENT>\n<TYPE>{env.form_type}\n<SEQUENCE>1\n<FILENAME>{env.xml_filename}\n<DESCRIPTION>{desc}\n"
        + f"<TEXT>\n<XML>\n{xml}</XML>\n</TEXT>\n</DOCUMENT>\n"
        + (_exhibit_txt(env) if env.exhibit else "")
        + "</SEC-DOCUMENT>\n"
    )


def render_text_only(env: Envelope, body: str) -> str:
    """A submission whose only document is plain text (pre-XML style): no ownershipDocument."""
    return (
        sec_header_txt(env)
        + f"<DOCUMENT>\n<TYPE>{env.form_type}\n<SEQUENCE>1\n<FILENAME>form4.txt\n<DESCRIPTION>FORM {env.form_type}\n"
        + f"<TEXT>\n{body}</TEXT>\n</DOCUMENT>\n</SEC-DOCUMENT>\n"
    )


def _nc_address(tag: str, a, phone: str | None = None) -> str:
    s = f"<{tag}><STREET1>{a.street1}"
    if a.street2:
        s += f"<STREET2>{a.street2}"
    s += f"<CITY>{a.city}<STATE>{a.state}<ZIP>{a.zip}"
    if phone:
        s += f"<PHONE>{phone}"
    return s + f"</{tag}>"


def render_nc(env: Envelope, xml: str) -> str:
    """A dissemination ``.nc`` submission (SGML tags, like EDGAR's feed files)."""
    ymd = yyyymmdd(env.filed)
    out = [
        "<SUBMISSION>\n",
        f"<ACCESSION-NUMBER>{env.accession}<TYPE>{env.form_type}<PUBLIC-DOCUMENT-COUNT>1"
        f"<PERIOD>{yyyymmdd(env.period)}<FILING-DATE>{ymd}<DATE-OF-FILING-DATE-CHANGE>{ymd}",
    ]
    for owner, film in zip(env.owners, env.film_numbers):
        out.append(
            f"<REPORTING-OWNER><OWNER-DATA><CONFORMED-NAME>{owner.name}<CIK>{owner.cik:010d}"
            f"<ORGANIZATION-NAME></OWNER-DATA><FILING-VALUES><FORM-TYPE>{env.form_type}<ACT>34"
            f"<FILE-NUMBER>{env.issuer.file_number}<FILM-NUMBER>{film}</FILING-VALUES>"
            + _nc_address("MAIL-ADDRESS", owner.address) + "</REPORTING-OWNER>"
        )
    i = env.issuer
    out.append(
        f"<ISSUER><COMPANY-DATA><CONFORMED-NAME>{i.name}<CIK>{i.cik:010d}<ASSIGNED-SIC>{i.sic_code}"
        f"<ORGANIZATION-NAME>{i.org_name}<IRS-NUMBER>{i.irs}<STATE-OF-INCORPORATION>{i.state_inc}"
        f"<FISCAL-YEAR-END>{i.fye}</COMPANY-DATA>"
        + _nc_address("BUSINESS-ADDRESS", i.address, i.phone) + _nc_address("MAIL-ADDRESS", i.address)
        + "</ISSUER>"
    )
    out.append(f"<DOCUMENT><TYPE>{env.form_type}<SEQUENCE>1<FILENAME>{env.xml_filename}"
               f"<DESCRIPTION>PRIMARY DOCUMENT<TEXT><XML>{xml}</XML></TEXT></DOCUMENT></SUBMISSION>\n")
    return "".join(out)
