"""SQLAlchemy Core tables built from the one layout in form4_assets.tables.

The same MetaData creates the schema on SQLite and PostgreSQL. Indexes sit on the
keys analysts query: issuer CIK, owner CIK, transaction date, accession, and the
partition column FILING_DATE that a re-materialization deletes by.

Decimals are exact on both databases (`ExactDecimal`): NUMERIC(19, 4) on PostgreSQL,
an INTEGER count of ten-thousandths on SQLite (read it through these tables, or divide
by 10,000 when querying the SQLite file with other tools).
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import operators

from form4_assets.tables import DECIMAL_PLACES, PARTITION_VERSIONS, STORED_DECIMAL_MAX, TABLES_BY_NAME, Kind, Table

metadata = sa.MetaData()

_QUANTUM = Decimal(1).scaleb(-DECIMAL_PLACES)
_SCALE = 10**DECIMAL_PLACES
_SCALED_MAX = int(STORED_DECIMAL_MAX * _SCALE)


def to_stored_decimal(value: Decimal | int) -> Decimal:
    """The value exactly as the warehouse stores it: at most DECIMAL_PLACES places, within
    STORED_DECIMAL_MAX. Raises ValueError otherwise, so nothing is ever rounded on the way in.

    Filings are bounded before their day is written (form4_assets.bounds), so
    reaching the error means a computed value (an aggregate sum) outgrew the storage.
    """
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"decimal column given {type(value).__name__} {value!r}: only Decimal or int is exact")
    value = Decimal(value)
    if not value.is_finite() or abs(value) > STORED_DECIMAL_MAX:
        raise ValueError(f"{value} does not fit the warehouse's decimals (at most {STORED_DECIMAL_MAX} in magnitude)")
    stored = value.quantize(_QUANTUM)  # within the bound, so at most 19 digits: never inexact itself
    if stored != value:
        raise ValueError(f"{value} has more than {DECIMAL_PLACES} decimal places: the warehouse would round it")
    return stored


def to_sql_decimal(value: Decimal | int | None, dialect_name: str) -> Decimal | int | None:
    """The driver value of a decimal: the one conversion for every write path (the
    TypeDecorator below, and any bulk path that talks to the driver directly)."""
    if value is None:
        return None
    if dialect_name == "sqlite" and type(value) is Decimal and value.is_finite():
        # The common case without the general path's quantize: the value scaled to an integer
        # that gives the value back exactly and fits is the stored count (anything else, such as
        # a fifth decimal place or a value out of range, takes the general path and its error).
        if not value:
            return 0  # every zero (0, -0, 0E-9) is stored as 0
        scaled = int(value.scaleb(DECIMAL_PLACES))
        if -_SCALED_MAX <= scaled <= _SCALED_MAX and Decimal(scaled).scaleb(-DECIMAL_PLACES) == value:
            return scaled
    stored = to_stored_decimal(value)
    return int(stored * _SCALE) if dialect_name == "sqlite" else stored


@functools.lru_cache(maxsize=1 << 16)
def _scaled_back(value: int) -> Decimal:
    """A SQLite count of 10^-4 as its Decimal. Remembered: a read returns the same amounts (and
    zeros) over and over, and a Decimal is immutable, so one object can stand for each."""
    return Decimal(value).scaleb(-DECIMAL_PLACES)


def _from_sqlite_decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    if not isinstance(value, int):
        raise ValueError(
            f"decimal stored as {type(value).__name__} {value!r}: this SQLite warehouse predates exact "
            "decimals (issue 14); rebuild it by re-materializing its partitions into a new file"
        )
    return _scaled_back(value)


def from_sql_decimal(value: Any, dialect_name: str) -> Decimal | None:
    """A decimal as the driver returned it, back to the exact Decimal."""
    if dialect_name == "sqlite":
        return _from_sqlite_decimal(value)
    return None if value is None else Decimal(value)


class ExactDecimal(sa.types.TypeDecorator[Decimal]):
    """A decimal stored exactly on both databases, with SQL comparisons and sums still right.

    PostgreSQL: NUMERIC(19, 4), exact. SQLite has no exact decimal (NUMERIC is a float
    there, so 1234567890123456789 came back as ...768 and sums carried float noise), so
    the value is an INTEGER count of 10^-4: SQLite compares, orders, adds and SUMs it
    exactly (SUM raises on overflow instead of going inexact), and a bound literal goes
    through the same scaling. Multiplying two such columns in SQL would multiply the
    scales: compute products in Python (the aggregates do).
    """

    impl = sa.Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.Numeric(precision=15 + DECIMAL_PLACES, scale=DECIMAL_PLACES, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        return to_sql_decimal(value, dialect.name)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Decimal | None:
        return from_sql_decimal(value, dialect.name)

    def result_processor(self, dialect: sa.Dialect, coltype: Any) -> Any:
        """On SQLite the conversion itself, without the TypeDecorator's layers of calls around it
        (the driver returns the stored integer as is): the aggregates read amounts by the million."""
        if dialect.name == "sqlite":
            return _from_sqlite_decimal
        return super().result_processor(dialect, coltype)

    def coerce_compared_value(self, op: Any, value: Any) -> sa.types.TypeEngine[Any]:
        """A literal compared with, added to or subtracted from a decimal column is scaled
        like it; a factor or divisor is not (column × 2 is twice the column either way)."""
        if op in (operators.mul, operators.truediv, operators.floordiv):
            return sa.Integer() if isinstance(value, int) else sa.Numeric()
        return self


#: Every decimal column's type (also for CASTs in SQL checks).
DECIMAL_TYPE = ExactDecimal()

_SQL_TYPES: dict[Kind, sa.types.TypeEngine] = {
    "text": sa.Text(),
    "fn": sa.Text(),
    "date": sa.Date(),
    "datetime": sa.DateTime(),
    "decimal": DECIMAL_TYPE,
    "int": sa.BigInteger(),
    "flag": sa.Boolean(create_constraint=False),
}

_EXTRA_INDEXES: dict[str, tuple[str | tuple[str, ...], ...]] = {
    "submission": ("ISSUERCIK", "PERIOD_OF_REPORT"),
    # The amendments' candidate originals are read by issuer from both sources (aggregates.effective).
    "sec_submission": ("ISSUERCIK",),
    "reporting_owner": ("RPTOWNERCIK",),
    "nonderiv_trans": ("TRANS_DATE", "TRANS_CODE"),
    "deriv_trans": ("TRANS_DATE",),
    "header_parties": ("CIK",),
    "filing_headers": ("ISSUER_CIK",),
    # As-of reads filter a transaction-date range (or issuer-days) AND FILING_DATE <= D: with
    # FILING_DATE in the index, rows filed after D are skipped inside the index rather than
    # read from the table, so re-materializing an early date costs the same however much
    # history was loaded after it.
    "effective_transactions": (("ISSUERCIK", "TRANS_DATE", "FILING_DATE"), ("TRANS_DATE", "FILING_DATE")),
    "supersessions": ("SUPERSEDED_ACCESSION",),
    "issuer_daily_activity": (("TRANS_DATE", "FILING_DATE"),),
    # The signals' window reads (an issuer's late rows of the last 90 filing days, its opportunistic
    # classes of the last two years) seek inside the issuer's rows instead of reading its whole history.
    "filing_timeliness": (("ISSUERCIK", "FILING_DATE"),),
    "insider_patterns": (("ISSUERCIK", "YEAR", "FILING_DATE"), "RPTOWNERCIK"),
}


def build_table(spec: Table, md: sa.MetaData = metadata) -> sa.Table:
    """One SQLAlchemy table for a layout table, with its primary key and indexes."""
    columns = [
        sa.Column(c.name, _SQL_TYPES[c.kind], primary_key=c.name in spec.key, comment=c.description)
        for c in spec.columns
    ]
    table = sa.Table(spec.name, md, *columns, comment=spec.description)
    candidates = _index_candidates(spec)
    wanted = [names for names, _ in candidates]
    for names, name in candidates:
        if not _implied(names, table, wanted):
            sa.Index(name, *(table.c[n] for n in names))
    return table


def _index_candidates(spec: Table) -> list[tuple[tuple[str, ...], str]]:
    """(columns, name) of every index the table's queries want: FILING_DATE (what a
    re-materialization deletes by), ACCESSION_NUMBER, and the table's `_EXTRA_INDEXES`."""
    found: list[tuple[tuple[str, ...], str]] = []
    if "FILING_DATE" in spec.column_names:
        found.append((("FILING_DATE",), f"ix_{spec.name}_filing_date"))
    if "ACCESSION_NUMBER" in spec.column_names:
        found.append((("ACCESSION_NUMBER",), f"ix_{spec.name}_accession"))
    for columns in _EXTRA_INDEXES.get(spec.name, ()):
        names = (columns,) if isinstance(columns, str) else columns
        found.append((names, f"ix_{spec.name}_{'_'.join(n.lower() for n in names)}"))
    return found


