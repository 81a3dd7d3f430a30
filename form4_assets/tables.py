"""The warehouse's table layout: one definition shared by the parser, the SQL schema,
the Dagster column metadata and the Form 345 export.

Columns follow the SEC's Form 345 data-set names so users can join against the
SEC's quarterly files. Every fact about a column or a table is stated here once: its
kind, its meaning, where its value comes from (a parsed column's ``xml`` path in the
ownershipDocument, which the parser's element map is built from; an aggregate column's
``derived_from``, which the Dagster column lineage is generated from), a table's key
and row-position column, and the registry of every table (``TABLES_BY_NAME``). Adding a
column to a table here adds it to the parser, the SQL schema, the Dagster TableSchema,
the lineage and the Form 345 export. Where we keep more than the data set does (row positions,
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

What the warehouse holds exactly (the bounds below): a filing with a value outside them
is quarantined (``out_of_range``, ``nul_in_text``) before its day is written, never
rounded, truncated or allowed to fail the run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Literal

Kind = Literal["text", "date", "datetime", "decimal", "int", "flag", "fn"]
#: One row of a table: column name → value (of the column's kind).
Row = dict[str, Any]

#: Decimal places every ``decimal`` column holds exactly. The ownership XML technical
#: specification: "EDGAR stores up to four decimal places"; a filing's value with more
#: (non-zero) places is out of range.
DECIMAL_PLACES = 4
#: Largest magnitude of a decimal a filing may carry: the specification's "maximum
#: allowable value = 999999999999.9999". Negative values (the specification forbids the
#: minus sign) are kept as filed, for the ``non_negative_amounts`` check to report.
DECIMAL_MAX = Decimal("999999999999.9999")
#: Products derived from a filing's values, bound by ``DECIMAL_MAX`` like any value: the
#: aggregates' dollars (TRANS_DOLLARS) of each transaction row, per table.
DERIVED_PRODUCTS: dict[str, tuple[str, str]] = {
    "nonderiv_trans": ("TRANS_SHARES", "TRANS_PRICEPERSHARE"),
    "deriv_trans": ("TRANS_SHARES", "TRANS_PRICEPERSHARE"),
}
#: Largest magnitude any decimal cell holds, aggregate sums included: a signed 64-bit
#: count of 10^-4 (how SQLite stores it; NUMERIC(19, 4) on PostgreSQL). About 922 times
#: DECIMAL_MAX, the headroom sums of bounded values get.
STORED_DECIMAL_MAX = Decimal(2**63 - 1).scaleb(-DECIMAL_PLACES)
#: Largest magnitude of an ``int`` value: a signed 64-bit integer (BIGINT).
INT_MAX = 2**63 - 1
#: The one character a ``text`` value may not contain: PostgreSQL text cannot hold NUL.
#: Text has no length bound: the SEC data set's lengths truncate, the warehouse does not.
FORBIDDEN_TEXT_CHAR = "\x00"


@dataclass(frozen=True)
class Column:
    """One warehouse column: its SEC name, value kind and meaning."""

    name: str
    kind: Kind
    description: str
    extra: bool = False  # not in the SEC Form 345 data set
    #: For derived (aggregate) columns: the ``table.COLUMN``s the value is computed from.
    derived_from: tuple[str, ...] = ()
    #: For parsed columns: the path, below its table's ``xml`` element, of the element the
    #: value is read from (its text, or its ``<value>``). An ``_FN`` column on the same path
    #: as its value column takes that element's ``<footnoteId>``s; on another path, the
    #: footnote ids of the element there (transactionCoding's).
    xml: str | None = None


@dataclass(frozen=True)
class Table:
    """One warehouse table; ``key`` identifies a row within the whole warehouse."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    sec_file: str | None = None  # the Form 345 data-set file it exports to
    #: The column holding a row's 1-based position within its document (or parent row), if any.
    position: str | None = None
    #: For parsed tables: the path of the ownershipDocument element one row is read from.
    xml: str | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name}")


def _read(name: str, kind: Kind, xml: str, note: str = "", extra: bool = False) -> Column:
    """A parsed column read from the element at `xml`, described by its path and `note`."""
    return Column(name, kind, xml + note, extra=extra, xml=xml)


def _valued(name: str, kind: Kind, xml: str, note: str = "") -> tuple[Column, Column]:
    """A value column read from ``<value>`` of the element at `xml`, and its ``_FN``
    column of that element's footnote ids."""
    return (
        _read(name, kind, xml, note),
        Column(f"{name}_FN", "fn", f"Footnote ids bound to {name}", xml=xml),
    )


def decimal_text(value: Decimal, normalise: bool = True) -> str:
    """A ``decimal`` value as text, exactly, in positional notation (``str()`` would print
    0.0000001 as 1E-7): without trailing zeros, or with the digits as filed (``normalise=False``)."""
    return format(value.normalize() if normalise else value, "f")


def cik_key(cik: str | None) -> str:
    """A CIK as CIKs compare: without leading zeros (the SEC header pads to 10 digits, the
    XML and users often do not). The SQL checks compare the same way (checks_sql.cik_without_zeros)."""
    return (cik or "").strip().lstrip("0") or "0"


ACCESSION = Column("ACCESSION_NUMBER", "text", "EDGAR accession number, 0000000000-YY-NNNNNN")
FILING_DATE = Column("FILING_DATE", "date", "Filing date: the partition this row belongs to")
FILING_DATE_EXTRA = Column(
    "FILING_DATE", "date", "Filing date: the partition this row belongs to", extra=True
)

RAW_FILINGS = Table(
    "raw_filings",
    "One row per Form 3/4/5 (and /A) listed in EDGAR's daily index for the filing date; "
    "the bytes are kept unmodified in the on-disk cache or mirror at LOCAL_PATH. An index line "
    "refused as unsafe (bad CIK, accession, date or file name; path traversal) is a row too, "
    "keyed by its accession when well-formed and unused that day, else index:<YYYYMMDD>:<line no>. "
    "An accession EDGAR lists on several days has a row on each (quarantined as duplicate_accession "
    "on all but the earliest).",
    (
        FILING_DATE,
        ACCESSION,
        Column("CIK", "text", "CIK whose folder the index lists the filing under"),
        Column("FORM_TYPE", "text", "Form type as listed in the daily index"),
        Column("COMPANY_NAME", "text", "Company name as listed in the daily index"),
        Column("EDGAR_PATH", "text", "Path below the EDGAR root, e.g. edgar/data/<cik>/<accession>.txt; "
               "for a refused index line: '<index file>, line <n>'"),
        Column("LOCAL_PATH", "text", "Where the unmodified bytes are stored on disk"),
        Column("SHA256", "text", "SHA-256 of the stored bytes, hex"),
        Column("SIZE_BYTES", "int", "Size of the stored bytes"),
        Column("FETCH_ERROR", "text", "Why the filing could not be fetched (it is then quarantined as fetch_failed); "
               "'index line refused: <reason>: <line>' for a refused index line (quarantined as index_line_rejected); "
               "'value refused: <reason>|<field>|<message>' when a listed value cannot be stored (that column is "
               "then empty, and the filing quarantined with that reason and field)"),
    ),
    key=("FILING_DATE", "ACCESSION_NUMBER"),  # EDGAR re-lists filings on later days
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
    position="PARTY_SK",
)

SUBMISSION = Table(
    "submission",
    "One row per ownershipDocument (Form 345 data set: SUBMISSION).",
    (
        ACCESSION,
        FILING_DATE,
        _read("PERIOD_OF_REPORT", "date", "periodOfReport"),
        _read("DATE_OF_ORIG_SUB", "date", "dateOfOriginalSubmission", " (amendments)"),
        _read("NO_SECURITIES_OWNED", "flag", "noSecuritiesOwned", " (Form 3)"),
        _read("NOT_SUBJECT_SEC16", "flag", "notSubjectToSection16"),
        _read("FORM3_HOLDINGS_REPORTED", "flag", "form3HoldingsReported", " (Form 5)"),
        _read("FORM4_TRANS_REPORTED", "flag", "form4TransactionsReported", " (Form 5)"),
        _read("DOCUMENT_TYPE", "text", "documentType", ": 3, 3/A, 4, 4/A, 5, 5/A"),
        _read("ISSUERCIK", "text", "issuer/issuerCik"),
        _read("ISSUERNAME", "text", "issuer/issuerName"),
        _read("ISSUERTRADINGSYMBOL", "text", "issuer/issuerTradingSymbol"),
        _read("REMARKS", "text", "remarks"),
        _read("AFF10B5ONE", "flag", "aff10b5One", ": transactions under a Rule 10b5-1 plan (schema X0508+)"),
        _read("SCHEMA_VERSION", "text", "schemaVersion", " (X0202 ... X0609)", extra=True),
    ),
    key=("ACCESSION_NUMBER",),
    sec_file="SUBMISSION.tsv",
    xml="ownershipDocument",
)

