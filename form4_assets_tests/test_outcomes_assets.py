"""The outcome assets in Dagster: a clear skip without prices; with synthetic prices, materialized
per filing date with their checks, the plot, and `explain-outcome` back to the price rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from form4_assets.aggregates.staleness import stale_partitions
from form4_assets.cli import main
from form4_assets.defs.resources import EdgarSourceResource, PriceSourceResource, WarehouseResource
from form4_assets.runs import refresh_stale_aggregates, run_daily_job
from form4_assets.synthetic.mirror import make_mirror
from form4_assets.synthetic.prices import BENCHMARK, prices_for_mirror
from form4_assets.warehouse.schema import TABLES

FIRST, LAST = dt.date(2023, 11, 6), dt.date(2023, 11, 8)
OUTCOMES = ("trade_outcomes", "insider_track_records", "signal_outcomes")


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("outcomes")
    manifest = make_mirror(root / "mirror", FIRST, LAST, per_day=15)
    prices = prices_for_mirror(manifest, root / "prices", dt.date(2023, 10, 2), dt.date(2023, 12, 29),
                               lambda record, row: True)
    return root / "mirror", prices


def _run(url: str, mirror: Path, first: dt.date, last: dt.date, instance: dg.DagsterInstance,
         prices: PriceSourceResource, job: str = "daily_filings_job") -> dg.ExecuteInProcessResult:
    return run_daily_job(first.isoformat(), last.isoformat(), warehouse=WarehouseResource(url=url),
                         edgar=EdgarSourceResource(mirror_dir=str(mirror)), instance=instance, prices=prices, job=job)


def test_without_a_price_source_the_outcome_assets_skip(tmp_path: Path, sources: tuple[Path, Path],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORM4_PRICES_PATH", raising=False)
    instance = dg.DagsterInstance.ephemeral()
    result = _run(f"sqlite:///{tmp_path / 'w.sqlite'}", sources[0], FIRST, LAST, instance, PriceSourceResource())
    assert result.success
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()
                    for e in [e.event_specific_data.materialization]}
    assert "insider_signals" in materialized and not materialized & set(OUTCOMES)
    observed = [e for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION"]
    skipped = {(e.asset_key.to_user_string(), e.event_specific_data.asset_observation.partition) for e in observed}
    assert {(a, d.isoformat()) for a in ("trade_outcomes", "signal_outcomes") for d in (FIRST, LAST)} <= skipped
    assert all("no price source configured" in e.event_specific_data.asset_observation.metadata["skipped"].value
               for e in observed)
    # Downstream of the skipped trade_outcomes, the track records' step is skipped by Dagster; no check evaluated.
    assert "insider_track_records" in {e.step_key for e in result.all_events if e.event_type_value == "STEP_SKIPPED"}
    assert not [e for e in result.get_asset_check_evaluations() if e.asset_key.to_user_string() in OUTCOMES]


def test_with_prices_every_date_is_measured_checked_and_explained(
    warehouse_url: str, sources: tuple[Path, Path], capsys: pytest.CaptureFixture
) -> None:
    mirror, price_dir = sources
    prices = PriceSourceResource(path=str(price_dir), benchmark=BENCHMARK)
    instance = dg.DagsterInstance.ephemeral()
    assert _run(warehouse_url, mirror, FIRST, LAST, instance, prices).success
    later = _run(warehouse_url, mirror, dt.date(2023, 11, 9), dt.date(2023, 11, 17), instance, prices, "outcomes_job")
    assert later.success
    evaluations = [e for e in later.get_asset_check_evaluations()]
    assert {e.check_name for e in evaluations} == {"reconciles_with_prices", "prices_mapped", "reconciles_with_trade_outcomes",
                                                   "current_with_earlier_dates"}
    assert all(e.passed for e in evaluations if e.check_name != "prices_mapped")
    assert len({e.partition for e in evaluations}) == 7  # 2023-11-09 .. 2023-11-17, weekdays
    key = dg.AssetKey("insider_track_records")
    record = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=key, asset_partitions=["2023-11-17"]),
                                             limit=1).records[0]
    meta = record.asset_materialization.metadata
    assert meta["excess_by_horizon"].value.startswith("![Mean excess return by horizon, as of 2023-11-17](data:image/svg+xml,")
    assert len(meta["excess_by_horizon"].value) < 1000 and "5d" in meta["excess_by_horizon"].value
    assert meta["excess_by_horizon_plot"].value.startswith("![Mean excess return by horizon")

    engine = sa.create_engine(warehouse_url)
    with engine.connect() as conn:
        # The real seed filing's header: ACCEPTANCE-DATETIME 20231108162809, after the close: the 9th's close.
        to = TABLES["trade_outcomes"]
        seed = conn.execute(sa.select(to.c.ACCEPTANCE_DATETIME, to.c.ENTRY_RULE, to.c.ENTRY_DATE, to.c.TICKER).where(
            to.c.ACCESSION_NUMBER == "0001628280-23-037880").order_by(to.c.FILING_DATE.desc())).first()
        assert seed is not None
        assert tuple(seed) == (dt.datetime(2023, 11, 8, 16, 28, 9), "after_close_next_day", dt.date(2023, 11, 9), "NLY")
        accession = conn.execute(sa.text(
            'SELECT "ACCESSION_NUMBER" FROM trade_outcomes WHERE "RETURN_5D" IS NOT NULL ORDER BY 1 LIMIT 1')).scalar_one()
        records = conn.execute(sa.text('SELECT COUNT(*) FROM insider_track_records WHERE "MEASURED_5D" > 0')).scalar_one()
    engine.dispose()
    assert records > 0
    capsys.readouterr()
    assert main(["explain-outcome", accession, "--prices", str(price_dir), "--benchmark", BENCHMARK,
                 "--warehouse-url", warehouse_url]) == 0
    out = capsys.readouterr().out
    assert f"accession {accession}" in out and "5d exit" in out and f"{BENCHMARK}.csv:" in out
    assert "against the file now: verified" in out
    # The price file changes under the outcome: explain says so.
    ticker = next(line.split()[0] for line in out.splitlines() if " entry " in line and BENCHMARK not in line)
    path = price_dir / f"{ticker}.csv"
    original = path.read_text()
    try:
        lines = original.splitlines()
        path.write_text("\n".join([lines[0]] + [line.replace(",", ",1", 5) if i else line
                                                for i, line in enumerate(lines[1:])]) + "\n")
        assert main(["explain-outcome", accession, "--prices", str(price_dir), "--benchmark", BENCHMARK,
                     "--warehouse-url", warehouse_url]) == 2
        assert "MISMATCH" in capsys.readouterr().out
    finally:
        path.write_text(original)


def test_an_earlier_date_loaded_after_the_outcomes_makes_them_stale_until_refreshed(
    warehouse_url: str, sources: tuple[Path, Path]
) -> None:
    mirror, price_dir = sources
    prices = PriceSourceResource(path=str(price_dir), benchmark=BENCHMARK)
    assert _run(warehouse_url, mirror, LAST, LAST, dg.DagsterInstance.ephemeral(), prices).success
    # The earlier date lands after the outcomes of LAST were measured: its inputs changed under them.
    earlier = _run(warehouse_url, mirror, FIRST, FIRST, dg.DagsterInstance.ephemeral(), prices)
    assert earlier.success
    current = {e.asset_key.to_user_string(): e for e in earlier.get_asset_check_evaluations()
               if e.check_name == "current_with_earlier_dates"}
    for asset in OUTCOMES:
        check = current[asset]
        assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN, asset
        assert check.partition == FIRST.isoformat()  # the run's own date, listing the later one
        assert {r["found"] for r in check.metadata["offending_rows_json"].value} == {LAST.isoformat()}, asset
    # Its own reconciliation is not what went stale: the earlier date's outcomes pass.
    assert all(e.passed for e in earlier.get_asset_check_evaluations()
               if e.asset_key.to_user_string() in OUTCOMES and e.check_name.startswith("reconciles_with"))
    engine = sa.create_engine(warehouse_url)
    try:
        with engine.connect() as conn:
            assert {t: {s.filing_date for s in found} for t, found in stale_partitions(conn).items()
                    if t in OUTCOMES} == {t: {LAST} for t in OUTCOMES}
        refreshed = refresh_stale_aggregates(warehouse=WarehouseResource(url=warehouse_url),
                                             edgar=EdgarSourceResource(mirror_dir=str(mirror)),
                                             instance=dg.DagsterInstance.ephemeral(), prices=prices)
        assert refreshed is not None and refreshed.success
        with engine.connect() as conn:
            assert not any(stale_partitions(conn).values())
    finally:
        engine.dispose()
