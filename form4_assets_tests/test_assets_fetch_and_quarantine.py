"""Edge paths of the graph on a tiny hand-laid mirror: fetch failures, unparseable bytes, changed bytes.

The generated mirror (test_assets.py) covers volume; this one pins down what happens
to single filings the pipeline cannot use: each becomes exactly one quarantine row
with its reason, and the raw = parsed + quarantined check still passes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from form4_assets.defs.documents import parse_filings
from form4_assets.defs.ingest import raw_filings
from form4_assets.defs.resources import EdgarSourceResource, WarehouseResource
from form4_assets.edgar.paths import daily_index_path, filing_path
from form4_assets.parsing import errors
from form4_assets.warehouse.engine import make_engine
from form4_assets.warehouse.store import read_partition

DAY = dt.date(2023, 11, 8)
SEED = "0001628280-23-037880"
BROKEN = "0000000001-23-000001"
MISSING = "0000000001-23-000002"


def lay_out_mirror(root: Path, seed_bytes: bytes) -> None:
    lines = [
        "Description:           Daily Index of EDGAR Dissemination Feed",
        "Last Data Received:    Nov  8, 2023",
        " ",
        "CIK|Company Name|Form Type|Date Filed|File Name",
        "-" * 80,
        f"1043219|ANNALY CAPITAL MANAGEMENT INC|4|20231108|edgar/data/1043219/{SEED}.txt",
        f"1688537|Finkelstein David L|4|20231108|edgar/data/1688537/{SEED}.txt",  # same filing, owner's folder
        f"42|BROKEN CORP|4|20231108|edgar/data/42/{BROKEN}.txt",
        f"43|MISSING CORP|4|20231108|edgar/data/43/{MISSING}.txt",
        "99|SOMEONE ELSE|10-K|20231108|edgar/data/99/0000000001-23-000003.txt",  # not an ownership form
    ]
    index = root / daily_index_path(DAY)
    index.parent.mkdir(parents=True)
    index.write_text("\n".join(lines) + "\n")
    broken = seed_bytes.replace(SEED.encode(), BROKEN.encode())
    for cik, accession, data in (("1043219", SEED, seed_bytes), ("42", BROKEN, broken[: len(broken) // 2])):
        path = root / filing_path(cik, accession)
        path.parent.mkdir(parents=True)
        path.write_bytes(data)


def run(warehouse_url: str, mirror: Path, *, partition: str = "2023-11-08", assets=(raw_filings, parse_filings)):
    return dg.materialize(
        list(assets),
        partition_key=partition,
        instance=dg.DagsterInstance.ephemeral(),
        resources={"warehouse": WarehouseResource(url=warehouse_url), "edgar": EdgarSourceResource(mirror_dir=str(mirror))},
        raise_on_error=False,
    )


def test_every_listed_filing_is_parsed_or_quarantined(warehouse_url: str, tmp_path: Path, seed_bytes: bytes) -> None:
    lay_out_mirror(tmp_path / "mirror", seed_bytes)
    result = run(warehouse_url, tmp_path / "mirror")
    assert result.success
    engine = make_engine(warehouse_url)

    raw = {r["ACCESSION_NUMBER"]: r for r in read_partition(engine, "raw_filings", DAY)}
    assert set(raw) == {SEED, BROKEN, MISSING}
    assert raw[MISSING]["FETCH_ERROR"] and raw[MISSING]["SHA256"] is None
    assert raw[SEED]["SIZE_BYTES"] == len(seed_bytes)

    quarantine = {r["ACCESSION_NUMBER"]: r for r in read_partition(engine, "quarantine", DAY)}
    assert set(quarantine) == {BROKEN, MISSING}
    assert quarantine[MISSING]["REASON_CODE"] == "fetch_failed"
    assert quarantine[BROKEN]["REASON_CODE"] == "truncated"
    assert {r["REASON_CODE"] for r in quarantine.values()} <= errors.ALL_REASONS  # one home, complete
    assert [r["ACCESSION_NUMBER"] for r in read_partition(engine, "submission", DAY)] == [SEED]

    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["raw_equals_parsed_plus_quarantined"].passed
    assert checks["raw_equals_parsed_plus_quarantined"].metadata["details"].value["per_day"] == {
        "2023-11-08": {"raw": 3, "parsed": 1, "quarantined": 2}
    }
    materialized = {m.asset_key.to_user_string(): m for m in result.get_asset_materialization_events()}
    quarantine_meta = materialized["quarantine"].materialization.metadata
    assert quarantine_meta["dagster/row_count"].value == 2
    assert quarantine_meta["quarantine_reasons"].value == {"truncated": 1, "fetch_failed": 1}
    engine.dispose()


def test_bytes_changed_after_fetch_are_quarantined(warehouse_url: str, tmp_path: Path, seed_bytes: bytes) -> None:
    mirror = tmp_path / "mirror"
    lay_out_mirror(mirror, seed_bytes)
    assert run(warehouse_url, mirror, assets=(raw_filings,)).success
    (mirror / filing_path("1043219", SEED)).write_bytes(seed_bytes.replace(b"50000", b"60000"))
    result = dg.materialize(
        [raw_filings.to_source_asset(), parse_filings],
        partition_key="2023-11-08",
        instance=dg.DagsterInstance.ephemeral(),
        resources={"warehouse": WarehouseResource(url=warehouse_url)},
    )
    assert result.success
    engine = make_engine(warehouse_url)
    reasons = {r["ACCESSION_NUMBER"]: r["REASON_CODE"] for r in read_partition(engine, "quarantine", DAY)}
    assert reasons[SEED] == "raw_bytes_changed"
    assert read_partition(engine, "nonderiv_trans", DAY) == []
    engine.dispose()


def test_stored_paths_are_absolute_and_read_back_from_another_directory(
    warehouse_url: str, tmp_path: Path, seed_bytes: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run configured with a relative data dir stores absolute paths, so a later re-parse
    (or `explain`) started from another working directory still finds the bytes."""
    for name in ("FORM4_DATA_DIR", "FORM4_MIRROR_DIR", "FORM4_EDGAR_MODE"):
        monkeypatch.delenv(name, raising=False)
    lay_out_mirror(tmp_path / "project" / "data" / "mirror", seed_bytes)
    monkeypatch.chdir(tmp_path / "project")
    result = dg.materialize(
        [raw_filings, parse_filings],
        partition_key="2023-11-08",
        instance=dg.DagsterInstance.ephemeral(),
        resources={"warehouse": WarehouseResource(url=warehouse_url), "edgar": EdgarSourceResource(data_dir="data")},
    )
    assert result.success
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    engine = make_engine(warehouse_url)
    raw = {r["ACCESSION_NUMBER"]: r for r in read_partition(engine, "raw_filings", DAY)}
    expected = (tmp_path / "project" / "data" / "mirror").resolve() / filing_path("1043219", SEED)
    assert raw[SEED]["LOCAL_PATH"] == str(expected)
    quarantine = {r["ACCESSION_NUMBER"]: r for r in read_partition(engine, "quarantine", DAY)}
    assert Path(quarantine[BROKEN]["SOURCE_PATH"]).is_absolute()
    assert Path(quarantine[BROKEN]["SOURCE_PATH"]).is_file()

    reparse = dg.materialize(
        [raw_filings.to_source_asset(), parse_filings],
        partition_key="2023-11-08",
        instance=dg.DagsterInstance.ephemeral(),
        resources={"warehouse": WarehouseResource(url=warehouse_url)},
    )
    assert reparse.success
    assert [r["ACCESSION_NUMBER"] for r in read_partition(engine, "submission", DAY)] == [SEED]
    assert {r["ACCESSION_NUMBER"]: r["REASON_CODE"] for r in read_partition(engine, "quarantine", DAY)} == {
        BROKEN: "truncated", MISSING: "fetch_failed"
    }
    engine.dispose()


