"""`form4-assets demo` end to end, small: mirror, one run into SQLite, a persistent instance."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from form4_assets.demo import run_demo


def test_demo_loads_the_week_and_records_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    data_dir = tmp_path / "data"
    assert run_demo(20, data_dir) == 0
    out = capsys.readouterr().out
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
    assert [r.job_name for r in runs] == ["daily_filings_job"]
    assert runs[0].tags["dagster/asset_partition_range_start"] == "2023-11-06"
    assert runs[0].tags["dagster/asset_partition_range_end"] == "2023-11-10"
