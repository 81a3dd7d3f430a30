"""Benchmark: what the aggregates cost per filing date, and that it does not grow with history.

    python benchmarks/aggregates.py [--per-day 500] [--days 25] [--work-dir DIR]

A generated mirror of `--days` business days goes through the whole graph
(`daily_filings_job`) in three runs on one SQLite warehouse: the first day alone on an
empty warehouse, the other days as one single run (a backfill), then the first day
again with all the later days loaded. For each run
the four aggregate steps (effective_transactions, issuer_daily_activity,
net_insider_selling, cluster_buys, their checks included) are timed from the run's own
step events and compared with the parse step of the same run, the baseline:

- aggregates / parse per run: the aggregates' share of the work; the target applies to
  the multi-day run, where per-day work dominates (a one-day run also pays fixed
  costs such as importing matplotlib for the plot);
- first day again / first day (aggregate seconds): the same filings with the whole
  history loaded should cost about the same, since every aggregate reads only its
  windows through indexes (the day's filings and touched issuer-days, 90 days of
  issuer-days, 10 days of purchases), never the whole history.

Targets: aggregates at most 1.0× parse on the multi-day run, first-day-again / first
day at most 1.5. Mirror generation is not timed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg

from form4_assets.defs.partitions import filing_dates_from
from form4_assets.defs.resources import EdgarSourceResource, WarehouseResource
from form4_assets.runs import run_daily_job
from form4_assets.synthetic.mirror import make_mirror
from steps import step_seconds

AGGREGATE_STEPS = ("effective_transactions", "issuer_daily_activity", "net_insider_selling", "cluster_buys")
PARSE_STEP = "parse_filings"
START = dt.date(2023, 9, 11)
TARGET_SHARE, TARGET_GROWTH = 1.0, 1.5


def timed_run(first: dt.date, last: dt.date, warehouse: WarehouseResource, edgar: EdgarSourceResource) -> tuple[float, float]:
    """(aggregate seconds, parse seconds) of one run over first..last."""
    instance = dg.DagsterInstance.ephemeral()
    result = run_daily_job(first.isoformat(), last.isoformat(), warehouse=warehouse, edgar=edgar, instance=instance)
    if not result.success:
        sys.exit(f"run {first}..{last} failed")
    steps = step_seconds(instance, result.run_id)
    missing = [s for s in (*AGGREGATE_STEPS, PARSE_STEP) if s not in steps]
    if missing:
        sys.exit(f"run {first}..{last}: no timing for {', '.join(missing)} (step names changed?)")
    return sum(steps[s] for s in AGGREGATE_STEPS), steps[PARSE_STEP]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-day", type=int, default=500)
    parser.add_argument("--days", type=int, default=25)
    parser.add_argument("--work-dir", default=None, help="keep the mirror and warehouse here (default: a temp dir)")
    args = parser.parse_args(argv)
    if args.days < 2:
        parser.error("--days must be at least 2")
    work = Path(args.work_dir or tempfile.mkdtemp(prefix="form4-agg-bench-"))
    days = filing_dates_from(START, args.days)
    mirror = work / "mirror"
    if not (mirror / "synthetic-manifest.jsonl").exists():
        began = time.perf_counter()
        make_mirror(mirror, days[0], days[-1], per_day=args.per_day)
        print(f"mirror: {args.days} business days, ~{args.per_day}/day, {time.perf_counter() - began:.0f}s (not timed)")
    database = work / "warehouse.sqlite"
    database.unlink(missing_ok=True)
    warehouse = WarehouseResource(url=f"sqlite:///{database}", data_dir=str(work / "data"))
    edgar = EdgarSourceResource(mirror_dir=str(mirror))

    runs = {
        "first day, empty warehouse": (days[0], days[0]),
        f"other {len(days) - 1} days, one run": (days[1], days[-1]),
        "first day again, all loaded": (days[0], days[0]),
    }
    results = {name: timed_run(first, last, warehouse, edgar) for name, (first, last) in runs.items()}
    print(f"{'run':<30}{'aggregates s':>14}{'parse s':>10}{'ratio':>8}")
    for name, (agg, parse) in results.items():
        print(f"{name:<30}{agg:>14.2f}{parse:>10.2f}{agg / parse:>8.2f}")
    first, backfill, again = results.values()
    share = backfill[0] / backfill[1]
    growth = again[0] / first[0]
    print(f"aggregates / parse, multi-day run: {share:.2f} (target <= {TARGET_SHARE})")
    print(f"first day again / first day, aggregates: {growth:.2f} (target <= {TARGET_GROWTH})")
    return 0 if share <= TARGET_SHARE and growth <= TARGET_GROWTH else 1


if __name__ == "__main__":
    sys.exit(main())
