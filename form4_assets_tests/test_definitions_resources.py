"""Resources resolve FORM4_* variables when used, with defaults when unset."""

from __future__ import annotations

from pathlib import Path

import pytest

from form4_assets.defs.resources import EdgarSourceResource, WarehouseResource
from form4_assets.edgar.source import LiveSource, MirrorSource


@pytest.fixture(autouse=True)
def no_form4_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FORM4_DATA_DIR", "FORM4_WAREHOUSE_URL", "FORM4_EDGAR_MODE", "FORM4_MIRROR_DIR",
                 "FORM4_USER_AGENT", "FORM4_EDGAR_BASE_URL", "FORM4_MAX_RPS", "FORM4_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_live_under_the_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert WarehouseResource().resolved_url() == f"sqlite:///{tmp_path / 'form4_data' / 'warehouse.sqlite'}"
    source = EdgarSourceResource().source()
    assert isinstance(source, MirrorSource)
    # Absolute, resolved against the working directory of the run's start (paths built from
    # it are stored in the warehouse and read back from anywhere).
    assert source.root == tmp_path.resolve() / "form4_data" / "mirror"
    live = EdgarSourceResource(mode="live", user_agent="Jane Doe jane@example.com", cache_dir="c").source()
    try:
        assert isinstance(live, LiveSource) and live.cache.root == tmp_path.resolve() / "c"
    finally:
        live.close()
    assert EdgarSourceResource(data_dir="d").source().root == tmp_path.resolve() / "d" / "mirror"


def test_environment_is_read_when_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    warehouse, edgar = WarehouseResource(), EdgarSourceResource()  # built before the variables exist
    monkeypatch.setenv("FORM4_DATA_DIR", str(tmp_path / "data"))
    assert warehouse.resolved_url() == f"sqlite:///{tmp_path / 'data' / 'warehouse.sqlite'}"
    assert edgar.source().root == tmp_path / "data" / "mirror"
    monkeypatch.setenv("FORM4_WAREHOUSE_URL", "postgresql+psycopg2://u@127.0.0.1:5/w")
    monkeypatch.setenv("FORM4_MIRROR_DIR", str(tmp_path / "m"))
    assert warehouse.resolved_url() == "postgresql+psycopg2://u@127.0.0.1:5/w"
    assert edgar.source().root == tmp_path / "m"
    # Explicit fields win over the environment.
    assert WarehouseResource(url="sqlite:///x.sqlite").resolved_url() == "sqlite:///x.sqlite"


def test_warehouse_engine_creates_the_schema(tmp_path: Path) -> None:
    resource = WarehouseResource(data_dir=str(tmp_path))
    engine = resource.engine()
    import sqlalchemy as sa

    assert {"raw_filings", "nonderiv_trans", "quarantine"} <= set(sa.inspect(engine).get_table_names())
    assert (tmp_path / "warehouse.sqlite").exists()


def test_bad_mode_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORM4_EDGAR_MODE", "ftp")
    with pytest.raises(ValueError, match="FORM4_EDGAR_MODE"):
        EdgarSourceResource().source()
