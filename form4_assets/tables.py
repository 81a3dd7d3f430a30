"""The warehouse's table layout: one definition shared by the parser, the SQL schema,
the Dagster column metadata and the Form 345 export.

Columns follow the SEC's Form 345 data-set names so users can join against the
SEC's quarterly files. Where we keep more than the data set does (row positions,
schema version, the partition's FILING_DATE on every table) the extra columns are
marked ``extra=True`` and the export leaves them out.

Value kinds (what the parser emits, what the SQL schema stores):
- ``text``: ``str``
- ``date``: ``datetime.date`` (ISO ``YYYY-MM-DD`` in JSON)
- ``datetime``: ``datetime.datetime`` (naive, EDGAR's Eastern time)
- ``decimal``: ``decimal.Decimal``, exactly as written in the filing
- ``int``: ``int``
- ``flag``: ``bool`` (the filing says 1/0 or true/false)
- ``fn``: footnote ids bound to a value, comma-separated (``"F1,F3"``), ``None`` when none
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["text", "date", "datetime", "decimal", "int", "flag", "fn"]


@dataclass(frozen=True)
class Column:
    """One warehouse column: its SEC name, value kind and meaning."""

    name: str
    kind: Kind
    description: str
    extra: bool = False  # not in the SEC Form 345 data set


@dataclass(frozen=True)
class Table:
    """One warehouse table; ``key`` identifies a row within the whole warehouse."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    sec_file: str | None = None  # the Form 345 data-set file it exports to

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name}")


def _valued(name: str, kind: Kind, description: str) -> tuple[Column, Column]:
    """A value column and its ``_FN`` footnote-id column."""
    return (
        Column(name, kind, description),
        Column(f"{name}_FN", "fn", f"Footnote ids bound to {name}"),
    )


ACCESSION = Column("ACCESSION_NUMBER", "text", "EDGAR accession number, 0000000000-YY-NNNNNN")
FILING_DATE = Column("FILING_DATE", "date", "Filing date: the partition this row belongs to")
FILING_DATE_EXTRA = Column(
    "FILING_DATE", "date", "Filing date: the partition this row belongs to", extra=True
)

RAW_FILINGS = Table(
    "raw_filings",
    "One row per Form 3/4/5 (and /A) listed in EDGAR's daily index for the filing date; "
    "the bytes are kept unmodified in the on-disk cache or mirror at LOCAL_PATH.",
    (
        FILING_DATE,
        ACCESSION,
        Column("CIK", "text", "CIK whose folder the index lists the filing under"),
        Column("FORM_TYPE", "text", "Form type as listed in the daily index"),
        Column("COMPANY_NAME", "text", "Company name as listed in the daily index"),
        Column("EDGAR_PATH", "text", "Path below the EDGAR root, e.g. edgar/data/<cik>/<accession>.txt"),
        Column("LOCAL_PATH", "text", "Where the unmodified bytes are stored on disk"),
        Column("SHA256", "text", "SHA-256 of the stored bytes, hex"),
        Column("SIZE_BYTES", "int", "Size of the stored bytes"),
        Column("FETCH_ERROR", "text", "Why the filing could not be fetched (it is then quarantined as fetch_failed)"),
    ),
    key=("ACCESSION_NUMBER",),
)

FILING_HEADERS = Table(
    "filing_headers",
    "The <SEC-HEADER> of each filing (either container format).",
    (
        FILING_DATE,
        ACCESSION,
        Column("CONTAINER", "text", "txt (public complete submission), nc (dissemination) or xml (bare document)"),
        Column("CONFORMED_SUBMISSION_TYPE", "text", "Form type in the header (4, 4/A, ...)"),
        Column("PUBLIC_DOCUMENT_COUNT", "int", "Number of documents in the submission"),
        Column("PERIOD_OF_REPORT", "date", "CONFORMED PERIOD OF REPORT"),
        Column("FILED_AS_OF_DATE", "date", "FILED AS OF DATE"),
        Column("DATE_AS_OF_CHANGE", "date", "DATE AS OF CHANGE"),
        Column("ACCEPTANCE_DATETIME", "datetime", "EDGAR acceptance time (Eastern)"),
        Column("ISSUER_CIK", "text", "CIK of the ISSUER block"),
        Column("ISSUER_NAME", "text", "Conformed name of the ISSUER block"),
        Column("DOCUMENTS", "text", "JSON list of the submission's documents (type, sequence, filename, description)"),
    ),
    key=("ACCESSION_NUMBER",),
)

