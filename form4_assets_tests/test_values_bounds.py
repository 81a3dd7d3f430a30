"""Values the warehouse cannot hold (issue 14, finding 7) and exact decimals (finding 8).

Through the real graph, on SQLite and PostgreSQL: a synthetic mirror day plus filings
planted with a 20-digit document count, a 25-digit share count, shares × price beyond
the bound, too many decimal places, a NUL in the SEC header and a NUL in the daily
index. Each used to fail the run (or land changed); now the run succeeds, the good
filings land, each bad one is quarantined with its field and reason, and a filing at
the bounds' extremes comes back exactly.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from form4_assets.defs.resources import EdgarSourceResource, WarehouseResource
from form4_assets.edgar.paths import daily_index_path, filing_path
from form4_assets.runs import run_daily_job
from form4_assets.synthetic.mirror import make_mirror
from form4_assets.tables import DECIMAL_MAX, DECIMAL_PLACES, INT_MAX, STORED_DECIMAL_MAX
from form4_assets.warehouse.engine import create_schema, make_engine
from form4_assets.warehouse.schema import TABLES, to_sql_decimal, to_stored_decimal
from form4_assets.warehouse.store import read_partition, replace_partitions

DAY = dt.date(2023, 11, 8)
SEED = "0001628280-23-037880"
NLY = "1043219"
SHARES, PRICE = b"<value>50000</value>", b"<value>17.04</value>"
COUNT = b"PUBLIC DOCUMENT COUNT:\t\t1"
OWNER_NAME = b"COMPANY CONFORMED NAME:\t\t\tFinkelstein David L"

#: accession -> (what is changed in the seed's bytes, expected reason, expected field); None: lands
PLANTED: dict[str, tuple[list[tuple[bytes, bytes]], str | None, str | None]] = {
    "0009999999-23-000001": ([(COUNT, b"PUBLIC DOCUMENT COUNT:\t\t12345678901234567890")],
                             "out_of_range", "header/PUBLIC DOCUMENT COUNT"),  # the header parser bounds counts itself
    "0009999999-23-000002": ([(SHARES, b"<value>1234567890123456789012345</value>")],
                             "out_of_range", "nonderiv_trans.TRANS_SHARES"),
    "0009999999-23-000003": ([(SHARES, b"<value>999999999999</value>"), (PRICE, b"<value>999999999999</value>")],
                             "out_of_range", "nonderiv_trans.TRANS_SHARES*TRANS_PRICEPERSHARE"),
    "0009999999-23-000004": ([(PRICE, b"<value>0.123456789</value>")], "out_of_range", "nonderiv_trans.TRANS_PRICEPERSHARE"),
    "0009999999-23-000005": ([(OWNER_NAME, b"COMPANY CONFORMED NAME:\t\t\tFinkel\x00stein David L")],
                             "nul_in_text", "header/COMPANY CONFORMED NAME"),  # found by the header parser
    # A NUL in the daily index's company name, the filing itself clean: the raw_filings step.
    "0009999999-23-000006": ([], "nul_in_text", "raw_filings.COMPANY_NAME"),
    # The bounds' extremes land, exactly.
    "0009999999-23-000007": ([(SHARES, b"<value>999999999999.9999</value>"), (PRICE, b"<value>0.0001</value>"),
                              (COUNT, b"PUBLIC DOCUMENT COUNT:\t\t9223372036854775807")], None, None),
}
EXTREME = "0009999999-23-000007"


def plant(root: Path, seed_bytes: bytes) -> None:
    """Add the planted filings to the synthetic mirror's day: bytes and master-index lines."""
    lines = []
    for accession, (edits, _reason, _field) in PLANTED.items():
        data = seed_bytes.replace(SEED.encode(), accession.encode())
        for old, new in edits:
            assert old in data, old
            data = data.replace(old, new, 1)
        path = root / filing_path(NLY, accession)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        name = "ANNALY\x00CAPITAL" if accession.endswith("6") else "ANNALY CAPITAL MANAGEMENT INC"
        lines.append(f"{NLY}|{name}|4|{DAY:%Y%m%d}|edgar/data/{NLY}/{accession}.txt")
    index = root / daily_index_path(DAY)
    index.write_bytes(index.read_bytes() + ("\n".join(lines) + "\n").encode())


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from form4_assets_tests.conftest import SEED_FIXTURE

    root = tmp_path_factory.mktemp("bounds") / "mirror"
    make_mirror(root, DAY, DAY, per_day=12)
    plant(root, SEED_FIXTURE.read_bytes())
    return root


