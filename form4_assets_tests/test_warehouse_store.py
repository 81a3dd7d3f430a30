"""replace_partitions: exact partition replacement, idempotence, atomicity — SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from form4_assets.warehouse.engine import SQLITE_WAL_AUTOCHECKPOINT_PAGES, create_schema, make_engine
from form4_assets.warehouse.schema import TABLES
from form4_assets.warehouse.store import count_rows, read_partition, replace_partitions

MON, TUE = dt.date(2023, 11, 6), dt.date(2023, 11, 7)


def raw_row(day: dt.date, accession: str) -> dict:
    return {
        "FILING_DATE": day,
        "ACCESSION_NUMBER": accession,
        "CIK": "1043219",
        "FORM_TYPE": "4",
        "COMPANY_NAME": "Annaly Capital Management Inc",
        "EDGAR_PATH": f"edgar/data/1043219/{accession}.txt",
        "LOCAL_PATH": f"/mirror/{accession}.txt",
        "SHA256": "ab" * 32,
        "SIZE_BYTES": 1234,
    }


def trans_row(day: dt.date, accession: str, sk: int, shares: str) -> dict:
    return {
        "FILING_DATE": day,
        "ACCESSION_NUMBER": accession,
        "NONDERIV_TRANS_SK": sk,
        "SECURITY_TITLE": "Common Stock",
        "TRANS_CODE": "S",
        "TRANS_SHARES": Decimal(shares),
        "TRANS_ACQUIRED_DISP_CD": "D",
    }


def all_rows(engine: sa.Engine, name: str) -> list[tuple]:
    table = TABLES[name]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(table).order_by(*table.primary_key.columns))]


def test_replace_touches_only_the_given_partitions(engine: sa.Engine) -> None:
    replace_partitions(engine, [MON, TUE], {"raw_filings": [raw_row(MON, "0000000001-23-000001"), raw_row(TUE, "0000000001-23-000002")]})
    replace_partitions(engine, [TUE], {"raw_filings": [raw_row(TUE, "0000000001-23-000003")]})

    assert [r["ACCESSION_NUMBER"] for r in read_partition(engine, "raw_filings", MON)] == ["0000000001-23-000001"]
    assert [r["ACCESSION_NUMBER"] for r in read_partition(engine, "raw_filings", TUE)] == ["0000000001-23-000003"]
    assert count_rows(engine, "raw_filings", [MON, TUE]) == 2


def test_rerun_gives_identical_tables(engine: sa.Engine) -> None:
    rows = {
        "raw_filings": [raw_row(MON, "0000000001-23-000001")],
        "nonderiv_trans": [trans_row(MON, "0000000001-23-000001", 1, "50000"), trans_row(MON, "0000000001-23-000001", 2, "12.5")],
    }
    replace_partitions(engine, [MON], rows)
    first = {name: all_rows(engine, name) for name in rows}
    replace_partitions(engine, [MON], rows)
    assert {name: all_rows(engine, name) for name in rows} == first
    assert read_partition(engine, "nonderiv_trans", MON)[1]["TRANS_SHARES"] == Decimal("12.5")


def test_a_failing_insert_leaves_the_previous_state(engine: sa.Engine) -> None:
    """A primary-key violation half-way through the write rolls back the deletes too."""
    replace_partitions(engine, [MON], {"raw_filings": [raw_row(MON, "0000000001-23-000001")],
                                       "nonderiv_trans": [trans_row(MON, "0000000001-23-000001", 1, "7")]})
    before = {name: all_rows(engine, name) for name in ("raw_filings", "nonderiv_trans")}

    duplicate = trans_row(MON, "0000000002-23-000009", 1, "5")
    with pytest.raises(sa.exc.IntegrityError):
        replace_partitions(
            engine,
            [MON],
            {
                "raw_filings": [raw_row(MON, "0000000002-23-000009")],  # written first, then undone
                "nonderiv_trans": [duplicate, dict(duplicate)],
            },
        )
    assert {name: all_rows(engine, name) for name in before} == before


def test_rows_outside_the_partitions_are_refused(engine: sa.Engine) -> None:
    with pytest.raises(ValueError, match=r"raw_filings row 0 .*FILING_DATE 2023-11-07"):
        replace_partitions(engine, [MON], {"raw_filings": [raw_row(TUE, "0000000001-23-000001")]})
    with pytest.raises(ValueError, match="unknown column"):
        replace_partitions(engine, [MON], {"raw_filings": [{**raw_row(MON, "x"), "BOGUS": 1}]})
    assert count_rows(engine, "raw_filings", [MON, TUE]) == 0


def test_prebound_rows_of_another_date_are_refused(engine: sa.Engine) -> None:
    """A writer that keeps bound rows between dates (store.replace_partition_carrying_in) must
    stamp them with the partition's date: a row of another date is refused, nothing written."""
    from form4_assets.warehouse.store import bind_partition, replace_partition_carrying_in, write_transaction

    with write_transaction(engine) as conn:
        monday = bind_partition(conn, "raw_filings", MON, [raw_row(MON, "0000000001-23-000001")])
        tuesday = bind_partition(conn, "raw_filings", TUE, [raw_row(TUE, "0000000001-23-000002")])
        assert replace_partition_carrying_in(conn, "raw_filings", TUE, tuesday, tuesday, None) == 1
        with pytest.raises(ValueError, match="raw_filings 2023-11-07: a bound row's FILING_DATE"):
            replace_partition_carrying_in(conn, "raw_filings", TUE, monday, monday, None)
    assert count_rows(engine, "raw_filings", [MON]) == 0 and count_rows(engine, "raw_filings", [TUE]) == 1