HEADER_PARTIES = Table(
    "header_parties",
    "Every REPORTING-OWNER and ISSUER block of the SEC header, in header order.",
    (
        FILING_DATE,
        ACCESSION,
        Column("PARTY_SK", "int", "1-based position of the block in the header"),
        Column("ROLE", "text", "REPORTING-OWNER or ISSUER (also FILER, SUBJECT-COMPANY where present)"),
        Column("CIK", "text", "CENTRAL INDEX KEY"),
        Column("NAME", "text", "COMPANY CONFORMED NAME"),
        Column("SIC", "text", "STANDARD INDUSTRIAL CLASSIFICATION"),
        Column("IRS_NUMBER", "text", "IRS NUMBER"),
        Column("STATE_OF_INCORPORATION", "text", "STATE OF INCORPORATION"),
        Column("FISCAL_YEAR_END", "text", "FISCAL YEAR END (MMDD)"),
        Column("FORM_TYPE", "text", "FILING VALUES: FORM TYPE"),
        Column("SEC_ACT", "text", "FILING VALUES: SEC ACT"),
        Column("FILE_NUMBER", "text", "FILING VALUES: SEC FILE NUMBER"),
        Column("FILM_NUMBER", "text", "FILING VALUES: FILM NUMBER"),
        Column("BUSINESS_STREET1", "text", "BUSINESS ADDRESS: STREET 1"),
        Column("BUSINESS_STREET2", "text", "BUSINESS ADDRESS: STREET 2"),
        Column("BUSINESS_CITY", "text", "BUSINESS ADDRESS: CITY"),
        Column("BUSINESS_STATE", "text", "BUSINESS ADDRESS: STATE"),
        Column("BUSINESS_ZIP", "text", "BUSINESS ADDRESS: ZIP"),
        Column("BUSINESS_PHONE", "text", "BUSINESS ADDRESS: BUSINESS PHONE"),
        Column("MAIL_STREET1", "text", "MAIL ADDRESS: STREET 1"),
        Column("MAIL_STREET2", "text", "MAIL ADDRESS: STREET 2"),
        Column("MAIL_CITY", "text", "MAIL ADDRESS: CITY"),
        Column("MAIL_STATE", "text", "MAIL ADDRESS: STATE"),
        Column("MAIL_ZIP", "text", "MAIL ADDRESS: ZIP"),
        Column("FORMER_NAMES", "text", "JSON list of {name, date_of_change} (FORMER COMPANY / FORMER NAME blocks)"),
    ),
    key=("ACCESSION_NUMBER", "PARTY_SK"),
)

SUBMISSION = Table(
    "submission",
    "One row per ownershipDocument (Form 345 data set: SUBMISSION).",
    (
        ACCESSION,
        FILING_DATE,
        Column("PERIOD_OF_REPORT", "date", "periodOfReport"),
        Column("DATE_OF_ORIG_SUB", "date", "dateOfOriginalSubmission (amendments)"),
        Column("NO_SECURITIES_OWNED", "flag", "noSecuritiesOwned (Form 3)"),
        Column("NOT_SUBJECT_SEC16", "flag", "notSubjectToSection16"),
        Column("FORM3_HOLDINGS_REPORTED", "flag", "form3HoldingsReported (Form 5)"),
        Column("FORM4_TRANS_REPORTED", "flag", "form4TransactionsReported (Form 5)"),
        Column("DOCUMENT_TYPE", "text", "documentType: 3, 3/A, 4, 4/A, 5, 5/A"),
        Column("ISSUERCIK", "text", "issuerCik"),
        Column("ISSUERNAME", "text", "issuerName"),
        Column("ISSUERTRADINGSYMBOL", "text", "issuerTradingSymbol"),
        Column("REMARKS", "text", "remarks"),
        Column("AFF10B5ONE", "flag", "aff10b5One: transactions under a Rule 10b5-1 plan (schema X0508+)"),
        Column("SCHEMA_VERSION", "text", "schemaVersion (X0202 ... X0609)", extra=True),
    ),
    key=("ACCESSION_NUMBER",),
    sec_file="SUBMISSION.tsv",
)