def test_refused_index_lines_are_quarantined_and_reconciled(warehouse_url: str, tmp_path: Path, seed_bytes: bytes) -> None:
    """Lines the source refuses (path traversal, CIK not matching the folder) are kept:
    a raw_filings row without bytes and an `index_line_rejected` quarantine row each."""
    mirror = tmp_path / "mirror"
    lay_out_mirror(mirror, seed_bytes)
    index = mirror / daily_index_path(DAY)
    assert len(index.read_text().splitlines()) == 10
    with index.open("a") as handle:
        handle.write("666|EVIL CORP|4|20231108|edgar/data/666/../../../../etc/passwd\n")  # line 11
        handle.write("777|WRONG FOLDER|4|20231108|edgar/data/778/0000000001-23-000009.txt\n")  # line 12
        handle.write(f"888|REUSED|4|20231108|edgar/data/1/{SEED}.txt\n")  # line 13: accession already listed
    result = run(warehouse_url, mirror)
    assert result.success
    engine = make_engine(warehouse_url)

    raw = {r["ACCESSION_NUMBER"]: r for r in read_partition(engine, "raw_filings", DAY)}
    refused = {"index:20231108:11", "0000000001-23-000009", "index:20231108:13"}
    assert set(raw) == {SEED, BROKEN, MISSING} | refused
    assert raw["index:20231108:11"]["EDGAR_PATH"] == f"{index.resolve()}, line 11"
    assert all(raw[key]["LOCAL_PATH"] is None and raw[key]["CIK"] is None for key in refused)

    quarantine = {r["ACCESSION_NUMBER"]: r for r in read_partition(engine, "quarantine", DAY)}
    assert {k: r["REASON_CODE"] for k, r in quarantine.items()} == {
        BROKEN: "truncated", MISSING: "fetch_failed", **{key: "index_line_rejected" for key in refused}
    }
    traversal = quarantine["index:20231108:11"]
    assert traversal["FIELD"] == f"{index.resolve()}, line 11"
    assert "edgar/data/<cik>/<accession>.txt" in traversal["MESSAGE"] and "etc/passwd" in traversal["MESSAGE"]
    assert traversal["SOURCE_PATH"] is None
    assert "not under the line's CIK 777" in quarantine["0000000001-23-000009"]["MESSAGE"]
    assert [r["ACCESSION_NUMBER"] for r in read_partition(engine, "submission", DAY)] == [SEED]

    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["raw_equals_parsed_plus_quarantined"].passed
    assert checks["raw_equals_parsed_plus_quarantined"].metadata["details"].value["per_day"] == {
        "2023-11-08": {"raw": 6, "parsed": 1, "quarantined": 5}
    }
    raw_meta = next(
        m for m in result.get_asset_materialization_events() if m.asset_key.to_user_string() == "raw_filings"
    ).materialization.metadata
    assert (raw_meta["index_lines_refused"].value, raw_meta["fetch_failures"].value) == (3, 1)
    engine.dispose()


def test_a_holiday_is_an_empty_successful_partition(warehouse_url: str, tmp_path: Path, seed_bytes: bytes) -> None:
    lay_out_mirror(tmp_path / "mirror", seed_bytes)
    # The mirror reaches past the holiday: the next day's index (no ownership filings in it).
    after = tmp_path / "mirror" / daily_index_path(dt.date(2023, 11, 24))
    after.parent.mkdir(parents=True, exist_ok=True)
    after.write_text("Description:           Daily Index of EDGAR Dissemination Feed\n"
                     "CIK|Company Name|Form Type|Date Filed|File Name\n" + "-" * 80 + "\n")
    result = run(warehouse_url, tmp_path / "mirror", partition="2023-11-23")  # Thanksgiving: no index
    assert result.success
    assert all(e.passed for e in result.get_asset_check_evaluations())
    engine = make_engine(warehouse_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM raw_filings")).scalar_one() == 0
    engine.dispose()
