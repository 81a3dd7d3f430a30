"""Benchmark: what Dagster charges per event of a range run, on this machine.

    python benchmarks/events.py [--days 100] [--checks 4] [--rounds 3] [--disk] [--json]

The graph reports every filing date on its own (issue 11): a materialization per asset
and date, an evaluation per check and date. This measures what each costs Dagster,
apart from any work of ours, with one trivial asset run as ONE range run (a single-run
backfill) over `--days` dates, in four variants measured in the same benchmark run:

- `floor`: nothing per date but the materialization Dagster makes of each partition;
- `per_date_metadata`: plus each date's own small metadata (a row count and a preview);
- `run_facts`: plus the run facts the graph puts on every partition (the transactions
  asset's table schema and column lineage, as `defs/metadata.py` builds them);
- `checks`: plus `--checks` partitioned checks, each evaluated on each date.

The differences between the variants, divided by the number of events they add, are the
per-event costs (each variant's fastest of `--rounds` runs, after an untimed warm-up). The instance is in memory (as `benchmarks/year.py` uses), or with
`--disk` a SQLite instance in a temporary directory (as `dagster dev` uses).
"""

# No `from __future__ import annotations`: Dagster reads the context annotation at definition time.

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
import dagster as dg

from form4_assets.defs.metadata import column_lineage, definition_metadata
from form4_assets.defs.partitions import filing_date_partitions, filing_dates_from
from form4_assets.runs import execute_range

START = dt.date(2024, 1, 2)
VARIANTS = ("floor", "per_date_metadata", "run_facts", "checks")


def _job(variant: str, checks: int) -> dg.JobDefinition:
    facts = definition_metadata("transactions", column_lineage("nonderiv_trans", {})) if variant in ("run_facts", "checks") else {}
    specs = [dg.AssetCheckSpec(f"check_{i}", asset="bench", partitions_def=filing_date_partitions)
             for i in range(checks if variant == "checks" else 0)]

    @dg.asset(key="bench", partitions_def=filing_date_partitions, backfill_policy=dg.BackfillPolicy.single_run(),
              check_specs=specs)
    def bench(context: dg.AssetExecutionContext):  # noqa: ANN202 (a generator of results)
        """Writes nothing: only the events of a range run."""
        if variant != "floor":
            for key in context.partition_keys:
                context.add_asset_metadata({"dagster/row_count": 1, "preview": dg.MetadataValue.md("| a |\n|---|\n| 1 |")},
                                           partition_key=key)
        yield dg.MaterializeResult(metadata=facts)
        for spec in specs:
            for key in context.partition_keys:
                yield dg.AssetCheckEvaluation(
                    asset_key=spec.asset_key, check_name=spec.name, passed=True, partition=key,
                    metadata={"checked": 1, "failures": 0, "offending_rows": dg.MetadataValue.md("_no rows_")})
            yield dg.Output(None, output_name=context.assets_def.get_output_name_for_asset_check_key(spec.key))

    return dg.Definitions(assets=[bench], jobs=[dg.define_asset_job("bench_job")]).resolve_job_def("bench_job")


def measure(variant: str, days: int, checks: int, disk: bool) -> tuple[float, int]:
    """Seconds of one range run of the variant, and how many events it recorded."""
    dates = filing_dates_from(START, days)
    with tempfile.TemporaryDirectory(prefix="form4-events-") as home:
        instance = dg.DagsterInstance.local_temp(home) if disk else dg.DagsterInstance.ephemeral()
        job = _job(variant, checks)
        began = time.perf_counter()
        result = execute_range(job, dates[0].isoformat(), dates[-1].isoformat(), instance)
        seconds = time.perf_counter() - began
        if not result.success:
            raise SystemExit(f"{variant} run failed")
        return seconds, len(instance.all_logs(result.run_id))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=100, help="filing dates in the range run (default 100)")
    parser.add_argument("--checks", type=int, default=4, help="partitioned checks in the `checks` variant (default 4)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each variant, the fastest kept (default 3)")
    parser.add_argument("--disk", action="store_true", help="a SQLite instance on disk instead of one in memory")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.days < 2 or args.checks < 1:
        parser.error("--days must be at least 2 and --checks at least 1")
    measure("floor", 2, 1, args.disk)  # warm-up, untimed: imports and Dagster's first-run costs
    found = {v: min(measure(v, args.days, args.checks, args.disk) for _ in range(max(args.rounds, 1))) for v in VARIANTS}
    seconds = {v: s for v, (s, _) in found.items()}
    out = {
        "days": args.days, "checks": args.checks, "instance": "sqlite on disk" if args.disk else "in memory",
        "seconds": {v: round(s, 3) for v, s in seconds.items()},
        "events": {v: n for v, (_, n) in found.items()},
        "floor_ms_per_date": round(1000 * seconds["floor"] / args.days, 2),
        "ms_per_date_metadata": round(1000 * (seconds["per_date_metadata"] - seconds["floor"]) / args.days, 2),
        "ms_per_partition_for_run_facts": round(1000 * (seconds["run_facts"] - seconds["per_date_metadata"]) / args.days, 2),
        "ms_per_check_evaluation": round(1000 * (seconds["checks"] - seconds["run_facts"]) / (args.days * args.checks), 2),
    }
    if args.json:
        print(json.dumps(out, sort_keys=True))
    else:
        for v in VARIANTS:
            print(f"{v:18s} {seconds[v]:6.2f}s  {found[v][1]:5d} events")
        print(f"floor per date (a bare materialization and the run's fixed cost): {out['floor_ms_per_date']} ms; "
              f"a date's own metadata: {out['ms_per_date_metadata']} ms; "
              f"the run facts (schema, lineage) on a partition: {out['ms_per_partition_for_run_facts']} ms; "
              f"a check evaluation: {out['ms_per_check_evaluation']} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
