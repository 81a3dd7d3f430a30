"""The catalogue (form4_assets.tables) is the one place a column is stated: the parser's
element map, the SQL schema, the Dagster TableSchema, the column lineage and the Form 345
export all follow from it."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from form4_assets.defs.metadata import ASSET_OF_TABLE, ASSET_TABLES, column_lineage, derived_lineage, table_schema
from form4_assets.export import export_table
from form4_assets.parsing import ParsedFiling, ownership, parse_filing
from form4_assets.tables import (
    AGGREGATE_TABLES,
    ALL_TABLES,
    FORM345_TABLES,
    ISSUER_DAILY_ACTIVITY,
    NONDERIV_TRANS,
    PARSED_TABLES,
    TABLES_BY_NAME,
    Column,
)
from form4_assets.warehouse.schema import TABLES, build_table

DAY = dt.date(2023, 11, 8)

#: A small Form 4 whose transaction has an element the schema does not define (yet).
VENUE_FILING = b"""<?xml version="1.0"?>
<ownershipDocument>
  <schemaVersion>X0508</schemaVersion>
  <documentType>4</documentType>
  <periodOfReport>2023-11-06</periodOfReport>
  <issuer><issuerCik>0000320193</issuerCik><issuerName>Apple Inc.</issuerName></issuer>
  <reportingOwner><reportingOwnerId><rptOwnerCik>0001214128</rptOwnerCik></reportingOwnerId></reportingOwner>
  <nonDerivativeTable>
    <nonDerivativeTransaction>
      <securityTitle><value>Common Stock</value></securityTitle>
      <transactionAmounts>
        <transactionShares><value>100</value></transactionShares>
        <transactionVenue>NYSE</transactionVenue>
      </transactionAmounts>
    </nonDerivativeTransaction>
  </nonDerivativeTable>
</ownershipDocument>
"""


def test_a_new_parsed_column_is_one_edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A variant of nonderiv_trans with one more column, as an edit of tables.py would make it."""
    added = Column("TRANS_VENUE", "text", "Where the trade was executed (a column added by this test)",
                   xml="transactionAmounts/transactionVenue")
    variant = replace(NONDERIV_TRANS, columns=(*NONDERIV_TRANS.columns, added))

    # Parser: without the column the element is passed over; with it, it is read into the row.
    before = parse_filing(VENUE_FILING, source="venue.xml")
    assert isinstance(before, ParsedFiling) and "TRANS_VENUE" not in before.nonderiv_trans[0]
    monkeypatch.setattr(ownership, "_TOP_ACTIONS", ownership._dispatch((variant, *ownership._ROW_TABLES[1:])))
    parsed = parse_filing(VENUE_FILING, source="venue.xml")
    assert isinstance(parsed, ParsedFiling), parsed
    (row,) = parsed.nonderiv_trans
    assert (row["TRANS_VENUE"], row["TRANS_SHARES"], row["SECURITY_TITLE"]) == ("NYSE", Decimal("100"), "Common Stock")
    assert list(row) == [c.name for c in variant.columns if c.name != "FILING_DATE"]

    # DDL: the column exists in the created table, with its type and its meaning as the comment.
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    md = sa.MetaData()
    table = build_table(variant, md)
    md.create_all(engine)
    created = {c["name"]: c for c in sa.inspect(engine).get_columns(variant.name)}
    assert isinstance(created["TRANS_VENUE"]["type"], sa.Text)
    assert table.c.TRANS_VENUE.comment == added.description

    # Dagster's TableSchema: the column with its kind and description.
    schema = {c.name: c for c in table_schema(variant).columns}
    assert (schema["TRANS_VENUE"].type, schema["TRANS_VENUE"].description) == ("text", added.description)

    # Lineage: a parsed column comes from the raw filing's bytes.
    lineage = column_lineage(variant, {"ACCESSION_NUMBER": ("ownership_documents", "ACCESSION_NUMBER")})
    assert {(d.asset_key.to_user_string(), d.column_name) for d in lineage.deps_by_column["TRANS_VENUE"]} == {
        ("raw_filings", "LOCAL_PATH"), ("raw_filings", "SHA256")}

    # Export: the column is in the data-set file, after the others, with its value.
    row = {c.name: None for c in variant.columns}
    row.update(ACCESSION_NUMBER="0000000001-23-000001", NONDERIV_TRANS_SK=1, FILING_DATE=DAY,
               TRANS_SHARES=Decimal("100"), TRANS_VENUE="NYSE")
    with engine.begin() as conn:
        conn.execute(table.insert(), [row])
    out = tmp_path / "NONDERIV_TRANS.tsv"
    with engine.connect() as conn:
        assert export_table(conn, variant, DAY, DAY, out) == 1
    header, line = out.read_text(encoding="utf-8").splitlines()
    assert header.split("\t")[-1] == "TRANS_VENUE" and line.split("\t")[-1] == "NYSE"
    assert header.split("\t")[:-1] == [c.name for c in NONDERIV_TRANS.columns if not c.extra]


def test_every_parsed_column_names_its_source() -> None:
    """The parser's element map is built from the `xml` paths: a parsed column without one
    is filled from elsewhere (the accession, the partition date, its row position, the header)."""
    for table in PARSED_TABLES:
        assert table.xml and table.xml.startswith("ownershipDocument"), table.name
        for column in table.columns:
            if column.xml is None:
                assert column.name in ("ACCESSION_NUMBER", "FILING_DATE", table.position, "FILE_NUMBER"), (table.name, column.name)


def test_a_new_derived_column_gets_its_lineage_from_derived_from() -> None:
    added = Column("BUY_SHARES_LATE", "decimal", "Open-market shares bought in late filings",
                   derived_from=("effective_transactions.TRANS_SHARES", "effective_transactions.ACTIVITY"))
    variant = replace(ISSUER_DAILY_ACTIVITY, columns=(*ISSUER_DAILY_ACTIVITY.columns, added))
    deps = derived_lineage(variant).deps_by_column["BUY_SHARES_LATE"]
    assert {(d.asset_key.to_user_string(), d.column_name) for d in deps} == {
        ("effective_transactions", "TRANS_SHARES"), ("effective_transactions", "ACTIVITY")}


def test_every_derived_from_names_a_catalogue_column() -> None:
    for table in TABLES_BY_NAME.values():
        for column in table.columns:
            for source in column.derived_from:
                upstream, name = source.split(".")
                assert name in TABLES_BY_NAME[upstream].column_names, (table.name, column.name, source)


def test_every_column_of_an_aggregate_asset_has_lineage() -> None:
    """The main table of each aggregate asset: no column without a stated origin."""
    for table in AGGREGATE_TABLES:
        if ASSET_TABLES.get(table.name, ("",))[0] != table.name:
            continue  # written beside an asset's main table (supersessions)
        missing = [c.name for c in table.columns if not c.derived_from]
        assert not missing, (table.name, missing)
        assert set(derived_lineage(table).deps_by_column) == set(table.column_names)


def test_one_registry_of_every_table() -> None:
    assert set(TABLES_BY_NAME) == {t.name for t in (*ALL_TABLES, *AGGREGATE_TABLES, *FORM345_TABLES)} == set(TABLES)
    # Every table has the asset that writes it; the SEC's data sets all come from the one sec_form345.
    assert set(ASSET_OF_TABLE) == set(TABLES_BY_NAME)
    assert {ASSET_OF_TABLE[t.name] for t in FORM345_TABLES} == {"sec_form345"}
    for table in TABLES_BY_NAME.values():
        if table.position is not None:
            assert table.position in table.key, table.name
