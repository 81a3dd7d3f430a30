"""Resources resolve FORM4_* variables when used, with defaults when unset."""

from __future__ import annotations

from pathlib import Path

import pytest

from form4_assets import settings
from form4_assets.defs.resources import EdgarSourceResource, WarehouseResource
from form4_assets.edgar.source import LiveSource, MirrorSource
from form4_assets.settings import Mode


@pytest.fixture(autouse=True)
def no_form4_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for setting in settings.SETTINGS:
        monkeypatch.delenv(setting.env, raising=False)


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


def test_mode_is_an_enum_dagster_validates(tmp_path: Path) -> None:
    """The launchpad takes the same words as FORM4_EDGAR_MODE and Dagster refuses anything else."""
    import dagster as dg

    seen: list[Mode] = []

    @dg.asset
    def probe(edgar: EdgarSourceResource) -> None:
        seen.append(edgar.resolved().mode)

    def run(mode: str) -> None:
        config = {"resources": {"edgar": {"config": {"mode": mode, "mirror_dir": str(tmp_path)}}}}
        dg.materialize([probe], resources={"edgar": EdgarSourceResource.configure_at_launch()}, run_config=config)

    run("live")
    assert seen == [Mode.live]
    with pytest.raises(dg.DagsterInvalidConfigError, match="not in enum type Mode"):
        run("ftp")


def test_resource_fields_describe_variable_and_default() -> None:
    fields = EdgarSourceResource.model_fields
    assert fields["max_requests_per_second"].description == settings.MAX_RPS.describe()
    assert "FORM4_MAX_RPS" in fields["max_requests_per_second"].description
    assert "10" in fields["max_requests_per_second"].description
    assert WarehouseResource.model_fields["url"].description == settings.WAREHOUSE_URL.describe()


def test_bad_rate_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORM4_MAX_RPS", "fast")
    with pytest.raises(ValueError, match="FORM4_MAX_RPS"):
        EdgarSourceResource(mode="live", user_agent="Jane Doe jane@example.com").source()


def test_readme_table_states_each_setting_and_its_default() -> None:
    from form4_assets_tests.conftest import REPO_ROOT

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for setting in settings.SETTINGS:
        assert f"| `{setting.env}` | `{setting.default}` |" in readme, setting.env