REPORTING_OWNER = Table(
    "reporting_owner",
    "Every reportingOwner of an ownershipDocument (Form 345 data set: REPORTINGOWNER).",
    (
        ACCESSION,
        Column("RPTOWNER_SK", "int", "1-based position among the document's reporting owners", extra=True),
        _read("RPTOWNERCIK", "text", "reportingOwnerId/rptOwnerCik"),
        _read("RPTOWNERNAME", "text", "reportingOwnerId/rptOwnerName"),
        Column("RPTOWNER_RELATIONSHIP", "text", "Relationship flags set, comma-separated: Director,Officer,TenPercentOwner,Other",
               xml="reportingOwnerRelationship"),
        _read("RPTOWNER_TITLE", "text", "reportingOwnerRelationship/officerTitle"),
        _read("RPTOWNER_TXT", "text", "reportingOwnerRelationship/otherText"),
        _read("RPTOWNER_STREET1", "text", "reportingOwnerAddress/rptOwnerStreet1"),
        _read("RPTOWNER_STREET2", "text", "reportingOwnerAddress/rptOwnerStreet2"),
        _read("RPTOWNER_CITY", "text", "reportingOwnerAddress/rptOwnerCity"),
        _read("RPTOWNER_STATE", "text", "reportingOwnerAddress/rptOwnerState"),
        _read("RPTOWNER_ZIPCODE", "text", "reportingOwnerAddress/rptOwnerZipCode"),
        _read("RPTOWNER_STATE_DESC", "text", "reportingOwnerAddress/rptOwnerStateDescription"),
        Column("FILE_NUMBER", "text", "SEC file number of this owner from the SEC header, when present"),
        FILING_DATE_EXTRA,
    ),
    key=("ACCESSION_NUMBER", "RPTOWNER_SK"),
    sec_file="REPORTINGOWNER.tsv",
    position="RPTOWNER_SK",
    xml="ownershipDocument/reportingOwner",
)

_TRANS_HEAD: tuple[Column, ...] = (
    *_valued("SECURITY_TITLE", "text", "securityTitle"),
)
_COMMON_TRANS: tuple[Column, ...] = (
    *_valued("TRANS_DATE", "date", "transactionDate"),
    *_valued("DEEMED_EXECUTION_DATE", "date", "deemedExecutionDate"),
    _read("TRANS_FORM_TYPE", "text", "transactionCoding/transactionFormType"),
    _read("TRANS_CODE", "text", "transactionCoding/transactionCode", " (P, S, A, M, F, G, ...)"),
    _read("EQUITY_SWAP_INVOLVED", "flag", "transactionCoding/equitySwapInvolved"),
    Column("EQUITY_SWAP_TRANS_CD_FN", "fn", "Footnote ids bound to transactionCoding", xml="transactionCoding"),
    *_valued("TRANS_TIMELINESS", "text", "transactionTimeliness", " (E early, L late)"),
    *_valued("TRANS_SHARES", "decimal", "transactionAmounts/transactionShares"),
)
_POST_AND_NATURE: tuple[Column, ...] = (
    *_valued("SHRS_OWND_FOLWNG_TRANS", "decimal", "postTransactionAmounts/sharesOwnedFollowingTransaction"),
    *_valued("VALU_OWND_FOLWNG_TRANS", "decimal", "postTransactionAmounts/valueOwnedFollowingTransaction"),
    *_valued("DIRECT_INDIRECT_OWNERSHIP", "text", "ownershipNature/directOrIndirectOwnership", " (D or I)"),
    *_valued("NATURE_OF_OWNERSHIP", "text", "ownershipNature/natureOfOwnership"),
)
_UNDERLYING: tuple[Column, ...] = (
    *_valued("UNDLYNG_SEC_TITLE", "text", "underlyingSecurity/underlyingSecurityTitle"),
    *_valued("UNDLYNG_SEC_SHARES", "decimal", "underlyingSecurity/underlyingSecurityShares"),
    *_valued("UNDLYNG_SEC_VALUE", "decimal", "underlyingSecurity/underlyingSecurityValue"),
)

#: A holding's coding holds only the form type: its footnote ids are transactionCoding's.
_HOLDING_FORM_TYPE: tuple[Column, ...] = (
    _read("TRANS_FORM_TYPE", "text", "transactionCoding/transactionFormType", " of the holding, when given"),
    Column("TRANS_FORM_TYPE_FN", "fn", "Footnote ids bound to TRANS_FORM_TYPE", xml="transactionCoding"),
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
        *_valued("TRANS_ACQUIRED_DISP_CD", "text", "transactionAmounts/transactionAcquiredDisposedCode", " (A or D)"),
        *_POST_AND_NATURE,
        FILING_DATE_EXTRA,
    ),
    key=("ACCESSION_NUMBER", "NONDERIV_TRANS_SK"),
    sec_file="NONDERIV_TRANS.tsv",
    position="NONDERIV_TRANS_SK",
    xml="ownershipDocument/nonDerivativeTable/nonDerivativeTransaction",
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
        *_valued("TRANS_ACQUIRED_DISP_CD", "text", "transactionAmounts/transactionAcquiredDisposedCode", " (A or D)"),
        *_valued("EXCERCISE_DATE", "date", "exerciseDate", " (the SEC's spelling)"),
        *_valued("EXPIRATION_DATE", "date", "expirationDate"),
        *_UNDERLYING,
        *_POST_AND_NATURE,
        FILING_DATE_EXTRA,
    ),
    key=("ACCESSION_NUMBER", "DERIV_TRANS_SK"),
    sec_file="DERIV_TRANS.tsv",
    position="DERIV_TRANS_SK",
    xml="ownershipDocument/derivativeTable/derivativeTransaction",
)

NONDERIV_HOLDING = Table(
    "nonderiv_holding",
    "One row per nonDerivativeHolding (Form 345 data set: NONDERIV_HOLDING).",
    (
        ACCESSION,
        Column("NONDERIV_HOLDING_SK", "int", "1-based position of the row among the document's non-derivative holdings"),
        *_TRANS_HEAD,
        *_HOLDING_FORM_TYPE,
        *_POST_AND_NATURE,
        FILING_DATE_EXTRA,
    ),
    key=("ACCESSION_NUMBER", "NONDERIV_HOLDING_SK"),
    sec_file="NONDERIV_HOLDING.tsv",
    position="NONDERIV_HOLDING_SK",
    xml="ownershipDocument/nonDerivativeTable/nonDerivativeHolding",
)

DERIV_HOLDING = Table(
    "deriv_holding",
    "One row per derivativeHolding (Form 345 data set: DERIV_HOLDING).",
    (
        ACCESSION,
        Column("DERIV_HOLDING_SK", "int", "1-based position of the row among the document's derivative holdings"),
        *_TRANS_HEAD,
        *_valued("CONV_EXERCISE_PRICE", "decimal", "conversionOrExercisePrice"),
        *_HOLDING_FORM_TYPE,
        *_valued("EXERCISE_DATE", "date", "exerciseDate"),
        *_valued("EXPIRATION_DATE", "date", "expirationDate"),
        *_UNDERLYING,
        *_POST_AND_NATURE,
        FILING_DATE_EXTRA,
    ),
    key=("ACCESSION_NUMBER", "DERIV_HOLDING_SK"),
    sec_file="DERIV_HOLDING.tsv",
    position="DERIV_HOLDING_SK",
    xml="ownershipDocument/derivativeTable/derivativeHolding",
)

FOOTNOTES = Table(
    "footnotes",
    "Footnotes of an ownershipDocument (Form 345 data set: FOOTNOTES).",
    (
        ACCESSION,
        Column("FOOTNOTE_ID", "text", "footnote id, e.g. F1", xml="@id"),
        Column("FOOTNOTE_TXT", "text", "footnote text", xml="."),
        FILING_DATE_EXTRA,
    ),
    key=("ACCESSION_NUMBER", "FOOTNOTE_ID"),
    sec_file="FOOTNOTES.tsv",
    xml="ownershipDocument/footnotes/footnote",
)

OWNER_SIGNATURE = Table(
    "owner_signature",
    "Signatures of an ownershipDocument (Form 345 data set: OWNER_SIGNATURE).",
    (
        ACCESSION,
        Column("SIGNATURE_SK", "int", "1-based position of the signature", extra=True),
        _read("OWNERSIGNATURENAME", "text", "signatureName"),
        _read("OWNERSIGNATUREDATE", "date", "signatureDate"),
        FILING_DATE_EXTRA,
    ),
    key=("ACCESSION_NUMBER", "SIGNATURE_SK"),
    sec_file="OWNER_SIGNATURE.tsv",
    position="SIGNATURE_SK",
    xml="ownershipDocument/ownerSignature",
)

