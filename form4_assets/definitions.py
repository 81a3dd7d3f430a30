"""The code location: every asset and check of form4_assets.defs, the job, the schedule.

Assets and checks are collected from all modules of the `form4_assets.defs` package
(so the aggregates stage plugs in by defining them in its module); resources resolve
their settings from the environment only when a run starts, so loading this module
never reads the environment.

Steps run in process: the graph is a chain (each stage needs the previous one's
tables), so parallel step processes would gain nothing, cost a Python start-up each,
and make concurrent SQLite writers.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

import dagster as dg

from form4_assets.defs.form345 import form345_import_job
from form4_assets.defs.resources import default_resources
from form4_assets.defs.schedules import daily_filings_job, previous_business_day_schedule


def build_definitions(resources: Mapping[str, object] | None = None) -> dg.Definitions:
    """The Definitions with the given resources (default: configured from the environment at run time).

    The demo, the benchmark and the tests pass explicit resources (a mirror directory,
    a warehouse URL) and run `daily_filings_job` exactly as the UI and schedule do.
    """
    # By full name: the attribute `form4_assets.defs` is the Definitions once loaded (see the package).
    defs_package = importlib.import_module("form4_assets.defs")
    return dg.Definitions(
        assets=dg.load_assets_from_package_module(defs_package),
        asset_checks=dg.load_asset_checks_from_package_module(defs_package),
        jobs=[daily_filings_job, form345_import_job],
        schedules=[previous_business_day_schedule],
        resources={**default_resources(), **(resources or {})},
        executor=dg.in_process_executor,
    )


defs = build_definitions()
