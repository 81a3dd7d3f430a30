"""`form4-assets import-form345`: the data sets through the same job a UI backfill runs,
from local files or, with --download, from EDGAR."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TextIO

import sqlalchemy as sa

from form4_assets.form345.dataset import Dataset, DatasetError
from form4_assets.tables import FORM345_TABLES


def download(quarters: Sequence[str]) -> list[str]:
    """The cached data set of each quarter (YYYYqN), downloaded from live EDGAR as needed,
    with the live mode's settings (User-Agent, base URL, rate, cache directory)."""
    from form4_assets import settings
    from form4_assets.edgar.datasets import download_quarters

    config = settings.edgar_settings()
    return [str(p) for p in download_quarters(quarters, config.user_agent, config.cache_dir, base_url=config.base_url,
                                              max_requests_per_second=config.max_requests_per_second)]


def run_import(paths: Sequence[str], warehouse_url: str | None, out: TextIO, aggregates: bool = False) -> int:
    """Import (with `aggregates`, and build the aggregates and signals of the same dates), then
    print the rows each table holds from these data sets; 2 on unreadable input."""
    import dagster as dg

    from form4_assets.defs.resources import WarehouseResource
    from form4_assets.runs import import_form345
    from form4_assets.warehouse.schema import TABLES

    try:
        names = []
        for path in paths:
            with Dataset(path) as dataset:
                names.append(dataset.name)
        warehouse = WarehouseResource(url=warehouse_url)
        instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
        result, dates = import_form345(paths, warehouse=warehouse, instance=instance, aggregates=aggregates)
    except (DatasetError, ValueError, OSError) as exc:
        print(f"form4-assets import-form345: {exc}", file=sys.stderr)
        return 2
    if result is None:
        print("no filing dates in these data sets: nothing imported", file=out)
        return 0
    if not result.success:
        print(f"form4-assets import-form345: run {result.run_id} failed", file=sys.stderr)
        return 1
    engine = warehouse.engine()
    print(f"imported {', '.join(names)}: filing dates {dates[0]} .. {dates[-1]} ({len(dates)}), run {result.run_id}", file=out)
    with engine.connect() as conn:
        for spec in FORM345_TABLES:
            table = TABLES[spec.name]
            mine = sa.or_(*(table.c.SOURCE_FILE.startswith(f"{name}/", autoescape=True) for name in names))
            count = conn.execute(sa.select(sa.func.count()).select_from(table).where(mine)).scalar_one()
            print(f"{spec.name}\t{count} rows", file=out)
    engine.dispose()
    return 0