def test_unstorable_values_are_quarantined_and_the_run_succeeds(warehouse_url: str, mirror: Path, tmp_path: Path) -> None:
    result = run_daily_job(DAY.isoformat(), DAY.isoformat(), warehouse=WarehouseResource(url=warehouse_url, data_dir=str(tmp_path)),
                           edgar=EdgarSourceResource(mirror_dir=str(mirror)), instance=dg.DagsterInstance.ephemeral())
    assert result.success
    engine = make_engine(warehouse_url)
    raw = {r["ACCESSION_NUMBER"]: r for r in read_partition(engine, "raw_filings", DAY)}
    quarantine = {r["ACCESSION_NUMBER"]: r for r in read_partition(engine, "quarantine", DAY)}
    parsed = {r["ACCESSION_NUMBER"] for r in read_partition(engine, "submission", DAY)}
    assert set(PLANTED) <= set(raw) and SEED in parsed
    for accession, (_edits, reason, field) in PLANTED.items():
        if reason is None:
            assert accession in parsed and accession not in quarantine
            continue
        row = quarantine[accession]
        assert (row["REASON_CODE"], row["FIELD"]) == (reason, field), row
        assert "\x00" not in row["MESSAGE"] and accession not in parsed
    assert "\\x00" in quarantine["0009999999-23-000005"]["MESSAGE"]  # the value is shown, escaped
    assert raw["0009999999-23-000006"]["SHA256"] and raw["0009999999-23-000006"]["COMPANY_NAME"] is None
    # The synthetic day's good filings landed too: every raw filing is accounted for.
    good = set(raw) - set(quarantine)
    assert len(good) > 10 and good == parsed
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["raw_equals_parsed_plus_quarantined"].passed

    [extreme] = [r for r in read_partition(engine, "nonderiv_trans", DAY) if r["ACCESSION_NUMBER"] == EXTREME]
    assert (extreme["TRANS_SHARES"], extreme["TRANS_PRICEPERSHARE"]) == (DECIMAL_MAX, Decimal("0.0001"))
    [header] = [r for r in read_partition(engine, "filing_headers", DAY) if r["ACCESSION_NUMBER"] == EXTREME]
    assert header["PUBLIC_DOCUMENT_COUNT"] == INT_MAX
    [effective] = [r for r in read_partition(engine, "effective_transactions", DAY) if r["ACCESSION_NUMBER"] == EXTREME]
    # 999999999999.9999 x 0.0001 = 99999999.99999999, kept to 4 places (the one rounding).
    assert effective["TRANS_DOLLARS"] == Decimal("100000000.0000")
    engine.dispose()


def test_decimals_and_ints_round_trip_exactly_at_the_storage_extremes(engine: sa.Engine) -> None:
    values = [DECIMAL_MAX, -DECIMAL_MAX, Decimal("0.0001"), Decimal("-0.0001"), STORED_DECIMAL_MAX,
              -STORED_DECIMAL_MAX, Decimal("123456789012345.6789"), Decimal("91528093.65"), Decimal("17.040000")]
    rows = [{"FILING_DATE": DAY, "ACCESSION_NUMBER": f"0000000001-23-{i:06d}", "TRANS_TABLE": "nonderiv", "TRANS_SK": 1,
             "TRANS_SHARES": v, "TRANS_DOLLARS": v} for i, v in enumerate(values)]
    rows.append({**rows[0], "ACCESSION_NUMBER": "0000000001-23-999999", "TRANS_SHARES": None, "TRANS_DOLLARS": None})
    replace_partitions(engine, [DAY], {"effective_transactions": rows})
    back = read_partition(engine, "effective_transactions", DAY)
    assert [r["TRANS_SHARES"] for r in back] == [*values, None]
    assert all(isinstance(r["TRANS_SHARES"], Decimal) for r in back[:-1])
    headers = [{"FILING_DATE": DAY, "ACCESSION_NUMBER": "0000000001-23-000001", "PUBLIC_DOCUMENT_COUNT": INT_MAX}]
    replace_partitions(engine, [DAY], {"filing_headers": headers})
    assert read_partition(engine, "filing_headers", DAY)[0]["PUBLIC_DOCUMENT_COUNT"] == INT_MAX
    # SQL sums and comparisons are exact too (SQLite used to add floats).
    et = TABLES["effective_transactions"]
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.sum(et.c.TRANS_SHARES)).where(
            et.c.TRANS_SHARES.in_([Decimal("0.0001"), Decimal("123456789012345.6789"), Decimal("91528093.65")]))).scalar_one()
        negative = conn.execute(sa.select(sa.func.count()).where(et.c.TRANS_SHARES < 0)).scalar_one()
        smallest = conn.execute(sa.select(sa.func.min(et.c.TRANS_SHARES))).scalar_one()
    assert total == Decimal("123456880540439.3290") and negative == 3 and smallest == -STORED_DECIMAL_MAX


