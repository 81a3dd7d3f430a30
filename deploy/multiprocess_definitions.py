"""The same code location with every step in its own process (Dagster's multiprocess executor).

The default code location (form4_assets.definitions) runs a run's steps in one process:
the graph is mostly a chain and SQLite wants one writer. On a bigger machine with the
warehouse on PostgreSQL, the independent steps (cluster_buys beside issuer_daily_activity
→ net_insider_selling) can run side by side. Point Dagster at this file instead of the
package — nothing else changes:

    dagster dev -f deploy/multiprocess_definitions.py
    dagster asset materialize -f deploy/multiprocess_definitions.py --select '*' \
        --partition 2023-11-08 --config-json '{"execution": {"config": {"max_concurrent": 2}}}'

`max_concurrent` (run config, default: the CPU count) caps the step processes of one
run; keep it at 1-2 on SQLite. Concurrency across runs is the instance's business
(deploy/dagster.yaml).
"""

import dagster as dg

from form4_assets import definitions

defs = dg.Definitions(
    assets=definitions.defs.assets,
    asset_checks=definitions.defs.asset_checks,
    jobs=definitions.defs.jobs,
    schedules=definitions.defs.schedules,
    resources=definitions.defs.resources,
    executor=dg.multiprocess_executor,
)
