"""Benchmark: what one filing-date partition costs, and what a 20-day single run holds in memory.

    python benchmarks/partition.py [--per-day 1200] [--days 20] [--warehouse-url URL]

1. One generated business day (~1,200 filings) through the whole graph
   (`daily_filings_job`: fetch from the mirror, parse, write, check, aggregates) and, as
   the baseline measured in the same benchmark run, a trivial one-asset partitioned job
   for the same partition; it prints both times and the difference (the part that is
   this project's work rather than Dagster's fixed per-run overhead).
2. A range of generated business days as ONE run (the single-run backfill), with the
   peak memory of that run next to the one-day run's, to show memory stays bounded
   (each day is processed and committed on its own).

Each scenario runs in its own child process so its peak RSS (VmHWM) is its own. Mirror
generation happens beforehand and is not timed. The warehouse is a fresh SQLite file per
scenario unless --warehouse-url is given (then tables are replaced partition by
partition, as in production).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
from collections import Counter
import sys
import tempfile
import time
from pathlib import Path

from steps import run_json_child

RANGE_START = dt.date(2023, 9, 11)  # 20 business days from here hold no EDGAR holiday


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM belongs to the process's own address
    space, unlike ru_maxrss, which a child forked from a big parent inherits."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _step_seconds(instance, run_id: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is not None and event.event_type_value == "STEP_SUCCESS":
            out[event.step_key] = round(event.event_specific_data.duration_ms / 1000, 2)
    return out


def child(args: argparse.Namespace) -> None:
    """One scenario, in this (child) process; prints one JSON line."""
    import dagster as dg

    from form4_assets.defs.partitions import filing_date_partitions
    from form4_assets.defs.resources import EdgarSourceResource, WarehouseResource
    from form4_assets.runs import daily_job, execute_range

    instance = dg.DagsterInstance.ephemeral()
    if args.scenario == "trivial":

        @dg.asset(partitions_def=filing_date_partitions, backfill_policy=dg.BackfillPolicy.single_run())
        def trivial() -> None:
            """Does nothing: measures Dagster's own cost of one partitioned run."""

        began = time.perf_counter()
        result = dg.materialize([trivial], partition_key=args.first, instance=instance)
    else:
        job = daily_job(WarehouseResource(url=args.warehouse_url), EdgarSourceResource(mode="mirror", mirror_dir=args.mirror))
        began = time.perf_counter()
        result = execute_range(job, args.first, args.last, instance)
    seconds = time.perf_counter() - began
    failed_checks = sorted({  # one evaluation per check and date: name each failing check once
        f"{e.asset_key.to_user_string()}.{e.check_name}" for e in result.get_asset_check_evaluations() if not e.passed
    })
    print(json.dumps({
        "seconds": seconds,
        "success": result.success,
        "failed_checks": failed_checks,
        "maxrss_mb": peak_rss_mb(),
        "steps": _step_seconds(instance, result.run_id),
    }))


def run_child(scenario: str, first: dt.date, last: dt.date, mirror: Path, url: str) -> dict:
    cmd = [sys.executable, __file__, "--child", scenario, "--first", first.isoformat(), "--last", last.isoformat(),
           "--mirror", str(mirror), "--warehouse-url", url]
    log = mirror.parent / f"{scenario}-{first}-{last}.log"
    outcome = run_json_child(cmd, log, f"scenario {scenario} {first}..{last}")
    if not outcome["success"]:
        print(f"  NOTE: the {scenario} run did not succeed (failed checks: {', '.join(outcome['failed_checks'])}); "
              "its timing covers the steps that ran", flush=True)
    return outcome


def filings_per_day(manifest: Path, days: list[dt.date]) -> dict[dt.date, int]:
    counts = Counter(json.loads(line)["filing_date"] for line in manifest.open())
    return {d: counts.get(d.isoformat(), 0) for d in days}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-day", type=int, default=1200)
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--warehouse-url", default=None, help="default: a fresh SQLite file per scenario")
    parser.add_argument("--work-dir", default=None,
                        help="keep the mirror, logs and SQLite files here (reused by the next run); default: a temporary directory")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--first", help=argparse.SUPPRESS)
    parser.add_argument("--last", help=argparse.SUPPRESS)
    parser.add_argument("--mirror", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.scenario = args.child
        child(args)
        return

    from form4_assets.defs.partitions import filing_dates_from
    from form4_assets.synthetic.mirror import make_mirror

    with tempfile.TemporaryDirectory(prefix="form4-bench-") as tmp:
        work = Path(args.work_dir or tmp)
        days = filing_dates_from(RANGE_START, args.days)
        manifest = work / "mirror" / "synthetic-manifest.jsonl"
        stamp = work / "mirror" / f"bench-{days[0]}-{days[-1]}-{args.per_day}"
        if stamp.exists():
            print(f"reusing the mirror in {work / 'mirror'}\n", flush=True)
        else:
            print(f"generating a mirror: {days[0]}..{days[-1]} ({len(days)} business days), {args.per_day} filings/day ...",
                  flush=True)
            began = time.perf_counter()
            manifest = make_mirror(work / "mirror", days[0], days[-1], per_day=args.per_day, include_seed=False)
            stamp.touch()
            print(f"  generated in {time.perf_counter() - began:.1f}s (not part of the timings below)\n", flush=True)
        for old in work.glob("*.sqlite*"):
            old.unlink()
        by_day = filings_per_day(manifest, days)
        # The generator varies the load from day to day; time the day closest to --per-day.
        one_day = min(days, key=lambda d: (abs(by_day[d] - args.per_day), d))

        def url(name: str) -> str:
            return args.warehouse_url or f"sqlite:///{work / (name + '.sqlite')}"

        one_day_filings = by_day[one_day]
        trivial = run_child("trivial", one_day, one_day, work / "mirror", url("trivial"))
        full = run_child("graph", one_day, one_day, work / "mirror", url("one_day"))
        overhead = full["seconds"] - trivial["seconds"]
        print(f"one partition ({one_day}, {one_day_filings} filings):")
        print(f"  trivial one-asset partitioned job : {trivial['seconds']:7.2f} s   peak RSS {trivial['maxrss_mb']:6.0f} MB")
        print(f"  daily_filings_job (whole graph)   : {full['seconds']:7.2f} s   peak RSS {full['maxrss_mb']:6.0f} MB")
        print(f"  difference (this project's work)  : {overhead:7.2f} s   "
              f"= {1000 * overhead / max(one_day_filings, 1):.2f} ms per filing, "
              f"{one_day_filings / max(overhead, 1e-9):.0f} filings/s")
        print(f"  steps: {json.dumps(full['steps'])}")
        print(f"  checks not passed: {', '.join(full['failed_checks']) or 'none'}\n")

        range_filings = sum(by_day.values())
        ranged = run_child("graph", days[0], days[-1], work / "mirror", url("range"))
        print(f"{len(days)}-day range as one run ({days[0]}..{days[-1]}, {range_filings} filings):")
        print(f"  daily_filings_job (whole graph)   : {ranged['seconds']:7.2f} s   peak RSS {ranged['maxrss_mb']:6.0f} MB")
        print(f"  per filing                        : {1000 * ranged['seconds'] / max(range_filings, 1):7.2f} ms")
        print(f"  peak RSS vs the one-day run       : {ranged['maxrss_mb'] / full['maxrss_mb']:7.2f}x "
              f"for {range_filings / max(one_day_filings, 1):.1f}x the filings")
        print(f"  steps: {json.dumps(ranged['steps'])}")
        print(f"  checks not passed: {', '.join(ranged['failed_checks']) or 'none'}")


if __name__ == "__main__":
    main()
