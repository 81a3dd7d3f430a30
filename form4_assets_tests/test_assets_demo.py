"""`form4-assets demo` end to end, small: mirror, one run into SQLite, a persistent instance.

The first visit (issue 11, item 4): the instance's dagster.yaml has the community pop-up
off and telemetry as chosen, the run carries the code location's origin (the UI's
Overview lists runs by it), and the terminal gets a short summary while Dagster's
event stream goes to the log file.
"""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
import yaml

from form4_assets.demo import run_demo


def test_demo_loads_the_week_and_records_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    data_dir = tmp_path / "data"
    assert run_demo(20, data_dir) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "seed filing 0001628280-23-037880 (NLY): 2023-11-06 code S 50,000 shares at $17.04 (footnote F2), D, 545,259 owned after (D)" in out
    assert f"warehouse: {data_dir.resolve() / 'warehouse.sqlite'}" in out
    assert "raw_equals_parsed_plus_quarantined" in out and "dagster dev" in out
    assert (data_dir / "warehouse.sqlite").is_file()
    # The signals ran too: insider_patterns has rows, all unclassified (one week has no three-year history).
    printed = int(re.search(r"^\s+insider_patterns\s+(\d+)$", out, re.MULTILINE).group(1))
    engine = sa.create_engine(f"sqlite:///{data_dir / 'warehouse.sqlite'}")
    with engine.connect() as conn:
        classes = dict(conn.execute(sa.text('SELECT "CLASS", COUNT(*) FROM insider_patterns GROUP BY "CLASS"')).all())
    engine.dispose()
    assert printed > 0 and classes == {"unclassified": printed}
    instance = dg.DagsterInstance.from_config(str(data_dir / "dagster_home"))
    runs = instance.get_runs()
    # Newest first: the outcome run after the week, then the week's run of the whole graph.
    assert [r.job_name for r in runs] == ["outcomes_job", "daily_filings_job"]
    assert runs[1].tags["dagster/asset_partition_range_start"] == "2023-11-06"
    assert runs[1].tags["dagster/asset_partition_range_end"] == "2023-11-10"
    for run in runs:
        assert run.remote_job_origin is not None
        assert run.remote_job_origin.repository_origin.get_label() == "__repository__@form4_assets"

    # Track records from the SYNTHETIC prices: in the warehouse, printed, and with the plot for the UI.
    assert "insider track records as of 2023-12-29 (SYNTHETIC prices): " in out and "21-day mean excess" in out
    engine = sa.create_engine(f"sqlite:///{data_dir / 'warehouse.sqlite'}")
    with engine.connect() as conn:
        measured = conn.execute(sa.text('SELECT COUNT(*) FROM insider_track_records WHERE "MEASURED_21D" > 0')).scalar_one()
    engine.dispose()
    assert measured > 0
    plot = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("insider_track_records"), asset_partitions=["2023-12-29"]), limit=1
    ).records[0].asset_materialization.metadata["excess_by_horizon"]
    assert plot.value.startswith("![Mean excess return by horizon")

    config = yaml.safe_load((data_dir / "dagster_home" / "dagster.yaml").read_text())
    assert config["nux"] == {"enabled": False} and config["telemetry"] == {"enabled": False}
    assert config["run_monitoring"]["enabled"] is True

    terminal = out + captured.err
    assert "DEBUG" not in terminal and "Warning" not in terminal and "STEP_START" not in terminal
    # One line per asset with checks (signal_outcomes' current_with_earlier_dates among them) and the summary.
    assert len(out.splitlines()) < 62, "the demo's output should be a short summary"
    assert out.rstrip().splitlines()[-1].strip().startswith("then open http://127.0.0.1:3000")
    log = (data_dir / "demo.log").read_text()
    assert "DEBUG" in log and "STEP_START" in log and runs[1].run_id in log and runs[0].run_id in log


def test_code_location_started_elsewhere_says_what_to_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`dagster dev -m form4_assets.definitions` in a directory without form4_data/ and no FORM4_DATA_DIR:
    the run fails at once saying what to set, and leaves no (empty) warehouse file behind."""
    from form4_assets.definitions import defs

    for name in ("FORM4_DATA_DIR", "FORM4_MIRROR_DIR", "FORM4_WAREHOUSE_URL", "FORM4_EDGAR_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    result = defs.resolve_job_def("daily_filings_job").execute_in_process(
        partition_key="2023-11-08", instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.error.message
    assert "FORM4_DATA_DIR is not set" in message and f"({tmp_path.resolve()})" in message
    assert "Set FORM4_DATA_DIR" in message and "FORM4_MIRROR_DIR" in message
    assert list(tmp_path.iterdir()) == [], "nothing may be written in the directory Dagster started in"