REPORTING_OWNER = Table(
    "reporting_owner",
    "Every reportingOwner of an ownershipDocument (Form 345 data set: REPORTINGOWNER).",
    (
        ACCESSION,
        Column("RPTOWNER_SK", "int", "1-based position among the document's reporting owners", extra=True),
        Column("RPTOWNERCIK", "text", "rptOwnerCik"),
        Column("RPTOWNERNAME", "text", "rptOwnerName"),
        Column("RPTOWNER_RELATIONSHIP", "text", "Relationship flags set, comma-separated: Director,Officer,TenPercentOwner,Other"),
        Column("RPTOWNER_TITLE", "text", "officerTitle"),
        Column("RPTOWNER_TXT", "text", "otherText"),
        Column("RPTOWNER_STREET1", "text", "rptOwnerStreet1"),
        Column("RPTOWNER_STREET2", "text", "rptOwnerStreet2"),
        Column("RPTOWNER_CITY", "text", "rptOwnerCity"),
        Column("RPTOWNER_STATE", "text", "rptOwnerState"),
        Column("RPTOWNER_ZIPCODE", "text", "rptOwnerZipCode"),
        Column("RPTOWNER_STATE_DESC", "text", "rptOwnerStateDescription"),
        Column("FILE_NUMBER", "text", "SEC file number of this owner from the SEC header, when present"),
        FILING_DATE_EXTRA,
    ),
    key=("ACCESSION_NUMBER", "RPTOWNER_SK"),
    sec_file="REPORTINGOWNER.tsv",
)

_TRANS_HEAD: tuple[Column, ...] = (
    *_valued("SECURITY_TITLE", "text", "securityTitle"),
)
_COMMON_TRANS: tuple[Column, ...] = (
    *_valued("TRANS_DATE", "date", "transactionDate"),
    *_valued("DEEMED_EXECUTION_DATE", "date", "deemedExecutionDate"),
    Column("TRANS_FORM_TYPE", "text", "transactionCoding/transactionFormType"),
    Column("TRANS_CODE", "text", "transactionCoding/transactionCode (P, S, A, M, F, G, ...)"),
    Column("EQUITY_SWAP_INVOLVED", "flag", "transactionCoding/equitySwapInvolved"),
    Column("EQUITY_SWAP_TRANS_CD_FN", "fn", "Footnote ids bound to transactionCoding"),
    *_valued("TRANS_TIMELINESS", "text", "transactionTimeliness (E early, L late)"),
    *_valued("TRANS_SHARES", "decimal", "transactionAmounts/transactionShares"),
)
_POST_AND_NATURE: tuple[Column, ...] = (
    *_valued("SHRS_OWND_FOLWNG_TRANS", "decimal", "postTransactionAmounts/sharesOwnedFollowingTransaction"),
    *_valued("VALU_OWND_FOLWNG_TRANS", "decimal", "postTransactionAmounts/valueOwnedFollowingTransaction"),
    *_valued("DIRECT_INDIRECT_OWNERSHIP", "text", "ownershipNature/directOrIndirectOwnership (D or I)"),
    *_valued("NATURE_OF_OWNERSHIP", "text", "ownershipNature/natureOfOwnership"),
)
_UNDERLYING: tuple[Column, ...] = (
    *_valued("UNDLYNG_SEC_TITLE", "text", "underlyingSecurity/underlyingSecurityTitle"),
    *_valued("UNDLYNG_SEC_SHARES", "decimal", "underlyingSecurity/underlyingSecurityShares"),
    *_valued("UNDLYNG_SEC_VALUE", "decimal", "underlyingSecurity/underlyingSecurityValue"),
)

NONDERIV_TRANS = Table(
    "nonderiv_trans",
    "One row per nonDerivativeTransaction (Form 345 data set: NONDERIV_TRANS).",
    (
        ACCESSION,
        Column("NONDERIV_TRANS_SK", "int", "1-based position of the row in the document's non-derivative table"),
        *_TRANS_HEAD,
        *_COMMON_TRANS,
        *_valued("TRANS_PRICEPERSHARE", "decimal", "transactionAmounts/transactionPricePerShare"),
        *_valued("TRANS_ACQUIRED_DISP_CD", "text", "transactionAmounts/transactionAcquiredDisposedCode (A or D)"),
        *_POST_AND_NATURE,
        FILING_DATE_EXTRA,
    ),
    key=("ACCESSION_NUMBER", "NONDERIV_TRANS_SK"),
    sec_file="NONDERIV_TRANS.tsv",
)

DERIV_TRANS = Table(
    "deriv_trans",
    "One row per derivativeTransaction (Form 345 data set: DERIV_TRANS).",
    (
        ACCESSION,
        Column("DERIV_TRANS_SK", "int", "1-based position of the row in the document's derivative table"),
        *_TRANS_HEAD,
        *_valued("CONV_EXERCISE_PRICE", "decimal", "conversionOrExercisePrice"),
        *_COMMON_TRANS,
        *_valued("TRANS_TOTAL_VALUE", "decimal", "transactionAmounts/transactionTotalValue"),
        *_valued("TRANS_PRICEPERSHARE", "decimal", "transactionAmounts/transactionPricePerShare"),
        *_valued("TRANS_ACQUIRED_DISP_CD", "text", "transactionAmounts/transactionAcquiredDisposedCode (A or D)"),
        *_valued("EXCERCISE_DATE", "date", "exerciseDate (the SEC's spelling)"),
        *_valued("EXPIRATION_DATE", "date", "expirationDate"),
        *_UNDERLYING,
        *_POST_AND_NATURE,
        FILING_DATE_EXTRA,
    ),
    key=("ACCESSION_NUMBER", "DERIV_TRANS_SK"),
    sec_file="DERIV_TRANS.tsv",
)

