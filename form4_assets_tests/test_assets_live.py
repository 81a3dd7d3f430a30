"""The graph in live mode against a real HTTP server on 127.0.0.1 (the loopback EDGAR).

Live fetching must give the same warehouse as the offline mirror (apart from where the
bytes are kept), a filing EDGAR cannot serve becomes a `fetch_failed` quarantine row,
and EDGAR's fair-access block stops the run with its explanation.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import pytest

from form4_assets.defs.documents import parse_filings
from form4_assets.defs.ingest import raw_filings
from form4_assets.defs.resources import EdgarSourceResource, WarehouseResource
from form4_assets.testing.loopback import Fault, LoopbackEdgar
from form4_assets.edgar.source import LiveSource
from form4_assets.synthetic.mirror import make_mirror
from form4_assets.warehouse.engine import make_engine
from form4_assets.warehouse.store import read_partition

DAY = dt.date(2023, 11, 8)
USER_AGENT = "form4_assets tests tests@example.com"


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("live") / "mirror"
    make_mirror(root, DAY, DAY, per_day=15)
    return root


def materialize(url: str, edgar: EdgarSourceResource):
    return dg.materialize(
        [raw_filings, parse_filings],
        partition_key=DAY.isoformat(),
        instance=dg.DagsterInstance.ephemeral(),
        resources={"warehouse": WarehouseResource(url=url), "edgar": edgar},
        raise_on_error=False,
    )


def live(server: LoopbackEdgar, cache: Path) -> EdgarSourceResource:
    return EdgarSourceResource(mode="live", user_agent=USER_AGENT, base_url=server.base_url, cache_dir=str(cache))


def tables(url: str) -> dict[str, list[dict]]:
    engine = make_engine(url)
    out = {
        name: [{k: v for k, v in row.items() if k not in ("LOCAL_PATH", "SOURCE_PATH", "FETCH_ERROR")}
               for row in read_partition(engine, name, DAY)]
        for name in ("raw_filings", "submission", "nonderiv_trans", "deriv_trans", "quarantine")
    }
    engine.dispose()
    return out


def test_live_equals_mirror_and_a_missing_filing_is_quarantined(mirror: Path, tmp_path: Path) -> None:
    offline_url = f"sqlite:///{tmp_path / 'offline.sqlite'}"
    assert materialize(offline_url, EdgarSourceResource(mode="mirror", mirror_dir=str(mirror))).success

    live_url = f"sqlite:///{tmp_path / 'live.sqlite'}"
    with LoopbackEdgar(mirror) as server:
        server.inject(Fault.server_error(503), path="*/Archives/edgar/data/*", times=2)  # retried
        assert materialize(live_url, live(server, tmp_path / "cache")).success
        assert all(r.user_agent == USER_AGENT for r in server.log)
    assert tables(live_url) == tables(offline_url)
    engine = make_engine(live_url)
    assert all(r["LOCAL_PATH"].startswith(str(tmp_path / "cache")) for r in read_partition(engine, "raw_filings", DAY))
    engine.dispose()

    gone_url = f"sqlite:///{tmp_path / 'gone.sqlite'}"
    victim = tables(offline_url)["submission"][0]["ACCESSION_NUMBER"]
    with LoopbackEdgar(mirror) as server:
        server.inject(Fault.not_found(), path=f"*{victim}.txt", times=None)
        assert materialize(gone_url, live(server, tmp_path / "cache-gone")).success
    quarantine = {r["ACCESSION_NUMBER"]: r for r in tables(gone_url)["quarantine"]}
    assert quarantine[victim]["REASON_CODE"] == "fetch_failed"
    assert len(tables(gone_url)["submission"]) == len(tables(offline_url)["submission"]) - 1


@pytest.fixture
def live_sources(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[LiveSource]]:
    """Records every LiveSource built and closed (the real methods still run)."""
    seen: dict[str, list[LiveSource]] = {"built": [], "closed": []}
    real_init, real_close = LiveSource.__init__, LiveSource.close

    def init(self: LiveSource, *args, **kwargs) -> None:
        real_init(self, *args, **kwargs)
        seen["built"].append(self)

    def close(self: LiveSource) -> None:
        seen["closed"].append(self)
        real_close(self)

    monkeypatch.setattr(LiveSource, "__init__", init)
    monkeypatch.setattr(LiveSource, "close", close)
    return seen


def test_one_live_source_per_run_closed_at_the_end(
    mirror: Path, tmp_path: Path, live_sources: dict[str, list[LiveSource]]
) -> None:
    with LoopbackEdgar(mirror) as server:
        base_url = server.base_url
        result = materialize(f"sqlite:///{tmp_path / 'w.sqlite'}", live(server, tmp_path / "cache"))
    assert result.success
    assert len(live_sources["built"]) == 1
    assert live_sources["closed"] == live_sources["built"]
    raw = next(m for m in result.get_asset_materialization_events() if m.asset_key.to_user_string() == "raw_filings")
    source = raw.materialization.metadata["source"].value
    assert source == f"live EDGAR {base_url} (cache {(tmp_path / 'cache').resolve()})"


def test_fair_access_block_stops_the_run(
    mirror: Path, tmp_path: Path, live_sources: dict[str, list[LiveSource]]
) -> None:
    url = f"sqlite:///{tmp_path / 'blocked.sqlite'}"
    with LoopbackEdgar(mirror) as server:
        server.inject(Fault.fair_access_block(), path="*/Archives/edgar/data/*", times=None)
        result = materialize(url, live(server, tmp_path / "cache"))
    assert not result.success
    assert len(live_sources["built"]) == 1 and live_sources["closed"] == live_sources["built"]  # closed on failure too
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "FairAccessBlocked" in str(failure.event_specific_data.error.cause or failure.event_specific_data.error)
    assert read_partition(make_engine(url), "raw_filings", DAY) == []  # nothing half-written
