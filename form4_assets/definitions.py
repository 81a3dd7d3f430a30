"""The code location: the one Definitions of form4_assets (`defs`).

Every asset of the `form4_assets.defs` package is collected from its modules (so a new
stage plugs in by defining its assets in a module there); checks are declared on the
assets that evaluate them (`check_specs`), so they come with the assets. Resources
resolve their settings from the environment only when a run starts, so loading this
module never reads the environment.

Steps run in process: the graph is a chain (each stage needs the previous one's
tables), so parallel step processes would gain nothing, cost a Python start-up each,
and make concurrent SQLite writers.

Loaded by `dagster dev` (workspace.yaml), `dagster dev -m form4_assets.definitions` and
`dg` (pyproject.toml's `[tool.dg]`).
"""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

import form4_assets.defs
from form4_assets.defs.form345 import form345_history_job, form345_import_job
from form4_assets.defs.freshness import freshness_checks, freshness_sensor
from form4_assets.defs.outcomes import outcomes_job
from form4_assets.defs.resources import default_resources
from form4_assets.defs.schedules import daily_filings_job, previous_business_day_schedule


def build_definitions(resources: Mapping[str, object] | None = None) -> dg.Definitions:
    """The Definitions with the given resources (default: configured from the environment at run time).

    The demo, the benchmark and the tests pass explicit resources (a mirror directory,
    a warehouse URL) and run `daily_filings_job` exactly as the UI and schedule do.
    """
    return dg.Definitions(
        assets=dg.load_assets_from_package_module(form4_assets.defs),
        asset_checks=freshness_checks,  # the only checks not declared on their assets (check_specs)
        jobs=[daily_filings_job, form345_import_job, form345_history_job, outcomes_job],
        schedules=[previous_business_day_schedule],
        sensors=[freshness_sensor],
        resources={**default_resources(), **(resources or {})},
        executor=dg.in_process_executor,
    )


defs = build_definitions()