def test_engine_sets_sqlite_wal(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == SQLITE_WAL_AUTOCHECKPOINT_PAGES


def test_concurrent_first_runs_create_the_schema_once(warehouse_url: str) -> None:
    """Several runs starting together on an empty warehouse all find the tables, none fails."""
    from concurrent.futures import ThreadPoolExecutor

    engines = [make_engine(warehouse_url) for _ in range(4)]
    try:
        with ThreadPoolExecutor(len(engines)) as pool:
            list(pool.map(create_schema, engines))  # re-raises the first failure, if any
        names = set(sa.inspect(engines[0]).get_table_names())
        assert {"raw_filings", "nonderiv_trans", "quarantine"} <= names
    finally:
        for engine in engines:
            engine.dispose()


def test_concurrent_first_connections_to_a_new_sqlite_file_all_switch_to_wal(tmp_path) -> None:
    """Eight first runs opening one new SQLite file together all get in, in WAL mode.

    The first connection switches the file to WAL, which needs an exclusive lock, and
    SQLite refuses that at once ("database is locked") when waiting could deadlock, so
    the race shows only now and then: forty fresh files make it show reliably (about
    one round in sixteen failed before the switch waited its turn).
    """
    from concurrent.futures import ThreadPoolExecutor

    for round_number in range(40):
        url = f"sqlite:///{tmp_path / f'warehouse-{round_number}.sqlite'}"
        engines = [make_engine(url) for _ in range(8)]
        try:
            with ThreadPoolExecutor(len(engines)) as pool:
                list(pool.map(create_schema, engines))
            for engine in engines:
                with engine.connect() as conn:
                    assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        finally:
            for engine in engines:
                engine.dispose()


def test_a_writes_remembered_conversions_keep_every_value_exact_and_every_refusal(engine: sa.Engine) -> None:
    """Dates and exact decimals are bound once per distinct value in a write: equal amounts
    written differently are stored as the same exact value, and a value refused once is
    refused again, not taken from what an equal value of another class bound to."""
    acc = "0000000001-23-000001"
    rows = [trans_row(MON, acc, 1, "17.04"), trans_row(MON, acc, 2, "17.0400"), trans_row(MON, acc, 3, "1"),
            {**trans_row(MON, acc, 4, "2"), "TRANS_DATE": dt.date(2023, 11, 3)},
            {**trans_row(MON, acc, 5, "2"), "TRANS_DATE": dt.date(2023, 11, 3)}]
    replace_partitions(engine, [MON], {"nonderiv_trans": rows})
    stored = read_partition(engine, "nonderiv_trans", MON)
    assert [r["TRANS_SHARES"] for r in stored] == [Decimal("17.04"), Decimal("17.04"), 1, 2, 2]
    assert [r["TRANS_DATE"] for r in stored][3:] == [dt.date(2023, 11, 3)] * 2
    for refused in (True, Decimal("1.00001"), Decimal("1.00001")):  # True == Decimal(1), yet no decimal
        with pytest.raises(sa.exc.StatementError, match="TRANS_SHARES"):
            replace_partitions(engine, [MON], {"nonderiv_trans": [*rows, {**trans_row(MON, acc, 6, "1"), "TRANS_SHARES": refused}]})
    assert read_partition(engine, "nonderiv_trans", MON) == stored


def test_every_kind_of_value_comes_back_exactly_through_the_bulk_insert(engine: sa.Engine) -> None:
    """The driver's bulk path (PostgreSQL: COPY's text format) stores text with COPY's special
    characters, \\N and non-ASCII as written, NULL as NULL, flags, dates, naive date-times to the
    microsecond, and decimals at the storage's bounds; an aware date-time, which COPY's text
    cannot carry exactly, is written the ordinary way, as an INSERT would."""
    texts = ["tab\there", "new\nline", "cr\rhere", "back\\slash", "\\N", "\\.", "Zoë ✓", "", " "]
    headers = [
        {"FILING_DATE": MON, "ACCESSION_NUMBER": f"0000000001-23-{i:06d}", "CONTAINER": text, "ISSUER_NAME": None,
         "PUBLIC_DOCUMENT_COUNT": 2**62, "PERIOD_OF_REPORT": dt.date(1999, 12, 31),
         "ACCEPTANCE_DATETIME": dt.datetime(2023, 11, 6, 16, 28, 9, 123456)}
        for i, text in enumerate(texts)
    ]
    submissions = [
        {"FILING_DATE": MON, "ACCESSION_NUMBER": f"0000000001-23-{i:06d}", "AFF10B5ONE": flag, "REMARKS": "a\tb\\c"}
        for i, flag in enumerate([True, False, None])
    ]
    trans = [trans_row(MON, "0000000001-23-000001", i, amount) for i, amount in
             enumerate(["0", "-0.0001", "123456789012345.1234", "-922337203685477.5807", "1E+3", "17.04"], 1)]
    replace_partitions(engine, [MON], {"filing_headers": headers, "submission": submissions, "nonderiv_trans": trans})
    stored = read_partition(engine, "filing_headers", MON)
    assert [r["CONTAINER"] for r in stored] == texts
    assert {(r["ISSUER_NAME"], r["PUBLIC_DOCUMENT_COUNT"], r["PERIOD_OF_REPORT"], r["ACCEPTANCE_DATETIME"]) for r in stored} \
        == {(None, 2**62, dt.date(1999, 12, 31), dt.datetime(2023, 11, 6, 16, 28, 9, 123456))}
    assert [(r["AFF10B5ONE"], r["REMARKS"]) for r in read_partition(engine, "submission", MON)] \
        == [(True, "a\tb\\c"), (False, "a\tb\\c"), (None, "a\tb\\c")]
    assert [r["TRANS_SHARES"] for r in read_partition(engine, "nonderiv_trans", MON)] == [
        Decimal(a) for a in ["0", "-0.0001", "123456789012345.1234", "-922337203685477.5807", "1000", "17.04"]]

    aware = dt.datetime(2023, 11, 6, 16, 28, 9, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    replace_partitions(engine, [MON], {"filing_headers": [{**headers[0], "ACCEPTANCE_DATETIME": aware}]})
    with engine.begin() as conn:  # what SQLAlchemy's own insert stores for it
        conn.execute(TABLES["filing_headers"].insert(), [{**headers[0], "FILING_DATE": TUE, "ACCESSION_NUMBER": "0000000002-23-000001", "ACCEPTANCE_DATETIME": aware}])
    [mon], [tue] = read_partition(engine, "filing_headers", MON), read_partition(engine, "filing_headers", TUE)
    assert mon["ACCEPTANCE_DATETIME"] == tue["ACCEPTANCE_DATETIME"] is not None


def test_create_schema_adds_a_missing_table_and_a_missing_index_to_an_existing_warehouse(engine: sa.Engine) -> None:
    """A warehouse made by an older version (a table, or an index of an existing table, absent)
    gets exactly what it lacks, from one look at its catalogue; the rows it holds stay."""
    replace_partitions(engine, [MON], {"raw_filings": [raw_row(MON, "0000000001-23-000001")]})
    index = sorted(TABLES["submission"].indexes, key=lambda i: i.name)[0]
    with engine.begin() as conn:
        index.drop(conn)
        TABLES["effective_transactions"].drop(conn)
    create_schema(engine)
    inspector = sa.inspect(engine)
    assert index.name in {i["name"] for i in inspector.get_indexes("submission")}
    assert {i["name"] for i in inspector.get_indexes("effective_transactions")} == {i.name for i in TABLES["effective_transactions"].indexes}
    assert count_rows(engine, "raw_filings", [MON]) == 1


def _indexes(engine: sa.Engine) -> dict[str, dict[str, tuple[str, ...]]]:
    """Every index of the warehouse as the database reports it: table -> index name -> columns."""
    found = sa.inspect(engine).get_multi_indexes(filter_names=list(TABLES))
    return {table: {ix["name"]: tuple(ix["column_names"]) for ix in found.get((None, table), [])} for table in TABLES}


def test_no_index_repeats_the_leading_columns_of_the_key_or_another(engine: sa.Engine) -> None:
    """Each index costs a B-tree insert per written row; one whose columns lead the primary key or a
    longer index would serve no query the longer one does not, since both databases seek by an
    index's leading columns."""
    indexes = _indexes(engine)
    for table, by_name in indexes.items():
        key = tuple(c.name for c in TABLES[table].primary_key.columns)
        for name, columns in by_name.items():
            longer = [key, *(other for other in by_name.values() if len(other) > len(columns))]
            assert not any(other[: len(columns)] == columns for other in longer), (table, name, columns)
    assert "ix_nonderiv_trans_accession" not in indexes["nonderiv_trans"]  # the key leads with it
    assert "ix_net_insider_selling_filing_date" not in indexes["net_insider_selling"]
    assert indexes["filing_timeliness"]["ix_filing_timeliness_filing_date"] == ("FILING_DATE",)  # not in its key


def test_an_existing_warehouse_drops_the_implied_indexes_and_keeps_its_rows(engine: sa.Engine) -> None:
    """A warehouse made by an earlier version has the implied indexes: the next schema check drops
    them (and no index of anyone else), keeps the rows, and a partition is still replaced by its
    FILING_DATE, through the key."""
    replace_partitions(engine, [MON], {"raw_filings": [raw_row(MON, "0001-23-000001")]})
    with engine.begin() as conn:
        conn.execute(sa.text('CREATE INDEX "ix_raw_filings_filing_date" ON raw_filings ("FILING_DATE")'))
        conn.execute(sa.text('CREATE INDEX "ix_mine" ON raw_filings ("FILING_DATE")'))  # a user's own: kept
    create_schema(engine)
    indexes = _indexes(engine)["raw_filings"]
    assert "ix_raw_filings_filing_date" not in indexes and indexes["ix_mine"] == ("FILING_DATE",)
    assert count_rows(engine, "raw_filings", [MON]) == 1
    replace_partitions(engine, [MON], {"raw_filings": [raw_row(MON, "0001-23-000002")]})
    assert [r["ACCESSION_NUMBER"] for r in read_partition(engine, "raw_filings", MON)] == ["0001-23-000002"]