NONDERIV_HOLDING = Table(
    "nonderiv_holding",
    "One row per nonDerivativeHolding (Form 345 data set: NONDERIV_HOLDING).",
    (
        ACCESSION,
        Column("NONDERIV_HOLDING_SK", "int", "1-based position of the row among the document's non-derivative holdings"),
        *_TRANS_HEAD,
        *_valued("TRANS_FORM_TYPE", "text", "transactionCoding/transactionFormType of the holding, when given"),
        *_POST_AND_NATURE,
        FILING_DATE_EXTRA,
    ),
    key=("ACCESSION_NUMBER", "NONDERIV_HOLDING_SK"),
    sec_file="NONDERIV_HOLDING.tsv",
)

DERIV_HOLDING = Table(
    "deriv_holding",
    "One row per derivativeHolding (Form 345 data set: DERIV_HOLDING).",
    (
        ACCESSION,
        Column("DERIV_HOLDING_SK", "int", "1-based position of the row among the document's derivative holdings"),
        *_TRANS_HEAD,
        *_valued("CONV_EXERCISE_PRICE", "decimal", "conversionOrExercisePrice"),
        *_valued("TRANS_FORM_TYPE", "text", "transactionCoding/transactionFormType of the holding, when given"),
        *_valued("EXERCISE_DATE", "date", "exerciseDate"),
        *_valued("EXPIRATION_DATE", "date", "expirationDate"),
        *_UNDERLYING,
        *_POST_AND_NATURE,
        FILING_DATE_EXTRA,
    ),
    key=("ACCESSION_NUMBER", "DERIV_HOLDING_SK"),
    sec_file="DERIV_HOLDING.tsv",
)

FOOTNOTES = Table(
    "footnotes",
    "Footnotes of an ownershipDocument (Form 345 data set: FOOTNOTES).",
    (
        ACCESSION,
        Column("FOOTNOTE_ID", "text", "footnote id, e.g. F1"),
        Column("FOOTNOTE_TXT", "text", "footnote text"),
        FILING_DATE_EXTRA,
    ),
    key=("ACCESSION_NUMBER", "FOOTNOTE_ID"),
    sec_file="FOOTNOTES.tsv",
)

OWNER_SIGNATURE = Table(
    "owner_signature",
    "Signatures of an ownershipDocument (Form 345 data set: OWNER_SIGNATURE).",
    (
        ACCESSION,
        Column("SIGNATURE_SK", "int", "1-based position of the signature", extra=True),
        Column("OWNERSIGNATURENAME", "text", "signatureName"),
        Column("OWNERSIGNATUREDATE", "date", "signatureDate"),
        FILING_DATE_EXTRA,
    ),
    key=("ACCESSION_NUMBER", "SIGNATURE_SK"),
    sec_file="OWNER_SIGNATURE.tsv",
)

QUARANTINE = Table(
    "quarantine",
    "Every filing that could not be parsed, kept with the reason; raw = parsed + quarantined.",
    (
        FILING_DATE,
        ACCESSION,
        Column("SOURCE_PATH", "text", "Where the unmodified bytes are (cache or mirror path)"),
        Column("SHA256", "text", "SHA-256 of the bytes"),
        Column("REASON_CODE", "text", "Machine-readable reason (see form4_assets.parsing.errors)"),
        Column("FIELD", "text", "The field or element at fault, when known"),
        Column("BYTE_OFFSET", "int", "Byte offset in the file where the problem was found, when known"),
        Column("MESSAGE", "text", "Human-readable explanation"),
    ),
    key=("ACCESSION_NUMBER",),
)

#: The tables the parser fills for one parsed filing, in the order the CLI prints them.
PARSED_TABLES: tuple[Table, ...] = (
    SUBMISSION,
    REPORTING_OWNER,
    NONDERIV_TRANS,
    DERIV_TRANS,
    NONDERIV_HOLDING,
    DERIV_HOLDING,
    FOOTNOTES,
    OWNER_SIGNATURE,
)

ALL_TABLES: tuple[Table, ...] = (
    RAW_FILINGS,
    FILING_HEADERS,
    HEADER_PARTIES,
    *PARSED_TABLES,
    QUARANTINE,
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in ALL_TABLES}