QUARANTINE = Table(
    "quarantine",
    "Every filing that could not be parsed, kept with the reason; raw = parsed + quarantined. "
    "A refused daily-index line (index_line_rejected) keeps its raw_filings key (possibly "
    "index:<YYYYMMDD>:<line no>), FIELD = the index file and line, MESSAGE = the reason and the line. "
    "A later listing of an accession parsed on an earlier day is duplicate_accession, its MESSAGE naming that day.",
    (
        FILING_DATE,
        ACCESSION,
        Column("SOURCE_PATH", "text", "Where the unmodified bytes are (cache or mirror path)"),
        Column("SHA256", "text", "SHA-256 of the bytes"),
        Column("REASON_CODE", "text", "Machine-readable reason, one of form4_assets.parsing.errors.ALL_REASONS"),
        Column("FIELD", "text", "The field or element at fault, when known"),
        Column("BYTE_OFFSET", "int", "Byte offset in the file where the problem was found, when known"),
        Column("MESSAGE", "text", "Human-readable explanation"),
    ),
    key=("FILING_DATE", "ACCESSION_NUMBER"),  # a re-listing is quarantined on its own day
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



# ---------------------------------------------------------------------------
# Aggregate tables (derived from the tables above by form4_assets.aggregates)
# ---------------------------------------------------------------------------
#
# Every aggregate row carries the FILING_DATE of the partition that wrote it. For the
# as-of tables (issuer_daily_activity, net_insider_selling, cluster_buys) that date is
# the "as known at the end of that filing date" stamp: a partition writes the state of
# what it touched as of its date, and the current value of an issuer-day is its row with
# the latest FILING_DATE. None of these columns exists in the SEC data sets (no sec_file).

#: The rolling windows of net_insider_selling, in days.
WINDOWS: tuple[int, ...] = (30, 90)


def _from(table: str, *columns: str) -> tuple[str, ...]:
    """``derived_from`` entries: columns of one table."""
    return tuple(f"{table}.{c}" for c in columns)


def _tx(*columns: str) -> tuple[str, ...]:
    """The same columns of both transaction tables (effective_transactions reads both)."""
    return (*_from("nonderiv_trans", *columns), *_from("deriv_trans", *columns))


def _e(*columns: str) -> tuple[str, ...]:
    return _from("effective_transactions", *columns)


def _a(*columns: str) -> tuple[str, ...]:
    return _from("issuer_daily_activity", *columns)


def _copies(source: str | None, *columns: tuple[str, Kind, str]) -> tuple[Column, ...]:
    """Columns copied unchanged from the column of the same name in `source` (None: both
    transaction tables)."""
    return tuple(
        Column(name, kind, description, derived_from=_from(source, name) if source else _tx(name))
        for name, kind, description in columns
    )


def _derived(column: Column, *sources: str) -> Column:
    """A shared column (FILING_DATE, ACCESSION_NUMBER) as this table derives it."""
    return replace(column, derived_from=sources)


#: Each transaction table's row position (effective_transactions' TRANS_TABLE and TRANS_SK).
_POSITIONS = (*_from("nonderiv_trans", "NONDERIV_TRANS_SK"), *_from("deriv_trans", "DERIV_TRANS_SK"))
#: The relationship flags of the first reporting owner (IS_DIRECTOR ... ROLE).
_RELATIONSHIP = _from("reporting_owner", "RPTOWNER_RELATIONSHIP")
#: What decides whether a transaction is under a Rule 10b5-1 plan.
_PLAN_SOURCES = (*_from("submission", "AFF10B5ONE", "REMARKS"), *_from("footnotes", "FOOTNOTE_TXT"),
                 *_tx("EQUITY_SWAP_TRANS_CD_FN"))

#: Where an effective row was read: the parsed filings, or a data-set file and line.
_ROW_SOURCES = (*_tx("ACCESSION_NUMBER"),
                *_from("sec_nonderiv_trans", "SOURCE_FILE", "SOURCE_LINE"), *_from("sec_deriv_trans", "SOURCE_FILE", "SOURCE_LINE"))

#: Shares and dollars of effective transactions, counted by ACTIVITY (purchase, sale, ...).
_SHARES, _DOLLARS = _e("TRANS_SHARES", "ACTIVITY"), _e("TRANS_DOLLARS", "ACTIVITY")

_ROLES: tuple[tuple[str, str], ...] = (
    ("OFFICER", "officers (an officer who is also a director counts here)"),
    ("DIRECTOR", "directors who are not officers"),
    ("TEN_PCT_OWNER", "10% owners who are neither officers nor directors"),
    ("OTHER", "insiders with none of the above flags (isOther or no flag)"),
)


def _side_columns(side: str, code: str, people: str) -> tuple[Column, ...]:
    """The open-market columns of one side (BUY for code P, SELL for code S)."""
    what = f"open-market {'purchases' if code == 'P' else 'sales'} (non-derivative, code {code})"
    shares, dollars = _SHARES, _DOLLARS
    plan = _e("PLAN_10B5_1")
    cols: list[Column] = [
        Column(f"{side}_SHARES", "decimal", f"Shares in {what}", derived_from=shares),
        Column(f"{side}_DOLLARS", "decimal", f"Dollars (shares × price) in {what} that carry a price",
               derived_from=dollars),
        Column(f"{side}_ROWS", "int", f"Transaction rows counted in {side}_SHARES", derived_from=_e("ACTIVITY")),
        Column(f"{side}_ROWS_NO_PRICE", "int", f"Rows of {what} without a price: in shares, not in dollars",
               derived_from=_e("TRANS_PRICEPERSHARE", "ACTIVITY")),
        Column(people, "int", f"Distinct insiders (first reporting owner of each filing) with {what}",
               derived_from=_e("RPTOWNERCIK", "ACTIVITY")),
        Column(f"{side}_SHARES_PLAN", "decimal", f"{side}_SHARES under a Rule 10b5-1 plan", derived_from=shares + plan),
        Column(f"{side}_DOLLARS_PLAN", "decimal", f"{side}_DOLLARS under a Rule 10b5-1 plan",
               derived_from=dollars + plan),
        Column(f"{side}_SHARES_DISCRETIONARY", "decimal", f"{side}_SHARES not under a Rule 10b5-1 plan",
               derived_from=shares + plan),
        Column(f"{side}_DOLLARS_DISCRETIONARY", "decimal", f"{side}_DOLLARS not under a Rule 10b5-1 plan",
               derived_from=dollars + plan),
    ]
    for role, who in _ROLES:
        cols.append(Column(f"{side}_SHARES_{role}", "decimal", f"{side}_SHARES by {who}", derived_from=shares + _e("ROLE")))
        cols.append(Column(f"{side}_DOLLARS_{role}", "decimal", f"{side}_DOLLARS by {who}", derived_from=dollars + _e("ROLE")))
    return tuple(cols)


SUPERSESSIONS = Table(
    "supersessions",
    "Which amendment (3/A, 4/A, 5/A) replaced which earlier filing, and by which rule. "
    "A filing is superseded as of date D when a row names it with FILING_DATE <= D. "
    "An amendment whose original is not in the warehouse has one row with MATCH_RULE "
    "'unmatched' and no SUPERSEDED_ACCESSION.",
    (
        FILING_DATE,
        Column("AMENDMENT_ACCESSION", "text", "Accession of the amendment"),
        Column("LINK_SK", "int", "1-based position of this link among the amendment's links"),
        Column("SUPERSEDED_ACCESSION", "text", "Accession of the filing it replaces (empty when unmatched)"),
        Column("SUPERSEDED_FILING_DATE", "date", "Filing date of the replaced filing"),
        Column(
            "MATCH_RULE",
            "text",
            "period_and_orig_date (unique filing of the issuer/owner/period filed on DATE_OF_ORIG_SUB), "
            "latest_on_orig_date (several such: the most recent earlier), latest_same_period (no filing on "
            "that date: the most recent earlier filing of the issuer/owner/period), orig_date_other_period, "
            "earlier_amendment (an earlier amendment of the same original), unmatched",
        ),
        Column("DOCUMENT_TYPE", "text", "Document type of the amendment"),
        Column("ISSUERCIK", "text", "Issuer CIK of the amendment"),
        Column("RPTOWNERCIK", "text", "First reporting owner of the amendment"),
        Column("PERIOD_OF_REPORT", "date", "Period of report of the amendment"),
        Column("DATE_OF_ORIG_SUB", "date", "DATE_OF_ORIG_SUB of the amendment"),
    ),
    key=("FILING_DATE", "AMENDMENT_ACCESSION", "LINK_SK"),
    position="LINK_SK",
)

EFFECTIVE_TRANSACTIONS = Table(
    "effective_transactions",
    "One row per economic transaction (non-derivative and derivative) of the partition's filings: "
    "a joint filing's rows once, attributed to its first reporting owner with the others in "
    "CO_FILERS; rows superseded by an amendment filed on or before the partition date left out. "
    "Amendments filed later are applied when reading (see supersessions): a row counts as of D "
    "when no supersessions row with FILING_DATE <= D names its accession.",
    (
        _derived(FILING_DATE, *_tx("FILING_DATE")),
        _derived(ACCESSION, *_tx("ACCESSION_NUMBER")),
        Column("TRANS_TABLE", "text", "nonderiv or deriv: the transaction table the row comes from",
               derived_from=_POSITIONS),
        Column("TRANS_SK", "int", "NONDERIV_TRANS_SK or DERIV_TRANS_SK of the source row", derived_from=_POSITIONS),
        *_copies("submission",
                 ("DOCUMENT_TYPE", "text", "documentType of the filing"),
                 ("PERIOD_OF_REPORT", "date", "periodOfReport of the filing"),
                 ("ISSUERCIK", "text", "issuerCik"),
                 ("ISSUERNAME", "text", "issuerName"),
                 ("ISSUERTRADINGSYMBOL", "text", "issuerTradingSymbol")),
        *_copies("reporting_owner",
                 ("RPTOWNERCIK", "text", "CIK of the first reporting owner (RPTOWNER_SK = 1)"),
                 ("RPTOWNERNAME", "text", "Name of the first reporting owner")),
        Column("CO_FILERS", "text", "CIKs of the other reporting owners of a joint filing, comma-separated, in filing order",
               derived_from=_from("reporting_owner", "RPTOWNERCIK", "RPTOWNER_SK")),
        Column("IS_DIRECTOR", "flag", "First reporting owner is a director", derived_from=_RELATIONSHIP),
        Column("IS_OFFICER", "flag", "First reporting owner is an officer", derived_from=_RELATIONSHIP),
        Column("IS_TEN_PCT_OWNER", "flag", "First reporting owner is a 10% owner", derived_from=_RELATIONSHIP),
        Column("IS_OTHER", "flag", "First reporting owner has the 'other' relationship", derived_from=_RELATIONSHIP),
        Column("ROLE", "text", "One role by precedence: OFFICER > DIRECTOR > TEN_PCT_OWNER > OTHER",
               derived_from=_RELATIONSHIP),
        *_copies(None,
                 ("SECURITY_TITLE", "text", "securityTitle"), ("TRANS_DATE", "date", "transactionDate"),
                 ("TRANS_CODE", "text", "transactionCode"), ("TRANS_ACQUIRED_DISP_CD", "text", "A or D"),
                 ("TRANS_SHARES", "decimal", "transactionShares"),
                 ("TRANS_PRICEPERSHARE", "decimal", "transactionPricePerShare")),
        Column("TRANS_DOLLARS", "decimal", "TRANS_SHARES × TRANS_PRICEPERSHARE to 4 decimal places (half-even; "
               "the only rounding in the aggregates, whose dollar figures are exact sums of it); empty without a price",
               derived_from=_tx("TRANS_SHARES", "TRANS_PRICEPERSHARE")),
        Column("DIRECT_INDIRECT_OWNERSHIP", "text", "D or I", derived_from=_tx("DIRECT_INDIRECT_OWNERSHIP")),
        Column(
            "ACTIVITY",
            "text",
            "purchase (P), sale (S), award (A), tax_withholding (F), exercise (M, X, C), gift (G), other", derived_from=_tx("TRANS_CODE"),
        ),
        Column("PLAN_10B5_1", "flag", "Under a Rule 10b5-1 plan (see PLAN_EVIDENCE)", derived_from=_PLAN_SOURCES),
        Column(
            "PLAN_EVIDENCE",
            "text",
            "flag (AFF10B5ONE decides when present), row_footnote, filing_footnote or remarks "
            "(text mentioning Rule 10b5-1, for filings without the flag); empty when discretionary", derived_from=_PLAN_SOURCES,
        ),
        Column("SOURCE", "text", "filings (our parse of the fetched filings) or sec_form345 (the SEC's data set, for "
               "a filing date whose filings were never fetched)", derived_from=_ROW_SOURCES),
        Column("SEC_SOURCE", "text", "For a sec_form345 row: its data-set file and line, e.g. "
               "2024q3_form345/NONDERIV_TRANS.tsv:17", derived_from=_ROW_SOURCES),
    ),
    key=("FILING_DATE", "ACCESSION_NUMBER", "TRANS_TABLE", "TRANS_SK"),
)

ISSUER_DAILY_ACTIVITY = Table(
    "issuer_daily_activity",
    "Insider activity per issuer and transaction date, as known at the end of FILING_DATE. "
    "A partition writes every issuer-day touched by its filings: days of their transactions and "
    "days of the transactions of filings its amendments supersede. The current figures of an "
    "issuer-day are in its row with the latest FILING_DATE. Counts non-derivative rows only.",
    (
        _derived(FILING_DATE, *_e("FILING_DATE")),
        *_copies("effective_transactions",
                 ("ISSUERCIK", "text", "issuerCik"),
                 ("TRANS_DATE", "date", "transactionDate"),
                 ("ISSUERNAME", "text", "issuerName of the latest filing counted"),
                 ("ISSUERTRADINGSYMBOL", "text", "issuerTradingSymbol of the latest filing counted")),
        *_side_columns("BUY", "P", "BUYERS"),
        *_side_columns("SELL", "S", "SELLERS"),
        Column("NET_SELL_SHARES", "decimal", "SELL_SHARES − BUY_SHARES", derived_from=_SHARES),
        Column("NET_SELL_DOLLARS", "decimal", "SELL_DOLLARS − BUY_DOLLARS", derived_from=_DOLLARS),
        Column("AWARD_SHARES", "decimal", "Shares awarded or granted (code A); never buying", derived_from=_SHARES),
        Column("TAX_WITHHOLDING_SHARES", "decimal", "Shares withheld for tax or exercise price (code F); never selling",
               derived_from=_SHARES),
        Column("EXERCISE_SHARES", "decimal", "Shares from exercises and conversions (codes M, X, C)",
               derived_from=_SHARES),
        Column("GIFT_SHARES_GIVEN", "decimal", "Shares given away (code G, disposed)",
               derived_from=_e("TRANS_SHARES", "ACTIVITY", "TRANS_ACQUIRED_DISP_CD")),
        Column("GIFT_SHARES_RECEIVED", "decimal", "Shares received as gifts (code G, acquired)",
               derived_from=_e("TRANS_SHARES", "ACTIVITY", "TRANS_ACQUIRED_DISP_CD")),
        Column("OTHER_ROWS", "int", "Rows with any other code (D, J, W, ...), not counted above",
               derived_from=_e("ACTIVITY")),
        Column("TRANSACTION_ROWS", "int", "All effective non-derivative rows of the issuer-day",
               derived_from=_e("ACCESSION_NUMBER", "TRANS_SK")),
        Column("ACCESSIONS", "text", "Accessions of the filings counted, comma-separated (lineage)",
               derived_from=_e("ACCESSION_NUMBER")),
    ),
    key=("FILING_DATE", "ISSUERCIK", "TRANS_DATE"),
)


def _window_columns(days: int) -> tuple[Column, ...]:
    w = f"{days}D"
    span = f"transaction dates in the {days} days ending on FILING_DATE"
    dates = _a("TRANS_DATE", "FILING_DATE")

    def column(name: str, description: str, *sides: str) -> Column:
        return Column(f"{name}_{w}", "decimal", f"{description}, {span}", derived_from=_a(*sides) + dates)

    return (
        column("SELL_SHARES", "Open-market shares sold", "SELL_SHARES"),
        column("BUY_SHARES", "Open-market shares bought", "BUY_SHARES"),
        column("NET_SELL_SHARES", "Sold − bought shares", "SELL_SHARES", "BUY_SHARES"),
        column("SELL_DOLLARS", "Open-market dollars sold", "SELL_DOLLARS"),
        column("BUY_DOLLARS", "Open-market dollars bought", "BUY_DOLLARS"),
        column("NET_SELL_DOLLARS", "Sold − bought dollars", "SELL_DOLLARS", "BUY_DOLLARS"),
        column("NET_SELL_SHARES_DISCRETIONARY", "Sold − bought shares outside 10b5-1 plans",
               "SELL_SHARES_DISCRETIONARY", "BUY_SHARES_DISCRETIONARY"),
        column("NET_SELL_DOLLARS_DISCRETIONARY", "Sold − bought dollars outside 10b5-1 plans",
               "SELL_DOLLARS_DISCRETIONARY", "BUY_DOLLARS_DISCRETIONARY"),
    )


NET_INSIDER_SELLING = Table(
    "net_insider_selling",
    "Rolling 30- and 90-day net insider selling per issuer as of each filing date, from the "
    "issuer-day figures known on that date; one row per issuer with open-market activity in the "
    "90 days. Positive = net selling.",
    (
        _derived(FILING_DATE, *_a("FILING_DATE")),
        *_copies("issuer_daily_activity",
                 ("ISSUERCIK", "text", "issuerCik"),
                 ("ISSUERNAME", "text", "issuerName (latest issuer-day in the window)"),
                 ("ISSUERTRADINGSYMBOL", "text", "issuerTradingSymbol (latest issuer-day in the window)")),
        *(c for days in WINDOWS for c in _window_columns(days)),
        Column("LAST_TRANS_DATE", "date", "Latest transaction date with open-market activity in the 90 days",
               derived_from=_a("TRANS_DATE", "BUY_ROWS", "SELL_ROWS")),
    ),
    key=("FILING_DATE", "ISSUERCIK"),
)

CLUSTER_BUYS = Table(
    "cluster_buys",
    "Issuers where three or more distinct insiders bought on the open market (code P) with "
    "transaction dates in the 10 days ending on FILING_DATE, as known that day: one row per buyer.",
    (
        _derived(FILING_DATE, *_e("FILING_DATE")),
        *_copies("effective_transactions",
                 ("ISSUERCIK", "text", "issuerCik"),
                 ("RPTOWNERCIK", "text", "The buyer (first reporting owner of the filing)"),
                 ("ISSUERNAME", "text", "issuerName"),
                 ("ISSUERTRADINGSYMBOL", "text", "issuerTradingSymbol"),
                 ("RPTOWNERNAME", "text", "Buyer's name"),
                 ("ROLE", "text", "Buyer's role (OFFICER > DIRECTOR > TEN_PCT_OWNER > OTHER)")),
        Column("WINDOW_START", "date", "First day of the 10-day window", derived_from=_e("FILING_DATE")),
        Column("CLUSTER_INSIDERS", "int", "Distinct buyers of the issuer in the window",
               derived_from=_e("RPTOWNERCIK", "ACTIVITY")),
        Column("BUY_SHARES", "decimal", "Shares this buyer bought in the window", derived_from=_SHARES),
        Column("BUY_DOLLARS", "decimal", "Dollars this buyer paid in the window (rows with a price)",
               derived_from=_DOLLARS),
        Column("FIRST_TRANS_DATE", "date", "This buyer's first purchase date in the window",
               derived_from=_e("TRANS_DATE")),
        Column("LAST_TRANS_DATE", "date", "This buyer's last purchase date in the window",
               derived_from=_e("TRANS_DATE")),
        Column("ACCESSIONS", "text", "Accessions of this buyer's purchases, comma-separated (lineage)",
               derived_from=_e("ACCESSION_NUMBER")),
    ),
    key=("FILING_DATE", "ISSUERCIK", "RPTOWNERCIK"),
)

# ---------------------------------------------------------------------------
# Signal tables (derived from effective_transactions by form4_assets.signals, issue 13)
# ---------------------------------------------------------------------------
#
# Partitioned and as-of like the aggregates: partition D reads only rows filed on or
# before D with the amendments filed by D applied. Written by the signal assets
# (form4_assets.defs.signals); their column lineage follows from ``derived_from``.

#: Where a timeliness row's execution date comes from (the deemed date overrides the transaction date).
_EXECUTION = (*_e("TRANS_DATE"), *_tx("DEEMED_EXECUTION_DATE"))
#: Where its reported date comes from (an amendment is measured by its original's date).
_REPORTED = (*_e("FILING_DATE"), *_from("submission", "DATE_OF_ORIG_SUB"))
#: What the form's deadline depends on.
_DEADLINE = (*_EXECUTION, *_e("DOCUMENT_TYPE", "PERIOD_OF_REPORT"), *_from("header_parties", "FISCAL_YEAR_END"))

FILING_TIMELINESS = Table(
    "filing_timeliness",
    "One row per effective transaction row of the partition's filings: how many EDGAR business days "
    "(weekdays except US federal holidays) passed between the execution and the filing, against the "
    "form's deadline (Rule 16a-3: Form 4 two business days after execution; Form 5 45 days after the "
    "issuer's fiscal year end; Form 3 10 days after the event, the period of report).",
    (
        _derived(FILING_DATE, *_e("FILING_DATE")),
        _derived(ACCESSION, *_e("ACCESSION_NUMBER")),
        *_copies("effective_transactions",
                 ("TRANS_TABLE", "text", "nonderiv or deriv: the transaction table the row comes from"),
                 ("TRANS_SK", "int", "NONDERIV_TRANS_SK or DERIV_TRANS_SK of the source row"),
                 ("RPTOWNERCIK", "text", "First reporting owner"),
                 ("ISSUERCIK", "text", "issuerCik"),
                 ("DOCUMENT_TYPE", "text", "documentType (the deadline is the base form's: 4/A as 4)"),
                 ("TRANS_CODE", "text", "transactionCode"),
                 ("TRANS_DATE", "date", "transactionDate")),
        *_copies(None, ("DEEMED_EXECUTION_DATE", "date", "deemedExecutionDate")),
        *_copies("effective_transactions", ("PERIOD_OF_REPORT", "date", "periodOfReport")),
        *_copies("header_parties",
                 ("FISCAL_YEAR_END", "text", "The issuer's FISCAL YEAR END (MMDD) from the SEC header (Form 5 deadline)")),
        *_copies(None, ("TRANS_TIMELINESS", "text", "The filer's own transactionTimeliness (E early, L late; usually blank)")),
        Column("EXECUTION_DATE", "date", "The date the deadline runs from: DEEMED_EXECUTION_DATE when given, else TRANS_DATE",
               derived_from=_EXECUTION),
        Column("REPORTED_DATE", "date", "The filing date measured: FILING_DATE, or for an amendment its "
               "DATE_OF_ORIG_SUB (the original was on time or late, not the correction)", derived_from=_REPORTED),
        Column("DUE_DATE", "date", "Last day to file: Form 4 the 2nd business day after EXECUTION_DATE; Form 5 "
               "the fiscal year end on or after EXECUTION_DATE + 45 days; Form 3 PERIOD_OF_REPORT + 10 days; "
               "a due date on a weekend or holiday moves to the next business day", derived_from=_DEADLINE),
        Column("BUSINESS_DAYS_TO_FILE", "int", "EDGAR business days after EXECUTION_DATE up to and including "
               "REPORTED_DATE; empty when a date is missing or after the filing date (DATE_ERROR)",
               derived_from=_EXECUTION + _REPORTED),
        Column("DEADLINE_BUSINESS_DAYS", "int", "Business days the form allows from EXECUTION_DATE to DUE_DATE (Form 4: 2)",
               derived_from=_DEADLINE),
        Column("IS_LATE", "flag", "BUSINESS_DAYS_TO_FILE > DEADLINE_BUSINESS_DAYS; empty with a DATE_ERROR",
               derived_from=_DEADLINE + _REPORTED),
        Column("DATE_ERROR", "text", "no_execution_date, date_after_filing (execution after the filing date), "
               "no_period_of_report (Form 3); reported by the timeliness_dates_sane check, never a negative lateness",
               derived_from=_EXECUTION + _REPORTED + _e("PERIOD_OF_REPORT")),
    ),
    key=("ACCESSION_NUMBER", "TRANS_TABLE", "TRANS_SK"),
)

#: What a filing's plan status is read from.
_PLAN = _e("PLAN_10B5_1", "TRANS_CODE")
#: Where an adoption date is read from: footnotes bound to the rows, or the remarks.
_ADOPTION = (*_from("footnotes", "FOOTNOTE_TXT"), *_from("submission", "REMARKS"))

TRADING_PLANS = Table(
    "trading_plans",
    "One row per effective filing of the partition reporting open-market trades (code P or S): whether "
    "they were made under a Rule 10b5-1 plan, the plan's adoption date when a footnote or the remarks "
    "give one, and the cooling-off period (SEC Release 33-11138, effective 2023-02-27).",
    (
        _derived(FILING_DATE, *_e("FILING_DATE")),
        _derived(ACCESSION, *_e("ACCESSION_NUMBER")),
        *_copies("effective_transactions",
                 ("RPTOWNERCIK", "text", "First reporting owner"),
                 ("ISSUERCIK", "text", "issuerCik"),
                 ("RPTOWNERNAME", "text", "First reporting owner's name"),
                 ("ISSUERTRADINGSYMBOL", "text", "issuerTradingSymbol"),
                 ("IS_DIRECTOR", "flag", "First reporting owner is a director"),
                 ("IS_OFFICER", "flag", "First reporting owner is an officer")),
        *_copies("submission", ("AFF10B5ONE", "flag", "The filing's Rule 10b5-1 checkbox (empty: not in the filing)")),
        Column("PLAN_STATUS", "text", "plan (checkbox, or a bound footnote or remark affirming a plan, negation "
               "handled as in effective_transactions), not_plan (checkbox false on a filing from 2023-04-01, when "
               "it became mandatory), unknown (otherwise: before 2023-04-01 no checkbox says nothing)",
               derived_from=_PLAN + _e("FILING_DATE")),
        *_copies("effective_transactions",
                 ("PLAN_EVIDENCE", "text", "effective_transactions.PLAN_EVIDENCE of the first plan row")),
        Column("PLAN_ROWS", "int", "Open-market rows of the filing under the plan", derived_from=_PLAN),
        Column("OPEN_MARKET_ROWS", "int", "Open-market rows (P, S) of the filing", derived_from=_e("TRANS_CODE")),
        Column("ADOPTION_DATE", "date", "Plan adoption date read from a footnote bound to a plan row, another "
               "10b5-1 footnote of the filing, or the remarks (in that order)", derived_from=_ADOPTION),
        Column("ADOPTION_TEXT", "text", "The sentence the adoption date was read from", derived_from=_ADOPTION),
        Column("ADOPTION_SOURCE", "text", "Footnote id (F1, ...) or REMARKS", derived_from=_ADOPTION),
        Column("TRANS_DATE", "date", "The filing's first plan trade (first open-market trade when not a plan)",
               derived_from=_PLAN + _e("TRANS_DATE")),
        Column("DAYS_SINCE_ADOPTION", "int", "TRANS_DATE − ADOPTION_DATE in calendar days",
               derived_from=_ADOPTION + _e("TRANS_DATE")),
        Column("COOLING_OFF_STATUS", "text", "met (120 days or more; 30 or more for a non-officer non-director), "
               "likely_met (officer or director, 90–119 days: the rule's later of 90 days or 2 business days after "
               "the quarter's 10-Q/10-K is not known from the filings), too_early (under 90, or under 30), "
               "not_applicable (adopted before 2023-02-27); empty without an adoption date",
               derived_from=_ADOPTION + _e("TRANS_DATE", "IS_DIRECTOR", "IS_OFFICER")),
    ),
    key=("ACCESSION_NUMBER",),
)

#: What a pattern count is computed from (open-market trades, by transaction date, as filed by a date).
_TRADES = _e("TRANS_DATE", "TRANS_CODE", "TRANS_TABLE", "FILING_DATE")


def _year_counts(label: str, when: str) -> tuple[Column, ...]:
    return (
        Column(f"PURCHASES_{label}", "int", f"Open-market purchases (non-derivative, code P) {when}", derived_from=_TRADES),
        Column(f"SALES_{label}", "int", f"Open-market sales (non-derivative, code S) {when}", derived_from=_TRADES),
    )


INSIDER_PATTERNS = Table(
    "insider_patterns",
    "Routine versus opportunistic insiders (Cohen, Malloy & Pomorski 2012, 'Decoding Inside Information', "
    "Journal of Finance 67(3)): per reporting owner, issuer and calendar year YEAR, written by each "
    "partition with the owner's open-market trades of that year. The class uses only trades filed "
    "before YEAR began (as known on 31 December of YEAR − 1): no look-ahead.",
    (
        _derived(FILING_DATE, *_e("FILING_DATE")),
        *_copies("effective_transactions",
                 ("RPTOWNERCIK", "text", "The insider (first reporting owner of the filings)"),
                 ("ISSUERCIK", "text", "issuerCik")),
        Column("YEAR", "int", "Calendar year Y of the transaction dates", derived_from=_e("TRANS_DATE")),
        *_copies("effective_transactions",
                 ("RPTOWNERNAME", "text", "Insider's name (latest filing)"),
                 ("ISSUERTRADINGSYMBOL", "text", "issuerTradingSymbol (latest filing)")),
        *_year_counts("Y", "with transaction dates in YEAR, as known on FILING_DATE"),
        *_year_counts("Y1", "in YEAR − 1, filed before YEAR began"),
        *_year_counts("Y2", "in YEAR − 2, filed before YEAR began"),
        *_year_counts("Y3", "in YEAR − 3, filed before YEAR began"),
        Column("ROUTINE_MONTHS", "text", "Calendar months (1–12) with a trade in each of YEAR − 1, − 2 and − 3",
               derived_from=_TRADES),
        Column("CLASS", "text", "routine (a trade in the same calendar month in each of the three prior years), "
               "opportunistic (a trade in each of the three prior years, never in such a month), unclassified "
               "(no trade in one of the three prior years)", derived_from=_TRADES),
    ),
    key=("FILING_DATE", "RPTOWNERCIK", "ISSUERCIK", "YEAR"),
)

#: What the screens sum: open-market rows' shares and dollars.
_OPEN_MARKET = _e("TRANS_CODE", "TRANS_DATE", "TRANS_SHARES", "TRANS_DOLLARS")
#: The opportunistic screen also reads each trader's class.
_OPPORTUNISTIC = (*_OPEN_MARKET, *_from("insider_patterns", "CLASS"))
#: The executive-purchase screen reads the buyer's officer title.
_EXEC = (*_OPEN_MARKET, *_e("RPTOWNERNAME"), *_from("reporting_owner", "RPTOWNER_TITLE"))
#: The ownership-increase screen reads the holding after the trade.
_OWN_INCREASE = (*_OPEN_MARKET, *_tx("SHRS_OWND_FOLWNG_TRANS"))
#: The cluster screen reads who bought (and whether a 10% owner or fund).
_CLUSTER = (*_OPEN_MARKET, *_e("RPTOWNERCIK", "ROLE"))
#: The late-filing screen reads filing_timeliness.
_LATE = _from("filing_timeliness", "IS_LATE", "FILING_DATE")
#: The plan-share screen reads the plan flag of the sales.
_PLAN_SALES = (*_OPEN_MARKET, *_e("PLAN_10B5_1"))


def _opportunistic_columns(days: int) -> tuple[Column, ...]:
    span = f"by opportunistic insiders (insider_patterns CLASS of the trade's year), transaction dates in the {days} days ending on FILING_DATE"
    return tuple(
        Column(name, "decimal", f"{what} {span}", derived_from=_OPPORTUNISTIC)
        for name, what in (
            (f"OPP_BUY_SHARES_{days}D", "Open-market shares bought"),
            (f"OPP_SELL_SHARES_{days}D", "Open-market shares sold"),
            (f"OPP_NET_BUY_SHARES_{days}D", "Bought − sold shares"),
            (f"OPP_NET_BUY_DOLLARS_{days}D", "Bought − sold dollars (rows with a price)"),
        )
    )


INSIDER_SIGNALS = Table(
    "insider_signals",
    "The screens per issuer with effective filings on FILING_DATE, as known that day; each count lists "
    "the accessions it came from.",
    (
        _derived(FILING_DATE, *_e("FILING_DATE")),
        *_copies("effective_transactions",
                 ("ISSUERCIK", "text", "issuerCik"),
                 ("ISSUERNAME", "text", "issuerName (latest filing of the day)"),
                 ("ISSUERTRADINGSYMBOL", "text", "issuerTradingSymbol (latest filing of the day)")),
        *(c for days in WINDOWS for c in _opportunistic_columns(days)),
        Column("OPP_ACCESSIONS", "text", "Accessions of the opportunistic trades of the 90 days",
               derived_from=_OPPORTUNISTIC + _e("ACCESSION_NUMBER")),
        Column("EXEC_BUY_ROWS", "int", "Open-market purchases filed on FILING_DATE by an officer whose officerTitle "
               "names CEO, CFO, president or chair (as words; 'vice president', 'vice chair' excluded)", derived_from=_EXEC),
        Column("EXEC_BUY_SHARES", "decimal", "Shares of those purchases", derived_from=_EXEC),
        Column("EXEC_BUY_DOLLARS", "decimal", "Dollars of those purchases (rows with a price)", derived_from=_EXEC),
        Column("EXEC_BUYERS", "text", "Those buyers as 'name (officerTitle)', the title as filed", derived_from=_EXEC),
        Column("EXEC_BUY_ACCESSIONS", "text", "Accessions of those purchases", derived_from=_EXEC + _e("ACCESSION_NUMBER")),
        Column("OWN_INCREASE_ROWS", "int", "Open-market purchases filed on FILING_DATE raising the holding by at least "
               "OWN_INCREASE_MIN_PCT: ΔOwn = shares / (shares owned following − shares); a new position counts",
               derived_from=_OWN_INCREASE),
        Column("OWN_INCREASE_MAX_PCT", "decimal", "Largest ΔOwn of those, in percent (empty when all are new positions)",
               derived_from=_OWN_INCREASE),
        Column("OWN_INCREASE_MIN_PCT", "decimal", "The threshold X used (configuration)", derived_from=_OWN_INCREASE),
        Column("OWN_INCREASE_ACCESSIONS", "text", "Accessions of those purchases",
               derived_from=_OWN_INCREASE + _e("ACCESSION_NUMBER")),
        Column("CLUSTER_INSIDERS", "int", "Distinct insiders qualifying for the cluster-buy definition in the window",
               derived_from=_CLUSTER),
        Column("CLUSTER_DOLLARS", "decimal", "Their open-market purchase dollars in the window", derived_from=_CLUSTER),
        Column("IS_CLUSTER", "flag", "CLUSTER_INSIDERS >= the definition's minimum", derived_from=_CLUSTER),
        Column("CLUSTER_DEFINITION", "text", "The definition used: min insiders, window days, min dollars per insider, "
               "whether 10% owners and funds are excluded", derived_from=_CLUSTER),
        Column("CLUSTER_ACCESSIONS", "text", "Accessions of the qualifying purchases",
               derived_from=_CLUSTER + _e("ACCESSION_NUMBER")),
        Column("LATE_ROWS_90D", "int", "Transaction rows filed in the 90 days ending on FILING_DATE that were late "
               "(filing_timeliness)", derived_from=_LATE),
        Column("LATE_ACCESSIONS", "text", "Accessions of those late rows",
               derived_from=_LATE + _from("filing_timeliness", "ACCESSION_NUMBER")),
        Column("SALE_SHARES_90D", "decimal", "Open-market shares sold, transaction dates in the 90 days ending on "
               "FILING_DATE", derived_from=_OPEN_MARKET),
        Column("PLAN_SALE_SHARES_90D", "decimal", "Of those, shares sold under a Rule 10b5-1 plan "
               "(effective_transactions.PLAN_10B5_1)", derived_from=_PLAN_SALES),
        Column("PLAN_SALE_SHARE_90D", "decimal", "PLAN_SALE_SHARES_90D / SALE_SHARES_90D, rounded half-even to 4 places (empty without sales)",
               derived_from=_PLAN_SALES),
    ),
    key=("FILING_DATE", "ISSUERCIK"),
)

#: Derived signal tables, written by the signal assets (form4_assets.defs.signals).
SIGNAL_TABLES: tuple[Table, ...] = (FILING_TIMELINESS, TRADING_PLANS, INSIDER_PATTERNS, INSIDER_SIGNALS)

# ---------------------------------------------------------------------------
# Outcome tables: what the price did after each insider trade (form4_assets.outcomes, issue 15)
# ---------------------------------------------------------------------------
#
# Prices are not in the filings: they come from a file the user supplies (PriceSource,
# form4_assets.prices). Partition D writes a trade's row on the days something about it
# becomes known as of D: the day it is filed, its entry day and the day each horizon is
# reached; the current row of a trade is its row with the latest FILING_DATE. A horizon not
# reached by D (or past the end of the price data) is empty: no look-ahead. Returns are
# ratios (0.0123 = +1.23%) rounded half-even to the warehouse's DECIMAL_PLACES (1 basis
# point): quotients of prices, not filed values; an excess is the rounded return minus the
# rounded benchmark return, exactly, so the columns add up.

#: Trading-day horizons of the forward returns (a week, a month, a quarter, half a year).
HORIZONS: tuple[int, ...] = (5, 21, 63, 126)
#: What an outcome's trade and entry are read from.
_TRADE = _e("ACCESSION_NUMBER", "TRANS_TABLE", "TRANS_SK", "FILING_DATE")
_ENTRY = (*_e("FILING_DATE"), *_from("filing_headers", "ACCEPTANCE_DATETIME"))
_TICKER = (*_e("ISSUERTRADINGSYMBOL", "ISSUERCIK", "FILING_DATE"),)
_PRICE_NOTE = " (prices: the configured price source, not the warehouse)"


def _horizon_columns(days: int) -> tuple[Column, ...]:
    h = f"{days}D"
    return (
        Column(f"EXIT_DATE_{h}", "date", f"The trading day {days} trading days after ENTRY_DATE, when reached by "
               f"FILING_DATE and inside the price data{_PRICE_NOTE}", derived_from=_ENTRY),
        Column(f"RETURN_{h}", "decimal", f"Close on EXIT_DATE_{h} / close on ENTRY_DATE − 1 (adjusted close when the "
               "source has it), half-even to 4 places; empty when not reached or a close is missing",
               derived_from=_ENTRY + _TICKER),
        Column(f"BENCH_RETURN_{h}", "decimal", f"The benchmark's return over the same days, half-even to 4 places",
               derived_from=_ENTRY),
        Column(f"EXCESS_{h}", "decimal", f"RETURN_{h} − BENCH_RETURN_{h} (exactly, of the rounded values)",
               derived_from=_ENTRY + _TICKER),
    )


TRADE_OUTCOMES = Table(
    "trade_outcomes",
    "Forward returns after each open-market purchase (P) and sale (S) of effective_transactions, measured "
    "from the close of the filing date (the first price the public could act on; a filing accepted after "
    "16:00 New York time: the next trading day's close), as known on FILING_DATE. One row per trade and "
    "FILING_DATE on which its filing, entry or a horizon falls; the current row is the latest.",
    (
        _derived(FILING_DATE, *_e("FILING_DATE")),
        _derived(ACCESSION, *_e("ACCESSION_NUMBER")),
        *_copies("effective_transactions",
                 ("TRANS_TABLE", "text", "nonderiv (open-market trades are non-derivative rows)"),
                 ("TRANS_SK", "int", "NONDERIV_TRANS_SK of the source row")),
        Column("TRADE_FILING_DATE", "date", "The filing date of the trade's filing", derived_from=_e("FILING_DATE")),
        *_copies("filing_headers", ("ACCEPTANCE_DATETIME", "datetime", "EDGAR acceptance time (Eastern) from the SEC header")),
        *_copies("effective_transactions",
                 ("RPTOWNERCIK", "text", "The insider (first reporting owner)"),
                 ("RPTOWNERNAME", "text", "The insider's name"),
                 ("ISSUERCIK", "text", "issuerCik"),
                 ("ISSUERTRADINGSYMBOL", "text", "issuerTradingSymbol as filed"),
                 ("TRANS_CODE", "text", "P (purchase) or S (sale)"),
                 ("TRANS_DATE", "date", "transactionDate"),
                 ("PLAN_10B5_1", "flag", "Under a Rule 10b5-1 plan (else discretionary)")),
        Column("CLASS", "text", "insider_patterns CLASS of the insider, issuer and the trade's year as of FILING_DATE "
               "(routine, opportunistic, unclassified; empty when not classified)",
               derived_from=_from("insider_patterns", "CLASS")),
        Column("TICKER", "text", "The price series used: ISSUERTRADINGSYMBOL of the filing when the price source has "
               "it, else the symbol of the issuer's latest other filing known on FILING_DATE that it has", derived_from=_TICKER),
        Column("TICKER_SOURCE", "text", "filing, or issuer_filing <accession> (the other filing whose symbol was used); "
               "empty when no symbol maps", derived_from=_TICKER),
        Column("PRICE_STATUS", "text", "measured (entry close known), no_symbol (the filing names no trading symbol), "
               "ticker_not_in_prices (no symbol of the issuer is in the price source: a mapping miss), pending_entry "
               "(the entry day is after FILING_DATE), no_entry_close (the series has no close on the entry day), "
               "data_ends (the price data ends before the entry day)", derived_from=_TICKER + _ENTRY),
        Column("ENTRY_RULE", "text", "filing_date_close, after_close_next_day (accepted after 16:00 New York time), "
               "next_trading_day (the filing date is not a trading day), no_acceptance_time (filing date close)",
               derived_from=_ENTRY),
        Column("ENTRY_DATE", "date", "The trading day whose close the returns start from", derived_from=_ENTRY),
        Column("ENTRY_PRICE", "text", "The close used on ENTRY_DATE, as written in the price file (adjusted close "
               f"when present){_PRICE_NOTE}", derived_from=_ENTRY + _TICKER),
        Column("ENTRY_SOURCE", "text", "file:line (CSV) or file:row (Parquet) of the entry price", derived_from=_ENTRY + _TICKER),
        Column("BENCHMARK", "text", "The benchmark ticker, configuration of the price source read at ENTRY_DATE "
               "(empty: none configured, no excess returns)", derived_from=_ENTRY),
        Column("BENCH_ENTRY_PRICE", "text", "The benchmark's close on ENTRY_DATE, as written", derived_from=_ENTRY),
        Column("DAYS_AVAILABLE", "int", "Trading days after ENTRY_DATE with prices, up to FILING_DATE (horizons with "
               "more days are empty)", derived_from=_ENTRY),
        *(c for days in HORIZONS for c in _horizon_columns(days)),
        Column("PRICE_ISSUES", "text", "What the price data says about this trade's span: gap (a trading day without a "
               "close), split_like_jump (a day's close at ≤ 0.55× or ≥ 1.8× the previous: an unadjusted split?), "
               "'; '-separated; returns are still computed from the closes as given", derived_from=_ENTRY + _TICKER),
    ),
    key=("FILING_DATE", "ACCESSION_NUMBER", "TRANS_TABLE", "TRANS_SK"),
)

#: What a track record is summarised from: the trades' current outcome rows.
_OUTCOME = _from("trade_outcomes", *(f"EXCESS_{d}D" for d in HORIZONS), "TRANS_CODE", "CLASS", "PLAN_10B5_1")
#: The segments of an insider's track record (rows, not columns: sort and filter by SEGMENT).
TRACK_SEGMENTS: tuple[str, ...] = ("all", "routine", "opportunistic", "unclassified", "plan", "discretionary")


def _track_columns(days: int) -> tuple[Column, ...]:
    h = f"{days}D"
    edge = f"excess return over {days} trading days in the trade's direction (purchase: EXCESS_{h}, sale: −EXCESS_{h})"
    return (
        Column(f"MEASURED_{h}", "int", f"Trades with EXCESS_{h} as of FILING_DATE", derived_from=_OUTCOME),
        Column(f"HIT_RATE_{h}", "decimal", f"Share of those whose {edge} is positive, half-even to 4 places",
               derived_from=_OUTCOME),
        Column(f"MEAN_EXCESS_{h}", "decimal", f"Mean {edge}, half-even to 4 places", derived_from=_OUTCOME),
        Column(f"MEDIAN_EXCESS_{h}", "decimal", f"Median {edge}, half-even to 4 places", derived_from=_OUTCOME),
    )


INSIDER_TRACK_RECORDS = Table(
    "insider_track_records",
    "Per insider (ISSUERCIK 'ALL': every issuer) and per insider and issuer, as known on FILING_DATE: trade counts, "
    "hit rate and mean/median excess return per horizon over the current trade_outcomes rows, in segments: all, "
    "routine / opportunistic / unclassified (insider_patterns, Cohen–Malloy–Pomorski 2012) and plan / discretionary "
    "(Rule 10b5-1). Written by each partition for the insiders whose outcomes it wrote; the current row is the latest.",
    (
        _derived(FILING_DATE, *_from("trade_outcomes", "FILING_DATE")),
        *_copies("trade_outcomes", ("RPTOWNERCIK", "text", "The insider")),
        Column("ISSUERCIK", "text", "The issuer, or ALL for the insider's trades in every issuer",
               derived_from=_from("trade_outcomes", "ISSUERCIK")),
        Column("SEGMENT", "text", "all, routine, opportunistic, unclassified (CLASS), plan or discretionary (PLAN_10B5_1)",
               derived_from=_from("trade_outcomes", "CLASS", "PLAN_10B5_1")),
        *_copies("trade_outcomes",
                 ("RPTOWNERNAME", "text", "The insider's name (latest trade)"),
                 ("ISSUERTRADINGSYMBOL", "text", "The issuer's symbol (latest trade; empty for ALL)")),
        Column("TRADES", "int", "Open-market trades in the segment", derived_from=_OUTCOME),
        Column("PURCHASES", "int", "Of which purchases (P)", derived_from=_OUTCOME),
        Column("SALES", "int", "Of which sales (S)", derived_from=_OUTCOME),
        *(c for days in HORIZONS for c in _track_columns(days)),
    ),
    key=("FILING_DATE", "RPTOWNERCIK", "ISSUERCIK", "SEGMENT"),
)

_SIGNAL = _from("insider_signals", "IS_CLUSTER", "EXEC_BUY_ROWS", "CLUSTER_ACCESSIONS", "EXEC_BUY_ACCESSIONS")

SIGNAL_OUTCOMES = Table(
    "signal_outcomes",
    "The cluster buys and CEO/CFO (executive) buys of insider_signals with the returns that followed, measured like "
    "trade_outcomes from the close after the signal's last filing was accepted; one row per signal and FILING_DATE on "
    "which its signal day, entry or a horizon falls (the current row is the latest). Sort by EXCESS_* to see which "
    "screens worked.",
    (
        _derived(FILING_DATE, *_from("insider_signals", "FILING_DATE")),
        Column("SIGNAL_DATE", "date", "The insider_signals FILING_DATE that raised the signal",
               derived_from=_from("insider_signals", "FILING_DATE")),
        *_copies("insider_signals", ("ISSUERCIK", "text", "issuerCik")),
        Column("SIGNAL", "text", "cluster_buy (IS_CLUSTER) or exec_buy (EXEC_BUY_ROWS > 0)", derived_from=_SIGNAL),
        *_copies("insider_signals", ("ISSUERTRADINGSYMBOL", "text", "issuerTradingSymbol (latest filing of the day)")),
        Column("ACCESSIONS", "text", "The signal's accessions (CLUSTER_ACCESSIONS or EXEC_BUY_ACCESSIONS)", derived_from=_SIGNAL),
        Column("ACCEPTANCE_DATETIME", "datetime", "Latest acceptance time of those accessions filed on SIGNAL_DATE",
               derived_from=_from("filing_headers", "ACCEPTANCE_DATETIME")),
        *(c for c in TRADE_OUTCOMES.columns if c.name in {
            "TICKER", "TICKER_SOURCE", "PRICE_STATUS", "ENTRY_RULE", "ENTRY_DATE", "ENTRY_PRICE", "ENTRY_SOURCE",
            "BENCHMARK", "BENCH_ENTRY_PRICE", "DAYS_AVAILABLE"}),
        *(c for days in HORIZONS for c in _horizon_columns(days)),
        *(c for c in TRADE_OUTCOMES.columns if c.name == "PRICE_ISSUES"),
    ),
    key=("FILING_DATE", "SIGNAL_DATE", "ISSUERCIK", "SIGNAL"),
)

#: Outcome tables, written by the outcome assets (form4_assets.defs.outcomes) when a price source is configured.
OUTCOME_TABLES: tuple[Table, ...] = (TRADE_OUTCOMES, INSIDER_TRACK_RECORDS, SIGNAL_OUTCOMES)

#: Derived tables, written by the aggregate assets (form4_assets.defs.aggregates), the
#: signal assets (form4_assets.defs.signals) and the outcome assets (form4_assets.defs.outcomes).
AGGREGATE_TABLES: tuple[Table, ...] = (
    SUPERSESSIONS,
    EFFECTIVE_TRANSACTIONS,
    ISSUER_DAILY_ACTIVITY,
    NET_INSIDER_SELLING,
    CLUSTER_BUYS,
    *SIGNAL_TABLES,
    *OUTCOME_TABLES,
)


# ---------------------------------------------------------------------------
# The SEC's own Form 345 data sets (sec_* tables, written by form4_assets.form345)
# ---------------------------------------------------------------------------
#
# One sec_* table per data-set file, generated from the parsed table it mirrors: the same
# columns with the same kinds (so our parse and the SEC's rows compare column by column),
# the *_SK columns holding the SEC's surrogate keys instead of row positions, plus the
# columns only the data set has. Every row says where it came from (data-set file and
# line); a column the catalogue does not know is kept in EXTRA_COLUMNS, never dropped.

#: Columns of the data sets that our parse does not produce (the SEC's column metadata).
_SEC_ONLY: dict[str, tuple[tuple[str, Column], ...]] = {
    "SUBMISSION.tsv": tuple(
        ("ISSUERTRADINGSYMBOL", Column(name, "text", description))
        for name, description in (
            ("CONTACT_NAME", "Contact name (data-set only; absent from some quarters' files)"),
            ("CONTACT_PHONE_NUMBER", "Contact phone number (data-set only)"),
            ("CONTACT_EMAIL_ADDRESS", "Contact e-mail address (data-set only)"),
            ("NOTIFICATION_EMAIL_ADDRESS", "Notification e-mail address (data-set only)"),
        )
    ),
}

#: Header names the SEC has used for a catalogue column (its column metadata and its files disagree).
SEC_COLUMN_ALIASES: dict[str, str] = {"EQUITY_SWAP_INVOLVED_FN": "EQUITY_SWAP_TRANS_CD_FN"}

_SEC_SOURCE = (
    Column("SOURCE_FILE", "text", "Data-set file the row was read from, e.g. 2024q3_form345/SUBMISSION.tsv", extra=True),
    Column("SOURCE_LINE", "int", "Line of that file the row starts on (the header is line 1)", extra=True),
    Column("SEC_SPELLING", "text", "JSON {column: text} of fields whose SEC text the stored value does not "
           "print back to (a flag filed as 'true'), so the SEC's line is reproducible", extra=True),
    Column("EXTRA_COLUMNS", "text", "JSON {column: text} of data-set columns this catalogue does not know", extra=True),
    Column("ABSENT_COLUMNS", "text", "JSON list of this table's data-set columns that the row's file lacks "
           "(AFF10B5ONE in 2024 Q3): not compared by the reconciliation", extra=True),
)


def _sec_table(parsed: Table) -> Table:
    """The sec_* twin of a parsed table."""
    assert parsed.sec_file is not None
    columns: list[Column] = []
    for column in parsed.columns:
        if column.extra:
            continue
        if column.name.endswith("_SK"):
            column = Column(column.name, "int", "The SEC's surrogate key of the row (as in the data set)")
        columns.append(column)
        columns.extend(c for after, c in _SEC_ONLY.get(parsed.sec_file, ()) if after == column.name)
    if "FILING_DATE" not in {c.name for c in columns}:
        columns.append(Column("FILING_DATE", "date", "Filing date of the row's submission: its partition", extra=True))
    return Table(
        "sec_" + parsed.sec_file.removesuffix(".tsv").lower(),
        f"The SEC's Form 345 data-set rows of {parsed.sec_file}, as published, with their source line.",
        (*columns, *_SEC_SOURCE),
        key=("SOURCE_FILE", "SOURCE_LINE"),
        sec_file=parsed.sec_file,
    )


SEC_TABLES: tuple[Table, ...] = tuple(_sec_table(t) for t in PARSED_TABLES)
SEC_TABLES_BY_FILE: dict[str, Table] = {t.sec_file: t for t in SEC_TABLES if t.sec_file}

SEC_REJECTED_ROWS = Table(
    "sec_rejected_rows",
    "Every data-set line that could not be read into its sec_* table, with table, line and reason. "
    "On the filing date of its accession's submission when known, else on the data set's first filing date.",
    (
        FILING_DATE,
        Column("SOURCE_FILE", "text", "Data-set file, e.g. 2024q3_form345/DERIV_TRANS.tsv"),
        Column("SOURCE_LINE", "int", "Line the record starts on (the header is line 1)"),
        Column("SEC_TABLE", "text", "The sec_* table the line belongs to"),
        Column("ACCESSION_NUMBER", "text", "The line's accession, when readable"),
        Column("FIELD", "text", "The column at fault, when one is"),
        Column("REASON_CODE", "text", "bad_date, bad_number, bad_flag, field_count, not_utf8, unreadable_line, "
               "missing_accession, missing_key (an empty *_SK; or ISSUERCIK, DOCUMENT_TYPE or an owner's "
               "RPTOWNERCIK empty: every line of that accession)"),
        Column("MESSAGE", "text", "Human-readable explanation"),
        Column("LINE_TEXT", "text", "The record as read (fields joined by tabs)"),
    ),
    key=("SOURCE_FILE", "SOURCE_LINE"),
)

FORM345_TABLES: tuple[Table, ...] = (*SEC_TABLES, SEC_REJECTED_ROWS)

#: Every table of the warehouse by name, parsed and derived: the one registry.
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in (*ALL_TABLES, *AGGREGATE_TABLES, *FORM345_TABLES)}

#: Bookkeeping, not data (so outside TABLES_BY_NAME, no asset): how the warehouse knows an aggregate
#: partition is stale.
PARTITION_VERSIONS = Table(
    "partition_versions",
    "When each table's partition was last written and last changed, as positions in the warehouse's write "
    "order (every partition write holds the warehouse write lock and takes the next number). An aggregate "
    "partition is stale when a partition it reads (its inputs' partitions on or before its filing date) "
    "changed after it was written.",
    (
        Column("TABLE_NAME", "text", "The warehouse table"),
        FILING_DATE_EXTRA,
        Column("WRITTEN_SEQ", "int", "Write-order number of the last write of this partition"),
        Column("CHANGED_SEQ", "int", "Write-order number of the last write that changed its rows"),
        Column("DIGEST", "text", "SHA-256 of the rows last written (empty after a partial rewrite)"),
    ),
    key=("TABLE_NAME", "FILING_DATE"),
)