@pytest.mark.parametrize("value", [Decimal("1234567890123456789"), Decimal("0.12345678901"), STORED_DECIMAL_MAX + Decimal("0.0001")])
def test_a_value_the_storage_cannot_hold_is_refused_not_rounded(engine: sa.Engine, value: Decimal) -> None:
    """The bound check in the parse step quarantines such filings first; the type itself never rounds."""
    with pytest.raises(ValueError):
        to_stored_decimal(value)
    row = {"FILING_DATE": DAY, "ACCESSION_NUMBER": "0000000001-23-000001", "TRANS_TABLE": "nonderiv", "TRANS_SK": 1,
           "TRANS_SHARES": value}
    with pytest.raises(sa.exc.StatementError):
        replace_partitions(engine, [DAY], {"effective_transactions": [row]})
    with pytest.raises(TypeError):
        to_stored_decimal(0.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [
    Decimal(0), Decimal("-0"), Decimal("0E-9"), Decimal("0E+9"), Decimal("-12.5"), Decimal("1E+3"), Decimal("1.23450"),
    Decimal("123456789012345.6789"), STORED_DECIMAL_MAX, -STORED_DECIMAL_MAX, 7,
    Decimal("1.00000000000000000000000000001"), Decimal("0.00001"), STORED_DECIMAL_MAX + Decimal("0.0001"),
    Decimal("1E+30"), Decimal("NaN"), Decimal("Infinity"),
])
def test_sqlite_binding_stores_what_the_general_rule_stores_or_refuses_alike(value: Decimal) -> None:
    """SQLite's quick path for Decimals gives the general path's integer, or its error."""
    def general() -> int:
        return int(to_stored_decimal(value) * 10**DECIMAL_PLACES)

    try:
        expected: object = general()
    except (TypeError, ValueError) as exc:
        with pytest.raises(type(exc), match="^" + re.escape(str(exc)) + "$"):
            to_sql_decimal(value, "sqlite")
    else:
        assert to_sql_decimal(value, "sqlite") == expected