def _implied(names: tuple[str, ...], table: sa.Table, wanted: list[tuple[str, ...]]) -> bool:
    """Whether an index on `names` would only repeat the leading columns of the primary key or
    of another wanted index. Both databases seek by any leading columns of an index, so such an
    index serves no query that the longer one does not, and every written row would pay a
    B-tree insert for it (every parsed child table's ACCESSION_NUMBER index beside its
    (ACCESSION_NUMBER, SK) key; the aggregates' FILING_DATE index beside their (FILING_DATE, ...) key)."""
    key = tuple(c.name for c in table.primary_key.columns)
    longer = [key, *(other for other in wanted if len(other) > len(names))]
    return any(other[: len(names)] == names for other in longer)


#: The SQL table of every table of the catalogue's registry, by name.
TABLES: dict[str, sa.Table] = {name: build_table(spec) for name, spec in TABLES_BY_NAME.items()}

#: The wanted indexes `_implied` leaves out, by table. Earlier versions made most of them: an
#: existing warehouse drops those it has (engine.create_schema), so its writes save the same.
IMPLIED_INDEXES: dict[str, frozenset[str]] = {
    name: frozenset(n for _, n in _index_candidates(spec)) - {index.name for index in TABLES[name].indexes}
    for name, spec in TABLES_BY_NAME.items()
}

#: Bookkeeping of partition writes (see form4_assets.warehouse.store); created with the
#: schema but not a data table, so it is not in TABLES (dumps and exports leave it out).
PARTITION_VERSIONS_TABLE: sa.Table = build_table(PARTITION_VERSIONS)
