"""SQLAlchemy Core tables built from the one layout in form4_assets.tables.

The same MetaData creates the schema on SQLite and PostgreSQL. Indexes sit on the
keys analysts query: issuer CIK, owner CIK, transaction date, accession, and the
partition column FILING_DATE that a re-materialization deletes by.
"""

from __future__ import annotations

import sqlalchemy as sa

from form4_assets.tables import AGGREGATE_TABLES, ALL_TABLES, FORM345_TABLES, Kind, Table

metadata = sa.MetaData()

#: Enough digits for share counts and prices with fractional shares, exactly.
DECIMAL_TYPE = sa.Numeric(precision=28, scale=8, asdecimal=True)

_SQL_TYPES: dict[Kind, sa.types.TypeEngine] = {
    "text": sa.Text(),
    "fn": sa.Text(),
    "date": sa.Date(),
    "datetime": sa.DateTime(),
    "decimal": DECIMAL_TYPE,
    "int": sa.BigInteger(),
    "flag": sa.Boolean(create_constraint=False),
}

_EXTRA_INDEXES: dict[str, tuple[str, ...]] = {
    "submission": ("ISSUERCIK", "PERIOD_OF_REPORT"),
    "reporting_owner": ("RPTOWNERCIK",),
    "nonderiv_trans": ("TRANS_DATE", "TRANS_CODE"),
    "deriv_trans": ("TRANS_DATE",),
    "header_parties": ("CIK",),
    "filing_headers": ("ISSUER_CIK",),
    "effective_transactions": ("ISSUERCIK", "TRANS_DATE"),
    "supersessions": ("SUPERSEDED_ACCESSION",),
    "issuer_daily_activity": ("TRANS_DATE",),
    "filing_timeliness": ("ISSUERCIK",),
    "insider_patterns": ("ISSUERCIK", "RPTOWNERCIK"),
}


def build_table(spec: Table, md: sa.MetaData = metadata) -> sa.Table:
    """One SQLAlchemy table for a layout table, with its primary key and indexes."""
    columns = [
        sa.Column(c.name, _SQL_TYPES[c.kind], primary_key=c.name in spec.key, comment=c.description)
        for c in spec.columns
    ]
    table = sa.Table(spec.name, md, *columns, comment=spec.description)
    if "FILING_DATE" in spec.column_names:
        sa.Index(f"ix_{spec.name}_filing_date", table.c.FILING_DATE)
    if spec.key != ("ACCESSION_NUMBER",) and "ACCESSION_NUMBER" in spec.column_names:
        sa.Index(f"ix_{spec.name}_accession", table.c.ACCESSION_NUMBER)
    for name in _EXTRA_INDEXES.get(spec.name, ()):
        sa.Index(f"ix_{spec.name}_{name.lower()}", table.c[name])
    return table


TABLES: dict[str, sa.Table] = {spec.name: build_table(spec) for spec in (*ALL_TABLES, *AGGREGATE_TABLES, *FORM345_TABLES)}
