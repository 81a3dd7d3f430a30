"""Freshness (the previous business day by 23:00 New York) and what a source cannot answer for.

A date past the offline mirror fails its run with "mirror ends at ...", writing nothing,
while a holiday inside the mirror still materializes empty; a live date whose index is
not published yet fails the same way (against the loopback EDGAR); the freshness check
expects the last business day completed by the latest 23:00 deadline, judged by Dagster
on a real instance at fixed instants (the clock is the check's input).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from dagster._core.test_utils import freeze_time

from form4_assets.defs.freshness import FRESHNESS_CHECK_KEYS, freshness_checks
from form4_assets.defs.resources import EdgarSourceResource, WarehouseResource
from form4_assets.edgar.source import LiveSource
from form4_assets.pipeline.coverage import (
    NotCovered,
    check_mirror_covers,
    check_published,
    mirror_span,
    publication_pending,
)
from form4_assets.runs import run_daily_job
from form4_assets.synthetic.mirror import SUMMARY_NAME, make_mirror
from form4_assets.testing.loopback import LoopbackEdgar
from form4_assets.warehouse.engine import make_engine
from form4_assets.warehouse.store import count_rows

NEW_YORK = ZoneInfo("America/New_York")
#: 2023-11-10 is Veterans Day (observed): inside the mirror, but without an index.
FIRST, HOLIDAY, MONDAY = dt.date(2023, 11, 9), dt.date(2023, 11, 10), dt.date(2023, 11, 13)


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("coverage") / "mirror"
    make_mirror(root, FIRST, HOLIDAY, per_day=5)
    return root


def failure_text(result: dg.ExecuteInProcessResult) -> str:
    return "\n".join(e.step_failure_data.error.to_string() for e in result.all_events if e.is_step_failure)


def test_the_mirror_span_comes_from_its_summary_or_its_indexes(mirror: Path, tmp_path: Path) -> None:
    assert mirror_span(mirror) == (FIRST, HOLIDAY)  # the summary keeps the holiday at the end
    bare = tmp_path / "bare"
    shutil.copytree(mirror, bare)
    (bare / SUMMARY_NAME).unlink()
    assert mirror_span(bare) == (FIRST, FIRST)  # without it, the last index there is
    assert mirror_span(tmp_path / "empty") is None
    check_mirror_covers(mirror, [FIRST, HOLIDAY])
    with pytest.raises(NotCovered, match="mirror ends at 2023-11-10"):
        check_mirror_covers(mirror, [HOLIDAY, MONDAY])
    with pytest.raises(NotCovered, match="mirror starts at 2023-11-09"):
        check_mirror_covers(mirror, [dt.date(2023, 11, 8)])


def test_mirror_and_feed_sources_refuse_dates_outside_the_mirror(mirror: Path, tmp_path: Path) -> None:
    from form4_assets.defs.ingest import refuse_uncovered
    from form4_assets.edgar.feed import FeedSource
    from form4_assets.edgar.source import MirrorSource

    for source in (MirrorSource(mirror), FeedSource(MirrorSource(mirror), tmp_path / "feed")):
        refuse_uncovered(source, [FIRST, HOLIDAY])
        with pytest.raises(NotCovered, match="mirror ends at 2023-11-10"):
            refuse_uncovered(source, [HOLIDAY, MONDAY])


def test_a_date_past_the_mirror_fails_its_run_and_writes_nothing(mirror: Path, warehouse_url: str) -> None:
    resources = dict(warehouse=WarehouseResource(url=warehouse_url), edgar=EdgarSourceResource(mirror_dir=str(mirror)))
    holiday = run_daily_job(HOLIDAY.isoformat(), HOLIDAY.isoformat(), instance=dg.DagsterInstance.ephemeral(), **resources)
    assert holiday.success  # a holiday inside the mirror is an empty partition, as before
    assert {e.partition for e in holiday.get_asset_materialization_events()} == {HOLIDAY.isoformat()}

    instance = dg.DagsterInstance.ephemeral()
    past = run_daily_job(HOLIDAY.isoformat(), MONDAY.isoformat(), instance=instance, **resources)
    assert not past.success
    assert "2023-11-13: outside the offline mirror (mirror ends at 2023-11-10" in failure_text(past)
    assert not past.get_asset_materialization_events()
    engine = make_engine(warehouse_url)
    assert count_rows(engine, "raw_filings", [MONDAY]) == 0
    engine.dispose()


def test_a_live_index_not_yet_published_is_refused_until_the_next_morning(tmp_path: Path) -> None:
    day = dt.date(2023, 11, 13)
    evening = dt.datetime(2023, 11, 13, 23, 30, tzinfo=NEW_YORK)
    night = dt.datetime(2023, 11, 14, 5, 59, tzinfo=NEW_YORK)
    morning = dt.datetime(2023, 11, 14, 6, 0, tzinfo=NEW_YORK)
    assert publication_pending(day, evening) and publication_pending(day, night)
    assert not publication_pending(day, morning)
    (tmp_path / "edgar").mkdir()
    with LoopbackEdgar(tmp_path / "edgar") as server:  # serves no index at all: 404
        source = LiveSource("form4_assets tests tests@example.com", tmp_path / "cache", base_url=server.base_url)
        try:
            listed = len(source.list_filings(day))
        finally:
            source.close()
    assert listed == 0
    with pytest.raises(NotCovered, match="2023-11-13: EDGAR's daily index is not published yet"):
        check_published(day, listed, night)
    check_published(day, listed, morning)  # by then a missing index means no filings that day


def _freshness(instance: dg.DagsterInstance, now: dt.datetime) -> dg.AssetCheckEvaluation:
    """The transactions freshness check, evaluated by Dagster at `now`."""
    (key,) = [k for k in FRESHNESS_CHECK_KEYS if k.asset_key == dg.AssetKey("transactions")]
    from form4_assets.definitions import build_definitions

    job = dg.define_asset_job("freshness", selection=dg.AssetSelection.checks(key))
    defs = dg.Definitions.merge(
        build_definitions({"warehouse": WarehouseResource(url="sqlite://"), "edgar": EdgarSourceResource()}),
        dg.Definitions(jobs=[job]),
    )
    with freeze_time(now):
        result = defs.resolve_job_def("freshness").execute_in_process(instance=instance)
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation


def test_freshness_wants_the_previous_business_day_by_23_new_york() -> None:
    assert {k.asset_key.to_user_string() for k in FRESHNESS_CHECK_KEYS} >= {"raw_filings", "transactions", "cluster_buys"}
    assert all(d.check_keys for d in freshness_checks)
    instance = dg.DagsterInstance.ephemeral()
    tuesday_late = dt.datetime(2023, 11, 14, 23, 30, tzinfo=NEW_YORK)
    stale = _freshness(instance, tuesday_late)
    assert not stale.passed and "2023-11-13" in (stale.description or "")

    instance.report_runless_asset_event(dg.AssetMaterialization("transactions", partition="2023-11-13"))
    assert _freshness(instance, tuesday_late).passed
    # Before Tuesday's deadline the latest one is Monday 23:00, which wanted Friday (a
    # holiday partition, materialized empty like any other day): not there yet.
    before = _freshness(instance, dt.datetime(2023, 11, 14, 22, 0, tzinfo=NEW_YORK))
    assert not before.passed and "2023-11-10" in (before.description or "")
    instance.report_runless_asset_event(dg.AssetMaterialization("transactions", partition="2023-11-10"))
    assert _freshness(instance, dt.datetime(2023, 11, 13, 23, 5, tzinfo=NEW_YORK)).passed