def test_a_sqlite_warehouse_with_float_decimals_is_refused_with_an_explanation(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = make_engine(url)
    create_schema(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO effective_transactions (\"FILING_DATE\", \"ACCESSION_NUMBER\", \"TRANS_TABLE\", "
                             "\"TRANS_SK\", \"TRANS_SHARES\") VALUES ('2023-11-08', 'a', 'nonderiv', 1, 17.04)")
    with pytest.raises(ValueError, match="predates exact decimals"):
        read_partition(engine, "effective_transactions", DAY)
    engine.dispose()


@pytest.mark.parametrize(("column", "value", "reason"), [
    ("TRANS_SHARES", DECIMAL_MAX, None),
    ("TRANS_SHARES", -DECIMAL_MAX, None),  # negative: stored, for non_negative_amounts to report
    ("TRANS_SHARES", Decimal("17.040000"), None),  # trailing zeros: exactly 4 places
    ("TRANS_SHARES", DECIMAL_MAX + Decimal("0.0001"), "out_of_range"),
    ("TRANS_SHARES", Decimal("1." + "0" * 4300 + "1"), "out_of_range"),
    ("TRANS_PRICEPERSHARE", Decimal("0.00001"), "out_of_range"),
    ("SECURITY_TITLE", "Common\x00Stock", "nul_in_text"),
    ("TRANS_CODE_FN", "F1,\x00", None),  # not a column of the table: not looked at
    ("TRANS_SHARES_FN", "F1\x00", "nul_in_text"),
])
def test_row_bounds_at_their_edges(column: str, value: object, reason: str | None) -> None:
    from form4_assets.bounds import row_problem

    found = row_problem("nonderiv_trans", {column: value}, 3)
    assert (found.reason if found else None) == reason
    if found:
        assert found.field == f"nonderiv_trans.{column}" and "row 3" in found.message and len(found.message) < 300


def test_the_form345_import_applies_the_same_bounds() -> None:
    """The SEC data-set import turns an unstorable field into a rejected row, as a malformed one."""
    from form4_assets.form345.values import BadValue, to_warehouse
    from form4_assets.tables import NONDERIV_TRANS

    shares, title = NONDERIV_TRANS.column("TRANS_SHARES"), NONDERIV_TRANS.column("SECURITY_TITLE")
    assert to_warehouse(shares, "999999999999.9999") == DECIMAL_MAX
    for column, text, reason in ((shares, "1234567890123456789012345", "out_of_range"),
                                 (shares, "0.12345678901", "out_of_range"), (title, "Common\x00Stock", "nul_in_text")):
        with pytest.raises(BadValue) as raised:
            to_warehouse(column, text)
        assert raised.value.reason == reason


@pytest.mark.parametrize(("table", "column", "value"), [
    ("nonderiv_trans", "TRANS_SHARES", Decimal("17.040000")),  # clean: trailing zeros
    ("nonderiv_trans", "TRANS_SHARES", Decimal("0")),  # clean, and falsy
    ("nonderiv_trans", "TRANS_SHARES", DECIMAL_MAX + Decimal("0.0001")),
    ("nonderiv_trans", "TRANS_PRICEPERSHARE", Decimal("-0.00001")),
    ("nonderiv_trans", "TRANS_PRICEPERSHARE", Decimal("1000000")),  # with shares 10^7: the product is too large
    ("nonderiv_trans", "TRANS_SHARES_FN", "F1\x00"),
    ("header_parties", "NAME", "Snow\x00Jessica"),
    ("header_parties", "PARTY_SK", INT_MAX + 1),
    ("footnotes", "FOOTNOTE_TXT", "clean text"),
])
@pytest.mark.parametrize("position", [1, 2])
def test_a_filings_bounds_checked_table_at_a_time_find_what_row_by_row_finds(
        table: str, column: str, value: object, position: int) -> None:
    """all_storable checks a batch of filings a table at a time, and says a batch is clean only
    when the row-by-row search (row_problem, first_problem) finds nothing in any of them."""
    from form4_assets.bounds import all_storable, first_problem, row_problem
    from form4_assets.tables import TABLES_BY_NAME

    def rows(name: str) -> list[dict[str, object]]:
        base = dict.fromkeys(TABLES_BY_NAME[name].column_names)
        made = [{**base, "ACCESSION_NUMBER": "0000000001-24-000001"} for _ in range(2)]
        if name == "nonderiv_trans":
            for row in made:
                row.update(TRANS_SHARES=Decimal("10000000"), TRANS_PRICEPERSHARE=Decimal("12.5"), SECURITY_TITLE="Common")
        return made

    tables = {name: rows(name) for name in ("header_parties", "nonderiv_trans", "footnotes")}
    tables[table][position - 1][column] = value
    expected = next((p for name, table_rows in tables.items() for i, row in enumerate(table_rows, 1)
                     if (p := row_problem(name, row, i))), None)
    assert first_problem(tables) == expected
    clean = {name: rows(name) for name in tables}
    assert all_storable([clean, clean]) and all_storable([])
    assert all_storable([clean, tables, clean]) == (expected is None)
    assert (expected is None) == (column in ("FOOTNOTE_TXT",) or value in (Decimal("17.04"), Decimal("0")))
